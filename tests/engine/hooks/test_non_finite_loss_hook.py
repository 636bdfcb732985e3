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


def fake_runner(iteration: int = 6, epoch: int = 2, work_dir='/w/run'):
    return SimpleNamespace(iter=iteration, epoch=epoch, work_dir=work_dir,
                           model=torch.nn.Linear(3, 2), hooks=[],
                           max_epochs=10)


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
    assert message.endswith('No checkpoint had been written to /w/run; '
                            'nothing was overwritten. Lower the learning '
                            'rate or the weight of the offending term and '
                            'start again.')


def test_a_diverging_update_with_a_finite_loss_is_stopped(tmp_path):
    runner = fake_runner(work_dir=str(tmp_path))
    (tmp_path / 'epoch_2.pth').write_bytes(b'x')
    hook = NonFiniteLossHook(max_norm_growth=10.0)
    hook.before_train(runner)
    hook.after_train_iter(runner, 0, None, {'loss': torch.tensor(1.0)})
    with torch.no_grad():
        runner.model.weight.mul_(1e19)  # finite, as a 1e40 lr step gives
    with pytest.raises(FloatingPointError) as err:
        hook.after_train_iter(runner, 1, None, {'loss': torch.tensor(1.0)})
    message = str(err.value)
    assert message.startswith('Diverging update at iteration 7 (epoch 3, '
                              'batch 2): the norm of the trainable weights '
                              'grew from ')
    # off by default: only non-finite weights are refused
    NonFiniteLossHook().after_train_iter(runner, 1, None,
                                         {'loss': torch.tensor(1.0)})
    assert f'{tmp_path}/epoch_2.pth is the last checkpoint' in message
    assert f'load_from={tmp_path}/epoch_2.pth' in message
    assert '--resume would restore the optimizer' in message
    with torch.no_grad():
        runner.model.weight.fill_(float('inf'))
    with pytest.raises(FloatingPointError, match='Non-finite weights after '
                       'the update of iteration 7'):
        hook.after_train_iter(runner, 1, None, {'loss': torch.tensor(1.0)})


def test_max_norm_growth_must_exceed_one():
    with pytest.raises(ValueError, match='max_norm_growth must be > 1'):
        NonFiniteLossHook(max_norm_growth=1.0)


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
    # the advice works: a new run from those weights with the term's weight
    # lowered trains through epoch 2
    assert f'load_from={epoch_1}' in message
    options.update({
        'model.distiller.distill_losses.loss_backbone.loss_weight': 1.0,
        'load_from': epoch_1})
    new_dir = str(tmp_path / 'from_epoch_1')
    torch.set_num_threads(1)
    try:
        load_tool('train').main(
            [tiny_run['config'], '--work-dir', new_dir, '--cfg-options'] +
            [f'{k}={v}' for k, v in options.items()])
    finally:
        torch.set_num_threads(threads)
    assert osp.isfile(osp.join(new_dir, 'epoch_2.pth'))
    assert digest(epoch_1) == before


def test_diverged_weights_are_never_checkpointed(tiny_run, tmp_path):
    """A learning rate x 1e30 on the last iteration of epoch 1: that update's
    loss is finite, its weights are not usable; epoch_1.pth must not be
    written, and the message says there is no checkpoint yet."""
    from mmhkd.engine.launch import build_runner, build_runner_config
    options = tiny_run_options('fashion-mnist')
    options.update({
        'train_cfg.max_epochs': 2,
        'model.teacher_ckpt': tiny_run['teacher'],
        'model.teacher_attention_ckpt': None,
    })
    work_dir = str(tmp_path / 'diverge')
    cfg = build_runner_config(tiny_run['config'], work_dir=work_dir,
                              cfg_options=options)
    iters_per_epoch = 3  # 10 images in batches of 4
    cfg.param_scheduler.student = [dict(
        type='MultiStepLR', milestones=[iters_per_epoch - 1], gamma=1e30,
        by_epoch=False)]
    cfg.experiment_name = 'diverge'
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with pytest.raises(FloatingPointError) as err:
            build_runner(cfg).train()
    finally:
        torch.set_num_threads(threads)
    message = str(err.value)
    assert message.startswith('Non-finite predictions at the end of epoch '
                              '1: the weights give NaN or infinite scores')
    assert not [f for f in os.listdir(work_dir) if f.endswith('.pth')]
    assert 'No checkpoint had been written' in message
