"""Datasets registered by mmhkd (in mmpretrain's DATASETS)."""
from .cifar_local import CIFAR10Local, CIFAR100Local
from .fashion_mnist import FashionMNISTIdx
from .idx_files import DataFileError

__all__ = ['CIFAR10Local', 'CIFAR100Local', 'FashionMNISTIdx', 'DataFileError']
