"""ViewPoolDataset: view v of image i is a pure function of (seed, i, v)."""
import random

import numpy as np
import pytest
import torch

from mmhkd.datasets.view_pool import (VIEW_POOLS, ViewPoolDataset,
                                      seeded_random_state, view_seed)

# mmpretrain transforms that draw from numpy (crop, flip, rotate)
PIPELINE = [
    dict(type='CentrePad', size=(32, 32), pad_val=0),
    dict(type='RandomResizedCrop', scale=24, crop_ratio_range=(0.3, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='Rotate', angle=30.0, prob=0.5, random_negative_prob=0.5),
    dict(type='PackInputs'),
]


def make_pool(fashion_mnist_root, num_views=4, cache_seed=0, per_class=2):
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return ViewPoolDataset(
            dict(type='FashionMNISTIdx', data_root=fashion_mnist_root,
                 split='train', num_per_class=per_class, pipeline=PIPELINE),
            num_views=num_views, cache_seed=cache_seed)


@pytest.fixture(scope='module')
def pool(fashion_mnist_root):
    return make_pool(fashion_mnist_root)


def image(sample) -> np.ndarray:
    return sample['inputs'].numpy()


def test_a_view_is_the_same_whatever_the_global_random_state(pool):
    np.random.seed(1)
    random.seed(1)
    torch.manual_seed(1)
    first = image(pool.get_view(3, 2))
    np.random.seed(99)
    random.seed(99)
    torch.manual_seed(99)
    np.random.rand(7)
    assert np.array_equal(image(pool.get_view(3, 2)), first)


def test_views_differ_and_other_seeds_give_other_views(pool,
                                                       fashion_mnist_root):
    views = [image(pool.get_view(5, v)) for v in range(4)]
    assert len({v.tobytes() for v in views}) == 4
    other = make_pool(fashion_mnist_root, cache_seed=1)
    assert not np.array_equal(image(other.get_view(5, 0)), views[0])
    assert other.fingerprint != pool.fingerprint


def test_the_run_generators_do_not_depend_on_the_pipeline_draws(
        pool, fashion_mnist_root):
    """After a view, the caller's generators continue as a function of
    their own state: a pipeline that draws nothing leaves the same states."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        plain = ViewPoolDataset(
            dict(type='FashionMNISTIdx', data_root=fashion_mnist_root,
                 split='train', num_per_class=2,
                 pipeline=[dict(type='PackInputs')]), num_views=4)

    def after(dataset):
        np.random.seed(5)
        random.seed(5)
        torch.manual_seed(5)
        dataset.get_view(0, 1)
        return (np.random.rand(), random.random(), torch.rand(1).item())

    assert after(pool) == after(plain)
    # Python's and torch's are restored exactly; numpy's continues from a
    # seed drawn from its own stream before the view
    continuation = np.random.RandomState(5).randint(2**31 - 1)
    expected = (np.random.RandomState(continuation).rand(),
                random.Random(5).random(),
                torch.rand(1, generator=torch.Generator().manual_seed(
                    5)).item())
    assert after(pool) == expected


def test_getitem_draws_the_view_from_the_run_random_state(pool):
    np.random.seed(11)
    drawn = [pool[i].get('data_samples').view_idx for i in range(8)]
    # independently: one view draw, then the continuation seed, per sample
    reference = np.random.RandomState(11)
    expected = []
    for _ in range(8):
        expected.append(int(reference.randint(4)))
        reference = np.random.RandomState(reference.randint(2**31 - 1))
    assert drawn == expected
    np.random.seed(11)
    sample = pool[6]
    assert np.array_equal(image(sample),
                          image(pool.get_view(6, expected[0])))


def test_samples_record_image_view_and_pool(pool):
    meta = pool.get_view(7, 3)['data_samples'].metainfo
    assert (meta['sample_idx'], meta['view_idx'],
            meta['view_pool']) == (7, 3, pool.fingerprint)
    assert VIEW_POOLS[pool.fingerprint]['num_views'] == 4
    assert VIEW_POOLS[pool.fingerprint]['length'] == len(pool) == 20
    assert pool.description['dataset']['num_per_class'] == 2
    assert 'data_root' not in pool.description['dataset']


def test_view_seed_and_seeded_state_are_deterministic():
    assert view_seed(0, 3, 1) == view_seed(0, 3, 1)
    assert len({view_seed(0, 3, 1), view_seed(0, 3, 2), view_seed(1, 3, 1),
                view_seed(0, 4, 1)}) == 4
    with seeded_random_state(42):
        a = (np.random.rand(), random.random(), torch.rand(1).item())
    with seeded_random_state(42):
        b = (np.random.rand(), random.random(), torch.rand(1).item())
    assert a == b


@pytest.mark.parametrize('bad', [0, -1, 2.0])
def test_bad_num_views_is_refused(fashion_mnist_root, bad):
    with pytest.raises(ValueError, match='num_views must be an int >= 1'):
        make_pool(fashion_mnist_root, num_views=bad)


def test_out_of_range_view_is_refused(pool):
    with pytest.raises(IndexError, match=r'view 4 out of range \[0, 4\)'):
        pool.get_view(0, 4)
