"""The two Fashion-MNIST HKSANC phases, end to end through tools/train.py.

On the real Fashion-MNIST reduced to one image per class (tiny_run_options):

1. teacher adaptation (``hksanc-adaptation_...``) from a random teacher
   checkpoint saved here, one epoch;
2. distillation (``hksanc_...``) with that teacher and the adaptation run's
   ``epoch_1.pth`` as ``teacher_attention_ckpt``, one epoch;
3. the distillation run resumed from its ``epoch_1.pth`` for a second epoch.

Checks: checkpoints written; validation logged ``accuracy/top1``; every
HKSANC loss and D accuracy logged and finite; the teacher and its attention
connector (loaded from the adaptation checkpoint) identical before and after
training while the student trained; the resumed Runner holds exactly the
checkpoint's states of both optimizers and of the student's scheduler.
"""
import copy
import glob
import json
import math
import os.path as osp
from typing import Dict, List

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from conftest import CONFIG_ROOT, load_tool, tiny_run_options

ADAPTATION = osp.join(CONFIG_ROOT, 'hksanc',
                      'hksanc-adaptation_preact-resnet29_1xb128_'
                      'fashion-mnist.py')
DISTILL = osp.join(CONFIG_ROOT, 'hksanc',
                   'hksanc_preact-resnet29_resnet20-half_1xb128_'
                   'fashion-mnist-1k.py')
VANILLA_TEACHER = osp.join(CONFIG_ROOT, 'vanilla',
                           'preact-resnet29_1xb128_fashion-mnist.py')
LOSS_KEYS = ('distill.loss_backbone', 'distill.loss_is', 'distill.loss_adv',
             'disc.loss_real', 'disc.loss_fake', 'disc.loss_category',
             'disc.loss_reg')
ACC_KEYS = ('disc.acc_real', 'disc.acc_fake', 'disc.acc_category_teacher',
            'disc.acc_category_student')


pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture(scope='module')
def train_module():
    """``tools/train.py`` loaded from its path (it is not a package)."""
    return load_tool('train')


def clone_state(module) -> Dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def changed(before, after) -> List[str]:
    assert before.keys() == after.keys()
    return [k for k in before if not torch.equal(before[k], after[k])]


class Watcher(Hook):
    """Keeps what the test needs from the Runner, before and after."""

    def __init__(self) -> None:
        self.before: Dict[str, object] = {}
        self.after: Dict[str, object] = {}

    @staticmethod
    def _capture(runner) -> Dict[str, object]:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        out: Dict[str, object] = dict(
            epoch=runner.epoch,
            iter=runner.iter,
            optimizer=copy.deepcopy(runner.optim_wrapper.state_dict()))
        if hasattr(model, 'distiller'):
            out['student'] = clone_state(model.student)
            out['teacher'] = clone_state(model.teacher)
            out['teacher_connector'] = clone_state(
                model.distiller.connectors['teacher_attention'])
            out['student_connector'] = clone_state(
                model.distiller.connectors['student_attention'])
            out['discriminator'] = clone_state(model.discriminator)
            out['schedulers'] = {
                name: [copy.deepcopy(s.state_dict()) for s in schedulers]
                for name, schedulers in runner.param_schedulers.items()
            }
        else:
            out['architecture'] = clone_state(model.architecture)
            out['connector'] = clone_state(model.connector)
        return out

    def before_train(self, runner) -> None:  # after load/resume
        self.before = self._capture(runner)

    def after_train(self, runner) -> None:
        self.after = self._capture(runner)


def train(train_module, monkeypatch, config: str, work_dir: str,
          options: Dict[str, object], resume: str = None) -> Watcher:
    watcher = Watcher()
    original = train_module.build_runner

    def build_and_watch(cfg):
        runner = original(cfg)
        runner.register_hook(watcher, priority='LOWEST')
        return runner

    monkeypatch.setattr(train_module, 'build_runner', build_and_watch)
    argv = [config, '--work-dir', work_dir]
    if resume:
        argv += ['--resume', resume]
    argv += ['--cfg-options'] + [f'{k}={v}' for k, v in options.items()]
    try:
        train_module.main(argv)
    finally:
        monkeypatch.setattr(train_module, 'build_runner', original)
    return watcher


