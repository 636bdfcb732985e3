"""One short training epoch for every vanilla and baseline-distillation config.

Every file under ``configs/vanilla`` and ``configs/distill/{kd,dkd,at,fitnets}``
(found by glob, so new configs are covered) is trained for one epoch on tiny
data through ``tools/train.py``'s ``main`` with string ``--cfg-options``, as a
user would. The Runner that ``main`` builds is captured (``build_runner`` is
wrapped) so that a hook can check the teacher before and after the epoch.

Checks: the run finishes, ``epoch_1.pth`` is saved, validation logged
``accuracy/top1``; for distillation configs every ``distill.*`` loss is logged
and finite, and the teacher (weights and BN statistics) did not change while
the student did.
"""
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

DISTILL_METHODS = ('kd', 'dkd', 'at', 'fitnets')
# CIFAR configs train on the first few synthetic images only: two iterations
# of batch 4 instead of 50 (the CIFAR-100 fixture has 200 training images).
CIFAR_TRAIN_IMAGES = 8


def _discover() -> List[str]:
    paths = glob.glob(osp.join(CONFIG_ROOT, 'vanilla', '*.py'))
    for method in DISTILL_METHODS:
        paths += glob.glob(osp.join(CONFIG_ROOT, 'distill', method, '*.py'))
    return sorted(osp.relpath(p, CONFIG_ROOT) for p in paths)


CONFIGS = _discover()


def _dataset_of(config: str) -> str:
    name = osp.basename(config)
    if 'fashion-mnist' in name:
        return 'fashion-mnist'
    if name.endswith('_cifar100.py'):
        return 'cifar100'
    if name.endswith('_cifar10.py'):
        return 'cifar10'
    raise ValueError(f'cannot tell the data set of {config}')


def _is_distill(config: str) -> bool:
    return config.split(osp.sep)[0] == 'distill'


@pytest.fixture(autouse=True)
def fast_runs(monkeypatch):
    """Two speed-ups that change nothing the tests check.

    mmengine formats the config with yapf each time it logs or dumps it
    (about 0.8 s a call, several calls a run, here); the text is only
    cosmetic, so it is left unformatted. Torch runs on one thread: on this
    2-core machine, shared with other jobs, a second thread makes the tiny
    batch-4 steps slower, not faster.
    """
    monkeypatch.setattr('mmengine.config.config.FormatCode',
                        lambda text, **kwargs: (text, False))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def train_module():
    """``tools/train.py`` loaded from its path (it is not a package)."""
    return load_tool('train')


class WeightWatcher(Hook):
    """Snapshots teacher and student at the start and end of training.

    ``before_train`` runs after the Runner initialised the weights (and after
    ``teacher_ckpt`` was loaded), so the snapshots bracket exactly the
    training epoch, including its validation.
    """

    def __init__(self) -> None:
        self.before: Dict[str, Dict[str, torch.Tensor]] = {}
        self.after: Dict[str, Dict[str, torch.Tensor]] = {}

    @staticmethod
    def _snapshot(runner) -> Dict[str, Dict[str, torch.Tensor]]:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        parts = {'student': getattr(model, 'architecture', model)}
        if hasattr(model, 'teacher'):
            parts['teacher'] = model.teacher
        return {
            name: {
                k: v.detach().clone()
                for k, v in part.state_dict().items()
            }
            for name, part in parts.items()
        }

    def before_train(self, runner) -> None:
        self.before = self._snapshot(runner)

    def after_train(self, runner) -> None:
        self.after = self._snapshot(runner)


def _train(train_module, monkeypatch, config: str, work_dir: str,
           options: Dict[str, object]) -> WeightWatcher:
    """Run ``tools/train.py``'s main; return the hook that watched it."""
    watcher = WeightWatcher()
    original = train_module.build_runner

    def build_and_watch(cfg):
        runner = original(cfg)
        runner.register_hook(watcher, priority='LOWEST')
        return runner

    monkeypatch.setattr(train_module, 'build_runner', build_and_watch)
    argv = [
        osp.join(CONFIG_ROOT, config), '--work-dir', work_dir, '--cfg-options'
    ] + [f'{key}={value}' for key, value in options.items()]
    train_module.main(argv)
    return watcher


