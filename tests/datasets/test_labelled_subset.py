"""Tests of class_balanced_indices."""
import numpy as np
import pytest

from mmhkd.datasets.labelled_subset import class_balanced_indices


@pytest.fixture
def labels():
    # 4 classes with 10, 12, 15 and 20 samples, shuffled
    raw = np.repeat(np.arange(4), [10, 12, 15, 20])
    return np.random.RandomState(7).permutation(raw)


def test_balanced_sorted_unique(labels):
    idx = class_balanced_indices(labels, 3, seed=0)
    assert idx.shape == (12, )
    assert np.all(np.diff(idx) > 0)  # sorted, no repeats
    np.testing.assert_array_equal(np.bincount(labels[idx], minlength=4),
                                  [3, 3, 3, 3])
    assert idx.min() >= 0 and idx.max() < len(labels)


def test_deterministic_per_seed_and_different_across_seeds(labels):
    a = class_balanced_indices(labels, 4, seed=3)
    b = class_balanced_indices(labels, 4, seed=3)
    np.testing.assert_array_equal(a, b)
    others = [class_balanced_indices(labels, 4, seed=s) for s in range(4, 8)]
    assert any(not np.array_equal(a, o) for o in others)


def test_seed_draw_is_independent_of_global_state(labels):
    np.random.seed(1)
    a = class_balanced_indices(labels, 2, seed=5)
    np.random.seed(2)
    b = class_balanced_indices(labels, 2, seed=5)
    np.testing.assert_array_equal(a, b)


def test_whole_class_when_asking_for_all(labels):
    idx = class_balanced_indices(labels, 10, seed=0)
    np.testing.assert_array_equal(np.sort(idx[labels[idx] == 0]),
                                  np.flatnonzero(labels == 0))


def test_exclude(labels):
    held = class_balanced_indices(labels, 5, seed=1)
    idx = class_balanced_indices(labels, 5, seed=2, exclude=held)
    assert not set(idx) & set(held)
    np.testing.assert_array_equal(np.bincount(labels[idx]), [5, 5, 5, 5])
    # class 0 has 10 samples: after excluding 5, exactly the other 5 remain
    rest = np.setdiff1d(np.flatnonzero(labels == 0), held)
    np.testing.assert_array_equal(idx[labels[idx] == 0], rest)


def test_too_few_samples(labels):
    with pytest.raises(ValueError,
                       match=r'^Class 0 has only 10 samples, cannot draw '
                       r'num_per_class=11\.$'):
        class_balanced_indices(labels, 11)


def test_too_few_after_exclusion(labels):
    held = class_balanced_indices(labels, 6, seed=1)
    with pytest.raises(ValueError,
                       match=r'^Class 0 has only 4 samples, cannot draw '
                       r'num_per_class=5\.$'):
        class_balanced_indices(labels, 5, exclude=held)