def scalars(work_dir: str, exclude: List[str] = ()) -> List[dict]:
    """Records of the one ``<timestamp>/vis_data/scalars.json`` not in
    ``exclude``."""
    found = sorted(
        set(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
        - set(exclude))
    assert len(found) == 1, found
    with open(found[0]) as f:
        return [json.loads(line) for line in f if line.strip()]


def scalar_files(work_dir: str) -> List[str]:
    return glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))


def assert_same_tree(a, b, where='') -> None:
    """Nested dicts/lists of tensors and numbers are exactly equal."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and torch.equal(a, b), where
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), (where, a.keys(),
                                                              b.keys())
        for k in a:
            assert_same_tree(a[k], b[k], f'{where}.{k}')
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_tree(x, y, f'{where}[{i}]')
    else:
        assert a == b, (where, a, b)


@pytest.mark.parametrize('strategy', ['cos', 'linear'])
def test_one_cycle_scheduler_state_loads_weights_only(tmp_path, strategy):
    """The distillation config's OneCycleLR state (in every checkpoint's
    param_schedulers) pickles its annealing function as
    getattr(OneCycleParamScheduler, '_annealing_cos'): it must load under
    torch.load(weights_only=True), which is what --resume uses on torch 2."""
    import mmhkd  # noqa: F401  (installs the allow-list)
    from mmengine.optim.scheduler import OneCycleLR
    from mmengine.optim.scheduler.param_scheduler import \
        OneCycleParamScheduler
    from mmhkd.compat import UnsafeCheckpointGlobalError

    optimizer = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.1)
    scheduler = OneCycleLR(optimizer, eta_max=0.1, total_steps=10,
                           anneal_strategy=strategy)
    state = scheduler.state_dict()
    path = str(tmp_path / 'scheduler.pth')
    torch.save({'param_schedulers': {'student': [state]}}, path)
    loaded = torch.load(path, weights_only=True)
    restored = loaded['param_schedulers']['student'][0]
    assert restored['anneal_func'] is getattr(OneCycleParamScheduler,
                                              f'_annealing_{strategy}')
    assert restored.keys() == state.keys()

    class AsksGetattr:

        def __reduce__(self):
            return getattr, (OneCycleParamScheduler, '__init__')

    torch.save({'x': AsksGetattr()}, path)
    with pytest.raises(UnsafeCheckpointGlobalError, match='__init__'):
        torch.load(path, weights_only=True)


def tiny_options(max_epochs: int = 1) -> Dict[str, object]:
    options = tiny_run_options('fashion-mnist')
    options.update({
        'train_cfg.max_epochs': max_epochs,
        'train_cfg.val_interval': 1,
    })
    return options


def test_adaptation_then_distillation_then_resume(train_module,
                                                  fashion_mnist_root,
                                                  tmp_path, monkeypatch):
    from mmengine.config import Config
    from mmpretrain.registry import MODELS

    # phase 1 stand-in: a random teacher saved as a checkpoint
    teacher = MODELS.build(
        dict(_scope_='mmpretrain', **Config.fromfile(VANILLA_TEACHER).model))
    torch.manual_seed(1)
    teacher.init_weights()
    with torch.no_grad():  # unlike any fresh initialisation
        for param in teacher.parameters():
            param.add_(0.01 * torch.randn_like(param))
    teacher_ckpt = str(tmp_path / 'teacher.pth')
    torch.save({'state_dict': teacher.state_dict(), 'meta': {}}, teacher_ckpt)
    teacher_state = teacher.state_dict()

    # phase 2: teacher adaptation
    adapt_dir = str(tmp_path / 'adaptation')
    options = tiny_options()
    options['model.teacher_ckpt'] = teacher_ckpt
    watcher = train(train_module, monkeypatch, ADAPTATION, adapt_dir, options)
    adapt_ckpt = osp.join(adapt_dir, 'epoch_1.pth')
    assert osp.isfile(adapt_ckpt)
    records = scalars(adapt_dir)
    assert [r for r in records if 'accuracy/top1' in r]
    train_records = [r for r in records if 'loss_attention_ce' in r]
    assert train_records
    assert all(math.isfinite(r['loss_attention_ce']) for r in train_records)
    assert changed(teacher_state, watcher.before['architecture']) == []
    assert changed(teacher_state, watcher.after['architecture']) == []
    assert changed(watcher.before['connector'],
                   watcher.after['connector']) != []
    adapted_connector = watcher.after['connector']
    saved = torch.load(adapt_ckpt, map_location='cpu', weights_only=False)
    assert_same_tree(
        adapted_connector, {
            k[len('connector.'):]: v
            for k, v in saved['state_dict'].items()
            if k.startswith('connector.')
        })

    # phase 3: distillation, one epoch
    distill_dir = str(tmp_path / 'distill')
    options = tiny_options()
    options['model.teacher_ckpt'] = teacher_ckpt
    options['model.teacher_attention_ckpt'] = adapt_ckpt
    watcher = train(train_module, monkeypatch, DISTILL, distill_dir, options)
    epoch_1 = osp.join(distill_dir, 'epoch_1.pth')
    assert osp.isfile(epoch_1)
    first_scalars = scalar_files(distill_dir)
    records = scalars(distill_dir)
    val = [r for r in records if 'accuracy/top1' in r]
    assert val and 0.0 <= val[-1]['accuracy/top1'] <= 100.0
    train_records = [r for r in records if 'distill.loss_backbone' in r]
    assert train_records
    for record in train_records:
        for key in LOSS_KEYS + ACC_KEYS:
            assert key in record, (key, record)
            assert math.isfinite(record[key]), (key, record)
    for when in ('before', 'after'):
        state = getattr(watcher, when)
        assert changed(teacher_state, state['teacher']) == [], when
        assert changed(adapted_connector, state['teacher_connector']) == []
    assert changed(watcher.before['student'], watcher.after['student'])
    assert changed(watcher.before['student_connector'],
                   watcher.after['student_connector'])
    assert changed(watcher.before['discriminator'],
                   watcher.after['discriminator'])
    iters_per_epoch = watcher.after['iter']
    assert iters_per_epoch >= 1

    # the checkpoint holds both optimizers and the student's schedulers
    ckpt = torch.load(epoch_1, map_location='cpu', weights_only=False)
    assert set(ckpt['optimizer']) == {'student', 'discriminator'}
    assert ckpt['optimizer']['discriminator']['state']  # Adam moments
    assert ckpt['optimizer']['student']['state']  # SGD momentum
    assert 'student' in ckpt['param_schedulers']
    assert len(ckpt['param_schedulers']['student']) == 1

    # resume for a second epoch
    options = tiny_options(max_epochs=2)
    options['model.teacher_ckpt'] = teacher_ckpt
    options['model.teacher_attention_ckpt'] = adapt_ckpt
    resumed = train(train_module, monkeypatch, DISTILL, distill_dir, options,
                    resume=epoch_1)
    before = resumed.before
    assert before['epoch'] == 1 and before['iter'] == iters_per_epoch
    assert_same_tree(ckpt['optimizer'], before['optimizer'], 'optimizer')
    assert_same_tree(ckpt['param_schedulers']['student'],
                     before['schedulers']['student'], 'schedulers')
    # the model weights came back too (the student's, D's)
    prefix = 'architecture.'
    assert_same_tree(
        {k[len(prefix):]: v for k, v in ckpt['state_dict'].items()
         if k.startswith(prefix)}, before['student'])
    assert changed(watcher.after['discriminator'],
                   before['discriminator']) == []
    assert resumed.after['epoch'] == 2
    assert resumed.after['iter'] == 2 * iters_per_epoch
    assert osp.isfile(osp.join(distill_dir, 'epoch_2.pth'))
    assert changed(teacher_state, resumed.after['teacher']) == []
    records = scalars(distill_dir, exclude=first_scalars)
    second = [r for r in records if 'distill.loss_backbone' in r]
    assert second and all(r['epoch'] == 2 for r in second)
    assert all(r['iter'] > iters_per_epoch for r in second)
    assert [r for r in records if 'accuracy/top1' in r]
