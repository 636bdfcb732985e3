"""NonFiniteLossHook: stop at the first NaN/inf loss, checkpoints intact.

Unit checks on stand-in runners, then a real one: the tiny HKSANC run's
``epoch_1.pth`` resumed for a second epoch with ``loss_backbone``'s weight
set to NaN through tools/train.py. Training must stop in the first
iteration of epoch 2 naming the term, with ``epoch_1.pth`` byte-identical
and no newer checkpoint.
"""
import hashlib
import math
import os
import os.path as osp
import shutil
import sys
from types import SimpleNamespace
from typing import Dict

import pytest
import torch
from mmengine.hooks import CheckpointHook, LoggerHook
from mmengine.registry import HOOKS

from conftest import REPO_ROOT, tiny_run_options

sys.path.insert(0, osp.join(REPO_ROOT, 'tests', 'tools'))
from tiny_hksanc_run import load_tool, tiny_hksanc_run  # noqa: E402

from mmhkd.engine.hooks import NonFiniteLossHook  # noqa: E402
from mmhkd.engine.hooks.non_finite_loss_hook import \
    non_finite_terms  # noqa: E402


@pytest.fixture(scope='session')
def tiny_run(tmp_path_factory, fashion_mnist_root) -> Dict[str, str]:
    """Shared with the other tiny-run tests: trained once per session."""
    return tiny_hksanc_run(str(tmp_path_factory.getbasetemp() / 'tiny'))


def fake_runner(iteration: int = 6, epoch: int = 2):
    return SimpleNamespace(iter=iteration, epoch=epoch, work_dir='/w/run')


def test_finite_outputs_pass():
    hook = NonFiniteLossHook()
    outputs = {'loss': torch.tensor(1.5), 'disc.acc_real': torch.tensor(1.0),
               'count': torch.tensor(3), 'lr': 0.1}
    hook.after_train_iter(fake_runner(), 0, None, outputs)
    hook.after_train_iter(fake_runner(), 0, None, None)


def test_every_non_finite_term_is_named():
    outputs = {
        'loss': torch.tensor(float('nan')),
        'distill.loss_backbone': torch.tensor(float('inf')),
        'distill.loss_is': torch.tensor(0.5),
        'disc.loss_reg': -math.inf,
        'vector': torch.tensor([1.0, float('nan')]),
    }
    assert non_finite_terms(outputs) == [
        'loss=nan', 'distill.loss_backbone=inf', 'disc.loss_reg=-inf',
        'vector=tensor with non-finite entries'
    ]
    with pytest.raises(FloatingPointError) as err:
        NonFiniteLossHook().after_train_iter(fake_runner(6, 2), 2, None,
                                             outputs)
    message = str(err.value)
    assert message.startswith(
        'Non-finite loss at iteration 7 (epoch 3, batch 3): loss=nan, '
        'distill.loss_backbone=inf, disc.loss_reg=-inf')
    assert 'distill.loss_is' not in message
    assert '/w/run' in message and 'last good save' in message


def test_runs_after_the_logger_and_before_the_checkpoint_hook():
    from mmengine.hooks.hook import Hook
    from mmengine.runner.priority import get_priority
    hook = HOOKS.build(dict(type='NonFiniteLossHook'))
    assert isinstance(hook, Hook)
    mine = get_priority(hook.priority)
    assert get_priority(LoggerHook.priority) < mine
    assert mine < get_priority(CheckpointHook.priority)


def digest(path: str) -> str:
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_nan_loss_stops_training_and_keeps_the_last_checkpoint(
        tiny_run, tmp_path):
    work_dir = str(tmp_path / 'nan_run')
    os.makedirs(work_dir)
    epoch_1 = osp.join(work_dir, 'epoch_1.pth')
    shutil.copy(tiny_run['checkpoint'], epoch_1)
    before = digest(epoch_1)
    mtime = os.stat(epoch_1).st_mtime_ns
    iters_per_epoch = torch.load(
        epoch_1, map_location='cpu', weights_only=True)['meta']['iter']

    options = tiny_run_options('fashion-mnist')
    options.update({
        'train_cfg.max_epochs': 2,
        'train_cfg.val_interval': 1,
        'model.teacher_ckpt': tiny_run['teacher'],
        'model.teacher_attention_ckpt': None,
        # finite as a weight, infinite once the float32 loss is scaled by it
        'model.distiller.distill_losses.loss_backbone.loss_weight': 1e39,
    })
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with pytest.raises(FloatingPointError) as err:
            load_tool('train').main(
                [tiny_run['config'], '--work-dir', work_dir, '--resume',
                 epoch_1, '--cfg-options'] +
                [f'{k}={v}' for k, v in options.items()])
    finally:
        torch.set_num_threads(threads)
    message = str(err.value)
    assert message.startswith(
        f'Non-finite loss at iteration {iters_per_epoch + 1} (epoch 2, '
        'batch 1): ')
    assert 'distill.loss_backbone=inf' in message and 'loss=inf' in message
    assert 'distill.loss_is=' not in message  # finite terms are not named
    assert digest(epoch_1) == before
    assert os.stat(epoch_1).st_mtime_ns == mtime
    assert sorted(f for f in os.listdir(work_dir)
                  if f.endswith('.pth')) == ['epoch_1.pth']
    assert not osp.exists(osp.join(work_dir, 'last_checkpoint'))
