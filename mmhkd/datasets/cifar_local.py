"""CIFAR-10/100 read from a local copy, never downloaded.

mmpretrain's CIFAR datasets download when files are missing and accept only
the official files (md5). These subclasses never download, name the missing
file and the fix, and can skip the md5 check (``verify_md5=False``) for
files in the official pickle format that are not the official bytes (for
example a re-packed copy or the test suite's small synthetic files).
"""
import os.path as osp
from typing import List

from mmengine.fileio import exists
from mmpretrain.datasets import CIFAR10, CIFAR100
from mmpretrain.datasets.utils import check_md5
from mmpretrain.registry import DATASETS

from .idx_files import DataFileError


class LocalCIFARMixin:
    """Integrity check without download, optional md5."""

    def _missing_or_corrupt(self) -> List[str]:
        root = self.data_prefix['root']
        entries = self.train_list + self.test_list + [
            (self.meta['filename'], self.meta.get('md5'))
        ]
        problems = []
        for filename, md5 in entries:
            path = osp.join(root, self.base_folder, filename)
            if not exists(path):
                problems.append(f'missing {path}')
            elif self.verify_md5 and md5 is not None and not check_md5(
                    path, md5):
                problems.append(f'md5 mismatch {path}')
        return problems

    def _check_integrity(self) -> bool:
        problems = self._missing_or_corrupt()
        if problems:
            raise DataFileError(
                f'{type(self).__name__} data under {self.data_prefix["root"]}'
                f' is not usable: {"; ".join(problems)}. Download and '
                f'extract {self.url} into data_root (e.g. --cfg-options '
                'train_dataloader.dataset.data_root=PATH), or pass '
                'verify_md5=False for files in the official pickle format '
                'that are not the official bytes.')
        return True


@DATASETS.register_module()
class CIFAR10Local(LocalCIFARMixin, CIFAR10):
    """CIFAR-10 from ``data_root/cifar-10-batches-py``, never downloaded.

    Args:
        verify_md5 (bool): Check the official md5 sums. Defaults to True.
        **kwargs: Passed to :class:`mmpretrain.datasets.CIFAR10`.
    """

    def __init__(self, verify_md5: bool = True, **kwargs) -> None:
        self.verify_md5 = verify_md5
        kwargs['download'] = False
        super().__init__(**kwargs)


@DATASETS.register_module()
class CIFAR100Local(LocalCIFARMixin, CIFAR100):
    """CIFAR-100 from ``data_root/cifar-100-python``, never downloaded.

    Args:
        verify_md5 (bool): Check the official md5 sums. Defaults to True.
        **kwargs: Passed to :class:`mmpretrain.datasets.CIFAR100`.
    """

    def __init__(self, verify_md5: bool = True, **kwargs) -> None:
        self.verify_md5 = verify_md5
        kwargs['download'] = False
        super().__init__(**kwargs)
