"""RNGStateHook: generator states in checkpoints, restored on resume only.

A stand-in runner (epoch, iter, cfg) drives the hook's methods in the order
the Runner calls them; checkpoints go through ``torch.save`` and
``torch.load(weights_only=True)``.
"""
import random
from types import SimpleNamespace
from typing import List

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmhkd.engine.hooks import (RNGStateHook, capture_rng_state,
                                restore_rng_state)


def draws() -> List[float]:
    """One number from each global generator."""
    return [random.random(), float(np.random.rand()), float(torch.rand(()))]


def runner(epoch: int, iteration: int, **randomness) -> SimpleNamespace:
    return SimpleNamespace(
        epoch=epoch, iter=iteration,
        cfg=Config(dict(randomness=dict(seed=0, **randomness))))


def save_and_load(checkpoint: dict, tmp_path) -> dict:
    path = tmp_path / 'ckpt.pth'
    torch.save(checkpoint, path)
    return torch.load(path, weights_only=True)


def test_capture_restore_round_trip():
    np.random.randn()  # a cached Gaussian is part of NumPy's state
    state = capture_rng_state()
    expected = draws()
    draws()
    restore_rng_state(state)
    assert draws() == expected


def test_resume_restores_states_from_checkpoint(tmp_path):
    hook = RNGStateHook()
    checkpoint = dict(meta=dict(epoch=1, iter=3))
    hook.before_save_checkpoint(runner(0, 3), checkpoint)
    expected = draws()
    loaded = save_and_load(checkpoint, tmp_path)  # weights_only=True
    draws()  # a new process starts elsewhere
    resumed = RNGStateHook()
    resumed.after_load_checkpoint(runner(0, 0), loaded)
    resumed.before_train(runner(1, 3))  # Runner.resume set epoch, iter
    assert draws() == expected


def test_load_from_without_resume_leaves_generators(tmp_path):
    hook = RNGStateHook()
    checkpoint = dict(meta=dict(epoch=1, iter=3))
    hook.before_save_checkpoint(runner(0, 3), checkpoint)
    fresh = RNGStateHook()
    fresh.after_load_checkpoint(runner(0, 0),
                                save_and_load(checkpoint, tmp_path))
    state = capture_rng_state()
    expected = draws()
    restore_rng_state(state)
    fresh.before_train(runner(0, 0))  # weights only: epoch 0, iter 0
    assert draws() == expected


def test_checkpoint_without_states_is_ignored():
    hook = RNGStateHook()
    hook.after_load_checkpoint(runner(0, 0), dict(meta=dict(epoch=1,
                                                            iter=3)))
    state = capture_rng_state()
    expected = draws()
    restore_rng_state(state)
    hook.before_train(runner(1, 3))
    assert draws() == expected


def test_validation_is_neutral_and_saves_training_states():
    hook = RNGStateHook()
    hook.before_val(runner(1, 3))
    expected = draws()
    draws()  # validation draws
    checkpoint = dict(meta={})
    hook.before_save_checkpoint(runner(1, 3), checkpoint)  # best ckpt
    hook.after_val(runner(1, 3))
    assert draws() == expected
    restore_rng_state(checkpoint['meta']['rng_state'])
    assert draws() == expected


def test_diff_rank_seed_in_distributed_run_is_not_restored(monkeypatch):
    import mmhkd.engine.hooks.rng_state_hook as module
    monkeypatch.setattr(module, 'get_world_size', lambda: 2)
    hook = RNGStateHook()
    checkpoint = dict(meta=dict(epoch=1, iter=3))
    hook.before_save_checkpoint(runner(0, 3), checkpoint)
    hook.after_load_checkpoint(runner(0, 0), checkpoint)
    draws()
    state = capture_rng_state()
    expected = draws()
    restore_rng_state(state)
    hook.before_train(runner(1, 3, diff_rank_seed=True))
    assert draws() == expected


@pytest.fixture(autouse=True)
def keep_global_generators():
    state = capture_rng_state()
    yield
    restore_rng_state(state)
