"""An interrupted and resumed HKSANC run ends exactly where an
uninterrupted one does.

Real Fashion-MNIST, one image per class (10 images, batch 4: 3 iterations
per epoch, the last one short), random crop and flip (NumPy), the
fake-as-real term on (torch dropout inside the D step), ``randomness=
dict(seed=0, deterministic=True)``, validation after every epoch, two
epochs, all through ``tools/train.py``:

* A: two epochs in one go;
* B: the same config, killed by an exception right after epoch 1's
  checkpoint was written (before its validation);
* C: the same config resumed from B's ``epoch_1.pth`` (an epoch boundary).

A's and C's ``epoch_2.pth`` (read with ``weights_only=True``) hold
bit-identical weights (student, connectors, discriminator, every buffer),
optimizer states (SGD momentum, Adam moments and steps), scheduler states
and random states. As a control, resuming B without ``RNGStateHook`` ends
elsewhere: the generators' states are what made C exact.
"""
import os.path as osp
from typing import Dict, List, Optional

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import DefaultScope

from conftest import CONFIG_ROOT, load_tool, tiny_run_options

DISTILL = osp.join(CONFIG_ROOT, 'hksanc',
                   'hksanc_preact-resnet29_resnet20-half_1xb128_'
                   'fashion-mnist-1k.py')
VANILLA_TEACHER = osp.join(CONFIG_ROOT, 'vanilla',
                           'preact-resnet29_1xb128_fashion-mnist.py')


class Interrupted(RuntimeError):
    """Stands for a killed job."""


class InterruptAfterFirstEpoch(Hook):
    """Raise once epoch 1's checkpoint is on disk (CheckpointHook runs
    before this LOWEST-priority hook)."""

    priority = 'LOWEST'

    def after_train_epoch(self, runner) -> None:
        if runner.epoch == 0:
            raise Interrupted('killed after epoch 1')


@pytest.fixture(scope='module', autouse=True)
def one_thread_and_determinism():
    """One intra-op thread; undo the Runner's deterministic switch."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(False)


@pytest.fixture(scope='module')
def train_module():
    return load_tool('train')


@pytest.fixture(scope='module')
def teacher_ckpt(tmp_path_factory) -> str:
    from mmpretrain.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        teacher = MODELS.build(Config.fromfile(VANILLA_TEACHER).model)
    torch.manual_seed(1)
    teacher.init_weights()
    path = str(tmp_path_factory.mktemp('teacher') / 'teacher.pth')
    torch.save({'state_dict': teacher.state_dict(), 'meta': {}}, path)
    return path


def train(train_module, monkeypatch, work_dir: str, teacher: str, name: str,
          resume: Optional[str] = None, hooks: List[Hook] = (),
          extra: Optional[Dict[str, object]] = None) -> None:
    options = tiny_run_options('fashion-mnist', batch_size=4)
    options.update({
        'model.teacher_ckpt': teacher,
        'model.teacher_attention_ckpt': None,
        'model.adversarial_loss.fake_as_real_weight': 0.5,
        'train_cfg.max_epochs': 2,
        'train_cfg.val_interval': 1,
        'randomness.seed': 0,
        'randomness.deterministic': True,
        # one MessageHub/logger per run even within the same second
        'experiment_name': name,
    })
    options.update(extra or {})
    original = train_module.build_runner

    def build_with_hooks(cfg):
        runner = original(cfg)
        for hook in hooks:
            runner.register_hook(hook)
        return runner

    monkeypatch.setattr(train_module, 'build_runner', build_with_hooks)
    argv = [DISTILL, '--work-dir', work_dir]
    if resume:
        argv += ['--resume', resume]
    argv += ['--cfg-options'] + [f'{k}={v}' for k, v in options.items()]
    try:
        train_module.main(argv)
    finally:
        monkeypatch.setattr(train_module, 'build_runner', original)


def load(path: str) -> dict:
    return torch.load(path, map_location='cpu', weights_only=True)


def differing(a: dict, b: dict, where: str = '') -> List[str]:
    """Paths where two nested checkpoint trees differ (exact)."""
    if isinstance(a, torch.Tensor):
        same = isinstance(b, torch.Tensor) and a.dtype == b.dtype and \
            torch.equal(a, b)
        return [] if same else [where]
    if isinstance(a, dict):
        if not isinstance(b, dict) or a.keys() != b.keys():
            return [where]
        return [p for k in a for p in differing(a[k], b[k], f'{where}.{k}')]
    if isinstance(a, (list, tuple)):
        if not isinstance(b, (list, tuple)) or len(a) != len(b):
            return [where]
        return [
            p for i, (x, y) in enumerate(zip(a, b))
            for p in differing(x, y, f'{where}[{i}]')
        ]
    return [] if a == b else [where]


def test_interrupted_and_resumed_run_is_exact(train_module, teacher_ckpt,
                                              fashion_mnist_root, tmp_path,
                                              monkeypatch):
    whole, killed, resumed = (str(tmp_path / n)
                              for n in ('whole', 'killed', 'resumed'))
    train(train_module, monkeypatch, whole, teacher_ckpt, 'resume_whole')
    with pytest.raises(Interrupted):
        train(train_module, monkeypatch, killed, teacher_ckpt,
              'resume_killed', hooks=[InterruptAfterFirstEpoch()])
    epoch_1 = osp.join(killed, 'epoch_1.pth')
    assert osp.isfile(epoch_1)
    assert not osp.exists(osp.join(killed, 'epoch_2.pth'))
    assert 'rng_state' in load(epoch_1)['meta']
    train(train_module, monkeypatch, resumed, teacher_ckpt, 'resume_resumed',
          resume=epoch_1)

    expected = load(osp.join(whole, 'epoch_2.pth'))
    got = load(osp.join(resumed, 'epoch_2.pth'))
    assert (got['meta']['epoch'], got['meta']['iter']) == (2, 6)
    assert (expected['meta']['epoch'], expected['meta']['iter']) == (2, 6)
    for key in ('state_dict', 'optimizer', 'param_schedulers'):
        assert differing(expected[key], got[key], key) == []
    assert differing(expected['meta']['rng_state'],
                     got['meta']['rng_state'], 'rng_state') == []
    # the run did train: the student moved since epoch 1
    first = load(epoch_1)['state_dict']
    assert differing(first, got['state_dict'], 'state_dict')

    # control: the same resumption without RNGStateHook is not exact
    control = str(tmp_path / 'control')
    train(train_module, monkeypatch, control, teacher_ckpt,
          'resume_control', resume=epoch_1, extra={'custom_hooks': []})
    diverged = differing(expected['state_dict'],
                         load(osp.join(control, 'epoch_2.pth'))['state_dict'])
    assert any(k.startswith('.architecture.') for k in diverged), diverged
