"""Pick a class-balanced labelled subset of a training set, reproducibly."""
from typing import Optional

import numpy as np


def class_balanced_indices(labels: np.ndarray,
                           num_per_class: int,
                           seed: int = 0,
                           exclude: Optional[np.ndarray] = None) -> np.ndarray:
    """Indices of ``num_per_class`` random samples of every class.

    Args:
        labels (np.ndarray): Integer labels of the whole set.
        num_per_class (int): Samples to draw per class.
        seed (int): Seed of the draw; the same seed gives the same subset.
        exclude (np.ndarray, optional): Indices never to draw.

    Returns:
        np.ndarray: Sorted indices.
    """
    rng = np.random.RandomState(seed)
    allowed = np.ones(len(labels), dtype=bool)
    if exclude is not None:
        allowed[exclude] = False
    chosen = []
    for cls in np.unique(labels):
        pool = np.flatnonzero((labels == cls) & allowed)
        if len(pool) < num_per_class:
            raise ValueError(f'Class {cls} has only {len(pool)} samples, '
                             f'cannot draw num_per_class={num_per_class}.')
        chosen.append(rng.choice(pool, num_per_class, replace=False))
    return np.sort(np.concatenate(chosen))
