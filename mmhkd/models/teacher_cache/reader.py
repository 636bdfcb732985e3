"""Read a teacher cache: the teacher's records for the views in a batch."""
import json
import os.path as osp
from typing import Dict, Sequence

import numpy as np
import torch

from .manifest import TeacherCacheMismatchError, check_matches
from .records import Record, unflatten_record

MANIFEST_SUFFIX = '.manifest.json'
FORMAT = 'mmhkd-teacher-cache'
BUILD_HINT = ('Build it with: python tools/cache_teacher.py CONFIG --views K '
              '--out FILE [--cfg-options ...] (the same config and options '
              'as the training run).')


def manifest_path(cache_file: str) -> str:
    """The manifest written beside ``cache_file``."""
    return cache_file + MANIFEST_SUFFIX


def read_manifest(cache_file: str) -> dict:
    """The manifest of a complete cache.

    Raises:
        FileNotFoundError: The cache or its manifest is missing.
        ValueError: The file is no mmhkd teacher cache, or its build was
            interrupted.
    """
    path = manifest_path(cache_file)
    for needed in (cache_file, path):
        if not osp.isfile(needed):
            raise FileNotFoundError(
                f'model.teacher_cache: {needed} not found (relative paths '
                f'are read from {osp.abspath(".")}). {BUILD_HINT}')
    with open(path) as f:
        manifest = json.load(f)
    if manifest.get('format') != FORMAT:
        raise ValueError(f'{path} is not an mmhkd teacher cache manifest.')
    if not manifest.get('complete'):
        progress = manifest.get('progress', {})
        raise ValueError(
            f'Teacher cache {cache_file} is incomplete ({progress.get("done")}'
            f' of {progress.get("total")} views written): its build was '
            'interrupted. Rerun the same tools/cache_teacher.py command; it '
            'continues where it stopped.')
    return manifest


class TeacherCache:
    """The teacher's records of every view of every training image.

    Args:
        cache_file (str): The ``.npy`` file written by
            ``tools/cache_teacher.py`` (manifest beside it).
    """

    def __init__(self, cache_file: str) -> None:
        self.cache_file = cache_file
        self.manifest = read_manifest(cache_file)
        self.rows = np.load(cache_file, mmap_mode='r')
        expected = (self.manifest['num_images'], self.manifest['num_views'],
                    self.manifest['row_width'])
        if tuple(self.rows.shape) != expected:
            raise ValueError(f'Teacher cache {cache_file} holds an array of '
                             f'shape {self.rows.shape}, its manifest says '
                             f'{expected}: rebuild it. {BUILD_HINT}')
        self.layout = self.manifest['layout']

    @property
    def keys(self) -> list:
        """The cached record keys (``records.record_key``)."""
        return list(self.layout)

    def check_teacher_side(self, current: dict) -> None:
        """Refuse a cache built from another teacher side (config,
        checkpoints, connectors, recorded calls, preprocessing)."""
        check_matches(
            self.cache_file, 'teacher', self.manifest['teacher_side'],
            current,
            'Rebuild the cache for this config with tools/cache_teacher.py, '
            'or set model.teacher_cache to the cache of this teacher.')

    def check_views(self, data_samples: Sequence) -> None:
        """Every sample must be a view of the cache's view pool.

        Raises:
            TeacherCacheMismatchError: Naming what differs between the
                cache's views and this run's training set.
        """
        from mmhkd.datasets.view_pool import VIEW_POOLS
        expected = self.manifest['view_pool']
        for sample in data_samples:
            found = sample.metainfo.get('view_pool')
            if found == expected:
                continue
            if found is None:
                raise TeacherCacheMismatchError(
                    f'model.teacher_cache is set but the training samples '
                    'carry no view index: the training set must be a '
                    "ViewPoolDataset (tools/train.py wraps it for you; "
                    'elsewhere set train_dataloader.dataset=dict(type='
                    "'ViewPoolDataset', num_views="
                    f"{self.manifest['num_views']}, cache_seed="
                    f"{self.manifest['views']['cache_seed']}, dataset=...)).")
            check_matches(
                self.cache_file, 'training set',
                self.manifest['views'], VIEW_POOLS.get(found, {}),
                'Train on the dataset, pipeline, num_views and cache_seed '
                'the cache was built with, or rebuild the cache.')
            raise TeacherCacheMismatchError(
                f'Teacher cache {self.cache_file}: the training samples come '
                f'from view pool {found}, the cache from {expected}.')

    def records(self, data_samples: Sequence,
                device: torch.device) -> Dict[str, Record]:
        """The cached records of a batch, by record key (float32)."""
        self.check_views(data_samples)
        images = np.array([s.metainfo['sample_idx'] for s in data_samples])
        views = np.array([s.metainfo['view_idx'] for s in data_samples])
        rows = torch.from_numpy(
            np.ascontiguousarray(self.rows[images, views],
                                 dtype=np.float32)).to(device)
        records = {}
        for key, entry in self.layout.items():
            part = rows[:, entry['offset']:entry['offset'] + entry['width']]
            records[key] = unflatten_record(part, entry['shapes'],
                                            entry['is_tuple'])
        return records
