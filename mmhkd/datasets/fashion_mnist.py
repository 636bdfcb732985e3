"""Fashion-MNIST read in place from the (gzipped) IDX files.

Debian's ``dataset-fashion-mnist`` installs the four ``.gz`` files under
``/usr/share/datasets/fashion-mnist``; mmpretrain's ``FashionMNIST`` only
reads un-gzipped files, so this dataset reads either form without copying.
"""
import os.path as osp
from typing import List, Optional

import numpy as np
from mmpretrain.datasets import BaseDataset
from mmpretrain.datasets.categories import FASHIONMNIST_CATEGORITES
from mmpretrain.registry import DATASETS

from .idx_files import DataFileError, read_idx_file
from .labelled_subset import class_balanced_indices

DEBIAN_FASHION_MNIST_ROOT = '/usr/share/datasets/fashion-mnist'
SPLIT_FILES = {
    'train': ('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'),
    'test': ('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'),
}


@DATASETS.register_module()
class FashionMNISTIdx(BaseDataset):
    """Fashion-MNIST (Xiao et al. 2017) from IDX files, gzipped or not.

    Images are 28x28 uint8 arrays (the pipeline pads them to 32x32).

    Args:
        data_root (str): Folder of the IDX files. Defaults to Debian's
            ``/usr/share/datasets/fashion-mnist``.
        split (str): 'train' (60,000) or 'test' (10,000).
        num_per_class (int, optional): Keep a class-balanced random subset of
            this many images per class (the few-label student regime).
        subset_seed (int): Seed of that subset. Defaults to 0.
        holdout_per_class (int, optional): Carve a validation split: this
            many images per class, drawn with ``holdout_seed``, are used by
            ``holdout='only'`` and excluded by ``holdout='exclude'``.
        holdout (str, optional): None, 'only' or 'exclude'.
        holdout_seed (int): Seed of the held-out draw. Defaults to 1234.
        **kwargs: Passed to :class:`mmpretrain.datasets.BaseDataset`.
    """

    METAINFO = {'classes': FASHIONMNIST_CATEGORITES}

    def __init__(self,
                 data_root: str = DEBIAN_FASHION_MNIST_ROOT,
                 split: str = 'train',
                 num_per_class: Optional[int] = None,
                 subset_seed: int = 0,
                 holdout_per_class: Optional[int] = None,
                 holdout: Optional[str] = None,
                 holdout_seed: int = 1234,
                 **kwargs) -> None:
        if split not in SPLIT_FILES:
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        if holdout not in (None, 'only', 'exclude'):
            raise ValueError("holdout must be None, 'only' or 'exclude', "
                             f'got {holdout!r}')
        if holdout is not None and not holdout_per_class:
            raise ValueError('holdout needs holdout_per_class > 0')
        self.split = split
        self.num_per_class = num_per_class
        self.subset_seed = subset_seed
        self.holdout_per_class = holdout_per_class
        self.holdout = holdout
        self.holdout_seed = holdout_seed
        super().__init__(
            ann_file='', data_root=data_root, data_prefix='', **kwargs)

    def _select(self, labels: np.ndarray) -> np.ndarray:
        indices = np.arange(len(labels))
        held_out = None
        if self.holdout is not None:
            held_out = class_balanced_indices(labels, self.holdout_per_class,
                                              self.holdout_seed)
            if self.holdout == 'only':
                return held_out
        if self.num_per_class is not None:
            return class_balanced_indices(labels, self.num_per_class,
                                          self.subset_seed, held_out)
        if held_out is not None:
            indices = np.setdiff1d(indices, held_out)
        return indices

    def load_data_list(self) -> List[dict]:
        """Read images and labels and apply the subset options."""
        image_file, label_file = SPLIT_FILES[self.split]
        images = read_idx_file(osp.join(self.data_root, image_file))
        labels = read_idx_file(osp.join(self.data_root, label_file))
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(
                f'Fashion-MNIST files in {self.data_root} disagree: images '
                f'{images.shape}, labels {labels.shape}.')
        labels = labels.astype(np.int64)
        num_classes = len(self.METAINFO['classes'])
        out_of_range = np.flatnonzero((labels < 0) | (labels >= num_classes))
        if len(out_of_range):
            first = int(out_of_range[0])
            raise DataFileError(
                f'{osp.join(self.data_root, label_file)}: label '
                f'{int(labels[first])} of image {first} is outside 0..'
                f'{num_classes - 1} ({len(out_of_range)} such labels); the '
                'file is not Fashion-MNIST or is corrupt. Reinstall the '
                'data: apt-get install --reinstall dataset-fashion-mnist.')
        return [
            dict(img=images[i], gt_label=int(labels[i]))
            for i in self._select(labels)
        ]
