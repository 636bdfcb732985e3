"""Tests of mmhkd.compat.safe_checkpoint_loading.

A real (tiny) mmengine Runner is trained for two epochs; its checkpoints
must load with ``torch.load(weights_only=True)`` and resume a Runner, while
checkpoints that pickle any other callable must be refused.
"""
import builtins
import copy
import io
import os
import os.path as osp
import pickle

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import Runner

import mmhkd  # noqa: F401
from mmhkd.compat import UnsafeCheckpointGlobalError
from mmhkd.compat.safe_checkpoint_loading import (
    allow_mmengine_checkpoint_globals, history_buffer_getattr,
    mmengine_checkpoint_safe_globals)

BASE_LR = 0.1
GAMMA = 0.1


class TinyRegressor(BaseModel):
    """y = w.x + b with an MSE loss."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 1)

    def forward(self, inputs, targets, mode='tensor'):
        x = torch.stack(inputs)
        y = torch.stack(targets)
        out = self.linear(x).squeeze(1)
        if mode == 'loss':
            return dict(loss=F.mse_loss(out, y))
        if mode == 'predict':
            return [(o, t) for o, t in zip(out, y)]
        return out


class TinyMAE(BaseMetric):
    default_prefix = 'tiny'

    def process(self, data_batch, data_samples):
        for pred, target in data_samples:
            self.results.append(float((pred - target).abs()))

    def compute_metrics(self, results):
        return dict(mae=float(np.mean(results)))


class RecordStateHook(Hook):
    """Copies the loop/optimizer state when training starts (after resume)."""

    def __init__(self):
        self.seen = {}

    def before_train(self, runner):
        self.seen = dict(
            epoch=runner.epoch,
            iter=runner.iter,
            optimizer=copy.deepcopy(
                runner.optim_wrapper.optimizer.state_dict()),
            lr=runner.optim_wrapper.optimizer.param_groups[0]['lr'],
            weight=runner.model.linear.weight.detach().clone())


def make_dataset(n=8):
    gen = torch.Generator().manual_seed(0)
    xs = torch.randn(n, 3, generator=gen)
    ys = xs @ torch.tensor([1.0, -2.0, 0.5]) + 0.3
    return [dict(inputs=x, targets=y) for x, y in zip(xs, ys)]


def make_runner(work_dir, max_epochs=2, hooks=None, **kwargs):
    loader = dict(
        dataset=make_dataset(),
        sampler=dict(type='DefaultSampler', shuffle=True, seed=0),
        batch_size=4,
        num_workers=0)
    return Runner(
        model=TinyRegressor(),
        work_dir=str(work_dir),
        train_dataloader=loader,
        val_dataloader=copy.deepcopy(loader),
        val_evaluator=[TinyMAE()],
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs, val_interval=1),
        val_cfg=dict(),
        optim_wrapper=dict(
            optimizer=dict(type='SGD', lr=BASE_LR, momentum=0.9)),
        param_scheduler=dict(
            type='MultiStepLR', by_epoch=True, milestones=[1], gamma=GAMMA),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=1),
            logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=hooks,
        randomness=dict(seed=0),
        default_scope='mmengine',
        experiment_name=f'tiny_{osp.basename(str(work_dir))}',
        **kwargs)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('runner')
    runner = make_runner(work_dir)
    runner.train()
    return runner, str(work_dir)


def test_checkpoint_loads_weights_only_and_restores_history(trained):
    runner, work_dir = trained
    ckpt_path = osp.join(work_dir, 'epoch_2.pth')
    ckpt = torch.load(ckpt_path, weights_only=True, map_location='cpu')

    assert ckpt['meta']['epoch'] == 2
    assert ckpt['meta']['iter'] == runner.iter == 4  # 2 epochs x 8/4 iters
    torch.testing.assert_close(ckpt['state_dict']['linear.weight'],
                               runner.model.linear.weight.detach())

    saved_scalars = ckpt['message_hub']['log_scalars']
    live_scalars = runner.message_hub.log_scalars
    assert set(saved_scalars) == set(live_scalars)
    for key in ('train/loss', 'train/lr', 'train/time'):
        saved, live = saved_scalars[key], live_scalars[key]
        assert isinstance(saved, HistoryBuffer)
        data, counts = saved.data
        live_data, live_counts = live.data
        assert len(data) == 4  # one entry per training iteration
        np.testing.assert_allclose(data, live_data)
        np.testing.assert_allclose(counts, live_counts)
        for stat in ('mean', 'min', 'max', 'current'):
            assert saved.statistics(stat) == pytest.approx(
                live.statistics(stat))
        assert saved.mean() == pytest.approx(float(np.mean(live_data)))
        assert saved.min() == pytest.approx(float(np.min(live_data)))
    # epoch_2.pth is written before the second validation: the saved
    # val history is the first validation of the live one
    saved_mae = saved_scalars['val/tiny/mae'].data[0]
    live_mae = live_scalars['val/tiny/mae'].data[0]
    assert len(saved_mae) == 1 and len(live_mae) == 2
    np.testing.assert_allclose(saved_mae, live_mae[:1])
    # the learning rate history really saw the MultiStepLR decay
    lrs = saved_scalars['train/lr'].data[0]
    assert lrs[0] == pytest.approx(BASE_LR)
    assert lrs[-1] == pytest.approx(BASE_LR * GAMMA)


def test_allow_list_is_what_makes_the_checkpoint_loadable(trained):
    _, work_dir = trained
    ckpt_path = osp.join(work_dir, 'epoch_2.pth')
    saved = torch.serialization.get_safe_globals()
    torch.serialization.clear_safe_globals()
    try:
        with pytest.raises(pickle.UnpicklingError, match='Weights only'):
            torch.load(ckpt_path, weights_only=True)
    finally:
        torch.serialization.clear_safe_globals()
        torch.serialization.add_safe_globals(saved)
    # and once restored, loading works again
    assert torch.load(ckpt_path, weights_only=True)['meta']['epoch'] == 2


def test_allow_list_is_idempotent_and_has_no_plain_getattr():
    before = len(torch.serialization.get_safe_globals())
    allow_mmengine_checkpoint_globals()
    allow_mmengine_checkpoint_globals()
    after = torch.serialization.get_safe_globals()
    assert len(after) == before
    allowed_callables = [
        g[0] if isinstance(g, tuple) else g for g in after
    ]
    assert not any(c is getattr for c in allowed_callables)
    assert not any(c is builtins.eval for c in allowed_callables)
    names = {g[1] for g in mmengine_checkpoint_safe_globals()
             if isinstance(g, tuple)}
    assert {'builtins.getattr', '__builtin__.getattr'} <= names


def test_resume_from_checkpoint_restores_loop_and_optimizer(trained,
                                                            tmp_path):
    runner, work_dir = trained
    ckpt_path = osp.join(work_dir, 'epoch_1.pth')
    ckpt = torch.load(ckpt_path, weights_only=True)
    hook = RecordStateHook()
    resumed = make_runner(
        tmp_path / 'resumed', hooks=[hook], resume=True, load_from=ckpt_path)
    resumed.train()  # mmengine's own torch.load: weights_only by default

    seen = hook.seen
    assert seen['epoch'] == ckpt['meta']['epoch'] == 1
    assert seen['iter'] == ckpt['meta']['iter'] == 2
    torch.testing.assert_close(seen['weight'],
                               ckpt['state_dict']['linear.weight'])
    saved_opt = ckpt['optimizer']
    assert seen['optimizer']['param_groups'][0]['lr'] == pytest.approx(
        saved_opt['param_groups'][0]['lr'])
    assert seen['lr'] == pytest.approx(BASE_LR * GAMMA)
    assert set(seen['optimizer']['state']) == set(saved_opt['state'])
    for key, state in saved_opt['state'].items():
        torch.testing.assert_close(seen['optimizer']['state'][key]
                                   ['momentum_buffer'],
                                   state['momentum_buffer'])
    # the resumed message hub carries the first run's epoch-1 history
    # and, after the second epoch, the same end state as the full run
    assert resumed.epoch == runner.epoch == 2
    assert resumed.iter == runner.iter == 4
    torch.testing.assert_close(resumed.model.linear.weight,
                               runner.model.linear.weight)
    np.testing.assert_allclose(
        resumed.message_hub.log_scalars['train/loss'].data[0],
        runner.message_hub.log_scalars['train/loss'].data[0])


class RunsShell:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


class CallsEval:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (builtins.eval,
                (f"open({self.marker!r}, 'w').close()", ))


class AsksGetattr:
    def __init__(self, obj, name):
        self.obj, self.name = obj, name

    def __reduce__(self):
        return (getattr, (self.obj, self.name))


def _saved(payload, protocol=2):
    buffer = io.BytesIO()
    torch.save(payload, buffer, pickle_protocol=protocol)
    buffer.seek(0)
    return buffer


@pytest.mark.parametrize('evil', [RunsShell, CallsEval])
def test_checkpoint_with_disallowed_callable_is_refused(evil, tmp_path):
    marker = tmp_path / 'ran'
    payload = {'state_dict': {'w': torch.zeros(2)},
               'message_hub': evil(str(marker))}
    with pytest.raises(pickle.UnpicklingError,
                       match='Weights only load failed'):
        torch.load(_saved(payload), weights_only=True)
    assert not marker.exists()


def test_system_refusal_names_the_blocked_global(tmp_path):
    marker = tmp_path / 'ran'
    with pytest.raises(pickle.UnpicklingError, match=r'system'):
        torch.load(_saved({'x': RunsShell(str(marker))}), weights_only=True)
    assert not marker.exists()


@pytest.mark.parametrize('obj,name', [
    (HistoryBuffer, '__class__'),
    (HistoryBuffer, '__init__'),
    ({'a': 1}, '__class__'),
    (3, '__class__'),
])
def test_crafted_getattr_pickle_is_refused(obj, name):
    # protocol 2 pickles getattr as the global builtins.getattr (via
    # __builtin__ mapping): it resolves to history_buffer_getattr
    raw = pickle.dumps(AsksGetattr(obj, name), protocol=2)
    assert b'getattr' in raw
    with pytest.raises(UnsafeCheckpointGlobalError,
                       match=r'only allows getattr\(HistoryBuffer'):
        torch.load(_saved({'x': AsksGetattr(obj, name)}), weights_only=True)


def test_getattr_of_a_statistic_method_is_allowed():
    loaded = torch.load(
        _saved({'x': AsksGetattr(HistoryBuffer, 'min')}), weights_only=True)
    assert loaded['x'] is HistoryBuffer.min


@pytest.mark.parametrize('name', ['min', 'max', 'current', 'mean'])
def test_history_buffer_getattr_returns_statistics(name):
    assert history_buffer_getattr(HistoryBuffer, name) is getattr(
        HistoryBuffer, name)


def test_history_buffer_getattr_custom_statistic_registered():
    assert 'mean' in HistoryBuffer._statistics_methods
    for name in HistoryBuffer._statistics_methods:
        assert history_buffer_getattr(HistoryBuffer, name) is getattr(
            HistoryBuffer, name)


@pytest.mark.parametrize('obj,name', [
    (HistoryBuffer, '__init__'),
    (HistoryBuffer, '__class__'),
    (HistoryBuffer, 'update'),
    (HistoryBuffer(), 'min'),
    (object, 'min'),
    (os, 'system'),
])
def test_history_buffer_getattr_refuses(obj, name):
    with pytest.raises(UnsafeCheckpointGlobalError) as info:
        history_buffer_getattr(obj, name)
    message = str(info.value)
    assert f'getattr({obj!r}, {name!r})' in message
    assert 'weights_only=True' in message
    assert isinstance(info.value, TypeError)


class _BuildsOneCycleScheduler:
    """Pickles as a call of OneCycleParamScheduler's constructor."""

    def __reduce__(self):
        from mmengine.optim.scheduler.param_scheduler import \
            OneCycleParamScheduler
        return (OneCycleParamScheduler, (None, 'lr'))


def test_checkpoint_cannot_construct_one_cycle_scheduler(tmp_path):
    import pickle as _pickle

    import torch as _torch

    from mmhkd.compat import UnsafeCheckpointGlobalError as _Unsafe
    path = tmp_path / 'constructs_scheduler.pth'
    _torch.save({'x': _BuildsOneCycleScheduler()}, path)
    with pytest.raises((_Unsafe, _pickle.UnpicklingError),
                       match='OneCycleParamScheduler'):
        _torch.load(path, weights_only=True)
