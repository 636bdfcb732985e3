"""A KD run on Fashion-MNIST, interrupted and resumed with ``--resume``,
continues from its last checkpoint, loaded with ``weights_only=True``.

Real data (one image per class), the real KD config, ``tools/train.py``:
the run is killed by an exception right after epoch 1's checkpoint, then
``--resume`` (no path: the work dir's latest checkpoint) finishes epoch 2.
Every ``torch.load`` of the resumed run is recorded and must be a
weights-only load.
"""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import DefaultScope

from conftest import CONFIG_ROOT, load_tool, tiny_run_options

KD = osp.join(CONFIG_ROOT, 'distill', 'kd',
              'kd_logits_preact-resnet29_resnet20-half_1xb128_'
              'fashion-mnist-1k.py')
TEACHER = osp.join(CONFIG_ROOT, 'vanilla',
                   'preact-resnet29_1xb128_fashion-mnist.py')


class Killed(RuntimeError):
    """Stands for a killed job."""


class KillAfterFirstEpoch(Hook):
    priority = 'LOWEST'  # after CheckpointHook wrote epoch_1.pth

    def after_train_epoch(self, runner) -> None:
        if runner.epoch == 0:
            raise Killed('killed after epoch 1')


def load_train_tool():
    return load_tool('train')


def test_kd_run_resumes_from_last_checkpoint_weights_only(
        fashion_mnist_root, tmp_path, monkeypatch):
    from mmpretrain.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        teacher = MODELS.build(Config.fromfile(TEACHER).model)
    teacher.init_weights()
    teacher_ckpt = str(tmp_path / 'teacher.pth')
    torch.save({'state_dict': teacher.state_dict(), 'meta': {}}, teacher_ckpt)

    tool = load_train_tool()
    work_dir = str(tmp_path / 'kd')
    options = tiny_run_options('fashion-mnist', batch_size=4)
    options.update({
        'model.teacher_ckpt': teacher_ckpt,
        'train_cfg.max_epochs': 2,
        'train_cfg.val_interval': 1,
    })
    argv = [KD, '--work-dir', work_dir, '--cfg-options'] + [
        f'{k}={v}' for k, v in options.items()
    ]
    original_build = tool.build_runner

    def build_and_kill(cfg):
        runner = original_build(cfg)
        runner.register_hook(KillAfterFirstEpoch())
        return runner

    monkeypatch.setattr(tool, 'build_runner', build_and_kill)
    with pytest.raises(Killed):
        tool.main(argv)
    monkeypatch.setattr(tool, 'build_runner', original_build)
    assert osp.isfile(osp.join(work_dir, 'epoch_1.pth'))
    assert not osp.exists(osp.join(work_dir, 'epoch_2.pth'))
    epoch_1 = torch.load(
        osp.join(work_dir, 'epoch_1.pth'), weights_only=True)

    # a plain rerun into the same work dir is refused: nothing overwritten
    with pytest.raises(FileExistsError, match='--resume'):
        tool.main(argv)

    loads = []
    real_load = torch.load

    def recording_load(*args, **kwargs):
        loads.append(kwargs.get('weights_only', True))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, 'load', recording_load)
    resumed = []

    def build_and_record(cfg):
        runner = original_build(cfg)
        resumed.append(runner)
        return runner

    monkeypatch.setattr(tool, 'build_runner', build_and_record)
    tool.main(argv[:3] + ['--resume'] + argv[3:])
    monkeypatch.setattr(torch, 'load', real_load)

    assert loads and all(flag is True for flag in loads), loads
    runner = resumed[0]
    assert runner._has_loaded  # resumed, not trained from scratch
    epoch_2 = torch.load(
        osp.join(work_dir, 'epoch_2.pth'), weights_only=True)
    assert (epoch_1['meta']['epoch'], epoch_2['meta']['epoch']) == (1, 2)
    assert epoch_2['meta']['iter'] == 2 * epoch_1['meta']['iter']
    # the student trained on from epoch 1's weights, the teacher did not
    keys = [k for k in epoch_1['state_dict'] if k.startswith('architecture.')
            and k.endswith('weight')]
    assert any(not torch.equal(epoch_1['state_dict'][k],
                               epoch_2['state_dict'][k]) for k in keys)
    for key, value in epoch_1['state_dict'].items():
        if key.startswith('teacher.'):
            assert torch.equal(value, epoch_2['state_dict'][key]), key
