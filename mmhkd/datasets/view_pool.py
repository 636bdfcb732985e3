"""A pool of replayable augmented views per image.

The random augmentation of image ``i`` in view ``v`` is a pure function of
``(cache_seed, i, v)``; training draws ``v`` with the run's own random state.
So the teacher's outputs for every view can be computed once
(``tools/cache_teacher.py``) and read back while training, and every method
trained with the same pool sees the same views (docs/teacher_cache.md).
"""
import copy
import hashlib
import json
import random
from contextlib import contextmanager
from typing import Any, Dict, Iterator, Union

import numpy as np
import torch
from mmengine.dataset import BaseDataset
from mmpretrain.registry import DATASETS

# description of every view pool built in this process, by fingerprint, so a
# mismatch with a cache can be explained key by key (see ``describe``)
VIEW_POOLS: Dict[str, dict] = {}


def view_seed(cache_seed: int, index: int, view: int) -> int:
    """The 32-bit seed of view ``view`` of image ``index``."""
    sequence = np.random.SeedSequence([cache_seed, index, view])
    return int(sequence.generate_state(1)[0])


@contextmanager
def seeded_random_state(seed: int) -> Iterator[None]:
    """Seed numpy's, Python's and torch's global generators with ``seed``
    inside the block, so that it draws the same numbers whatever the
    caller's state; afterwards the caller's generators continue as if the
    block had drawn nothing of theirs.

    Python's and torch's (CPU) states are saved and restored. Numpy's
    legacy state takes about 0.13 ms to save and restore, which per sample
    would slow a data loader noticeably, so its continuation is drawn from
    the caller's numpy generator before the block and seeded after it: the
    caller's stream stays a function of its own state alone, independent of
    what the block drew.
    """
    continuation = int(np.random.randint(2**31 - 1))
    py_state = random.getstate()
    generator = torch.default_generator
    torch_state = generator.get_state()
    np.random.seed(seed)
    random.seed(seed)
    generator.manual_seed(seed)
    try:
        yield
    finally:
        np.random.seed(continuation)
        random.setstate(py_state)
        generator.set_state(torch_state)


def fingerprint_of(description: dict) -> str:
    """A short hash of a JSON-able description."""
    text = json.dumps(description, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@DATASETS.register_module()
class ViewPoolDataset:
    """Wrap a dataset so that each image has ``num_views`` replayable views.

    ``__getitem__(i)`` draws ``v`` in ``[0, num_views)`` from numpy's global
    generator (the run's seed, restored on resume, as for any augmentation),
    then runs the wrapped dataset's pipeline under generators seeded with
    ``view_seed(cache_seed, i, v)`` (:func:`seeded_random_state`: the run's
    generators go on independently of the pipeline's draws). Any transform that
    draws from numpy, ``random`` or torch (crop, flip, RandAugment, ...)
    therefore gives the same view ``v`` of image ``i`` in every run. The packed
    sample records ``sample_idx`` (``i``), ``view_idx`` (``v``) and
    ``view_pool`` (this pool's fingerprint) in its metainfo.

    Args:
        dataset (dict | BaseDataset): The dataset, with its training pipeline.
        num_views (int): Views per image (``K``).
        cache_seed (int): Seed of the pool. Defaults to 0.
    """

    def __init__(self, dataset: Union[dict, BaseDataset], num_views: int,
                 cache_seed: int = 0) -> None:
        if not isinstance(num_views, int) or num_views < 1:
            raise ValueError(f'ViewPoolDataset: num_views must be an int '
                             f'>= 1, got {num_views!r}')
        if not isinstance(cache_seed, int) or cache_seed < 0:
            raise ValueError(f'ViewPoolDataset: cache_seed must be an int '
                             f'>= 0, got {cache_seed!r}')
        self.dataset_cfg = copy.deepcopy(dataset) if isinstance(
            dataset, dict) else None
        self.dataset = (DATASETS.build(dataset)
                        if isinstance(dataset, dict) else dataset)
        self.num_views = num_views
        self.cache_seed = cache_seed
        self.description = describe(self.dataset, self.dataset_cfg,
                                    num_views, cache_seed)
        self.fingerprint = fingerprint_of(self.description)
        VIEW_POOLS[self.fingerprint] = self.description

    def full_init(self) -> None:
        """Fully initialise the wrapped dataset."""
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()

    @property
    def metainfo(self) -> dict:
        """The wrapped dataset's metainfo."""
        return self.dataset.metainfo

    def __len__(self) -> int:
        return len(self.dataset)

    def get_view(self, index: int, view: int) -> Any:
        """View ``view`` of image ``index``, packed by the pipeline."""
        if not 0 <= view < self.num_views:
            raise IndexError(f'view {view} out of range [0, '
                             f'{self.num_views})')
        with seeded_random_state(view_seed(self.cache_seed, index, view)):
            results = self.dataset[index]
        sample = results['data_samples']
        sample.set_metainfo(
            dict(sample_idx=index, view_idx=view,
                 view_pool=self.fingerprint))
        return results

    def __getitem__(self, index: int) -> Any:
        view = int(np.random.randint(self.num_views))
        return self.get_view(index, view)


def describe(dataset: Any, dataset_cfg: Union[dict, None], num_views: int,
             cache_seed: int) -> dict:
    """What determines the views: the dataset's config (type, split, subset
    and pipeline), its length, ``num_views`` and ``cache_seed``."""
    if dataset_cfg is None:
        dataset_cfg = dict(type=type(dataset).__name__,
                           pipeline=repr(getattr(dataset, 'pipeline', None)))
    cfg = json.loads(json.dumps(dict(dataset_cfg), default=str))
    for key in ('_scope_', 'lazy_init', 'data_root'):  # not the content
        cfg.pop(key, None)
    return dict(dataset=cfg, length=len(dataset), num_views=num_views,
                cache_seed=cache_seed)
