"""Datasets registered by mmhkd (in mmpretrain's DATASETS)."""
from .cifar_local import CIFAR10Local, CIFAR100Local
from .fashion_mnist import FashionMNISTIdx
from .idx_files import DataFileError
from .transforms import CentrePad
from .view_pool import ViewPoolDataset

__all__ = ['CentrePad', 'CIFAR10Local', 'CIFAR100Local', 'FashionMNISTIdx', 'DataFileError',
           'ViewPoolDataset']