def _options(config: str, data_roots: Dict[str, str]) -> Dict[str, object]:
    dataset = _dataset_of(config)
    options = tiny_run_options(dataset, data_roots.get(dataset), 4)
    options.update({
        'train_cfg.max_epochs': 1,
        'train_cfg.val_interval': 1,
    })
    if dataset != 'fashion-mnist':
        options['train_dataloader.dataset.indices'] = CIFAR_TRAIN_IMAGES
    if _is_distill(config):
        options['model.teacher_ckpt'] = None
    return options


def _scalars(work_dir: str) -> List[dict]:
    found = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    assert len(found) == 1, f'expected one scalars.json, found {found}'
    with open(found[0]) as f:
        return [json.loads(line) for line in f if line.strip()]


def _assert_same(before: Dict[str, torch.Tensor],
                 after: Dict[str, torch.Tensor]) -> None:
    assert before.keys() == after.keys()
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    assert not changed, f'teacher changed during training: {changed[:5]}'


@pytest.fixture(scope='module')
def data_roots(fashion_mnist_root, cifar10_root, cifar100_root):
    return {
        'fashion-mnist': fashion_mnist_root,
        'cifar10': cifar10_root,
        'cifar100': cifar100_root,
    }


def test_discovery_covers_every_method():
    assert len(CONFIGS) >= 26  # 10 vanilla + 4 methods x 4 pairs
    for method in DISTILL_METHODS:
        assert any(c.startswith(osp.join('distill', method)) for c in CONFIGS)


@pytest.mark.parametrize('config', CONFIGS)
def test_one_epoch(config, train_module, data_roots, tmp_path, monkeypatch):
    work_dir = str(tmp_path / 'work')
    watcher = _train(train_module, monkeypatch, config, work_dir,
                     _options(config, data_roots))

    assert osp.isfile(osp.join(work_dir, 'epoch_1.pth'))
    records = _scalars(work_dir)
    val = [r for r in records if 'accuracy/top1' in r]
    assert val, 'validation did not log accuracy/top1'
    assert 0.0 <= val[-1]['accuracy/top1'] <= 100.0

    student_before = watcher.before['student']
    assert any(not torch.equal(v, watcher.after['student'][k])
               for k, v in student_before.items()), 'student did not train'

    if _is_distill(config):
        train = [r for r in records if 'loss' in r]
        distill_keys = {
            k
            for r in train
            for k in r if k.startswith('distill.loss')
        }
        assert distill_keys, 'no distillation loss was logged'
        for record in train:
            for key in distill_keys:
                assert math.isfinite(record[key]), (key, record)
        _assert_same(watcher.before['teacher'], watcher.after['teacher'])


def test_teacher_ckpt_is_loaded_and_kept(train_module, data_roots, tmp_path,
                                         monkeypatch):
    """A teacher checkpoint given on the command line survives the Runner's
    weight initialisation and the epoch unchanged."""
    import mmhkd  # noqa: F401
    from mmengine.config import Config
    from mmpretrain.registry import MODELS

    config = osp.join(
        'distill', 'kd', 'kd_logits_preact-resnet29_'
        'resnet20-half_1xb128_fashion-mnist-1k.py')
    teacher_cfg = Config.fromfile(osp.join(CONFIG_ROOT, config)).model.teacher
    teacher = MODELS.build(teacher_cfg)
    torch.manual_seed(1)
    teacher.init_weights()
    for param in teacher.parameters():  # unlike any fresh initialisation
        param.data.add_(0.01 * torch.randn_like(param))
    ckpt = str(tmp_path / 'teacher.pth')
    torch.save({'state_dict': teacher.state_dict()}, ckpt)

    options = _options(config, data_roots)
    options['model.teacher_ckpt'] = ckpt
    watcher = _train(train_module, monkeypatch, config, str(tmp_path / 'work'),
                     options)

    expected = teacher.state_dict()
    _assert_same(expected, watcher.before['teacher'])
    _assert_same(expected, watcher.after['teacher'])
