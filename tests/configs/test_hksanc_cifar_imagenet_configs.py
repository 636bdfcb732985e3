"""One short epoch for every HKSANC CIFAR and ImageNet config.

Every file under ``configs/hksanc`` whose name contains ``cifar`` or
``in1k`` (found by glob: the teacher-adaptation and the distillation
configs) is trained for one epoch on tiny data through ``tools/train.py``'s
``main`` with string ``--cfg-options``, as a user would, with
``model.teacher_ckpt=None`` (and ``model.teacher_attention_ckpt=None``).

Data: the synthetic CIFAR pickles of ``conftest.py`` (first 8 training
images); for ImageNet, 2 classes x 2 random 64x64 JPEGs per split written in
mmpretrain's ``ImageNet`` layout with ``meta/{train,val}.txt`` annotation
files (without them mmpretrain's ``ImageNet`` reads class folders and
asserts there are 1000 of them). The configs' own dataset type is kept;
the crops are shrunk to 64 and every ``num_classes`` to 2.

Checks: ``epoch_1.pth`` is saved, validation logged ``accuracy/top1``, the
phase's losses were logged and finite (distillation: ``distill.loss_backbone``,
``distill.loss_is``, ``distill.loss_adv``, ``disc.loss_real``; adaptation:
``loss_attention_ce``), the frozen teacher (and the distillation's teacher
attention estimators) did not change and the trained part did.
A second test checks, without training, that each distillation config's
``teacher_attention_ckpt`` names an adaptation config of the same teacher
whose connector loads strictly into the distillation's teacher connector.
"""
import glob
import json
import math
import os
import os.path as osp
from typing import Dict, List

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from conftest import CONFIG_ROOT, load_tool, tiny_run_options

CIFAR_TRAIN_IMAGES = 8  # two iterations of batch 4
IMAGENET_CLASSES = 2
IMAGENET_SIZE = 64  # images and crops; ResNet's last stage is then 2x2
DISTILL_LOSS_KEYS = ('distill.loss_backbone', 'distill.loss_is',
                     'distill.loss_adv', 'disc.loss_real')
ADAPTATION_LOSS_KEYS = ('loss_attention_ce', )


def _discover() -> List[str]:
    paths = glob.glob(osp.join(CONFIG_ROOT, 'hksanc', '*.py'))
    names = [osp.basename(p) for p in paths]
    return sorted(n for n in names if 'cifar' in n or 'in1k' in n)


CONFIGS = _discover()


def _dataset_of(name: str) -> str:
    for suffix, dataset in (('_cifar10.py', 'cifar10'),
                            ('_cifar100.py', 'cifar100'),
                            ('_in1k.py', 'imagenet')):
        if name.endswith(suffix):
            return dataset
    raise ValueError(f'cannot tell the data set of {name}')


def _is_adaptation(name: str) -> bool:
    return name.startswith('hksanc-adaptation_')


@pytest.fixture(autouse=True)
def fast_runs(monkeypatch):
    """Skip yapf formatting of the logged config; one torch thread."""
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


@pytest.fixture(scope='module')
def imagenet_root(tmp_path_factory) -> str:
    """2 classes x 2 random JPEGs per split, ImageNet layout with meta/."""
    from PIL import Image
    root = tmp_path_factory.mktemp('imagenet')
    rng = np.random.RandomState(0)
    os.makedirs(root / 'meta')
    for split in ('train', 'val'):
        lines = []
        for label in range(IMAGENET_CLASSES):
            folder = f'n{label:08d}'
            os.makedirs(root / split / folder)
            for i in range(2):
                name = f'{folder}/{split}_{i}.JPEG'
                pixels = rng.randint(
                    0, 256, (IMAGENET_SIZE, IMAGENET_SIZE, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(root / split / name)
                lines.append(f'{name} {label}')
        (root / 'meta' / f'{split}.txt').write_text('\n'.join(lines) + '\n')
    return str(root)


@pytest.fixture(scope='module')
def data_roots(cifar10_root, cifar100_root, imagenet_root):
    return {
        'cifar10': cifar10_root,
        'cifar100': cifar100_root,
        'imagenet': imagenet_root,
    }


def _options(name: str, data_roots: Dict[str, str]) -> Dict[str, object]:
    dataset = _dataset_of(name)
    batch_size = 4 if dataset != 'imagenet' else 2
    options = tiny_run_options('cifar', data_roots[dataset], batch_size)
    options.update({
        'model.teacher_ckpt': None,
        'train_cfg.max_epochs': 1,
        'train_cfg.val_interval': 1,
    })
    if not _is_adaptation(name):
        options['model.teacher_attention_ckpt'] = None
    if 'resnet110_resnet20' in name:
        # A random (untrained) post-activation ResNet-110 teacher explodes:
        # its first L_is is about 2e17 and the student's weights are NaN
        # after the second update, which NonFiniteLossHook rightly stops
        # before any checkpoint. This smoke test checks plumbing, so its
        # student steps are scaled down to stay finite.
        options['optim_wrapper.student.optimizer.lr'] = 1e-20
    if dataset != 'imagenet':
        options['train_dataloader.dataset.indices'] = CIFAR_TRAIN_IMAGES
        return options
    # mmpretrain's ImageNet takes no verify_md5 (a CIFAR10Local option).
    options = {k: v for k, v in options.items() if 'verify_md5' not in k}
    size = IMAGENET_SIZE
    options.update({
        # imagenet_bs32: [Load, RandomResizedCrop, RandomFlip, Pack] and
        # [Load, ResizeEdge, CenterCrop, Pack].
        'train_dataloader.dataset.pipeline.1.scale': size,
        'val_dataloader.dataset.pipeline.1.scale': size,
        'val_dataloader.dataset.pipeline.2.crop_size': size,
        'val_evaluator.topk': 1,  # top-5 needs at least 5 classes
        'test_evaluator.topk': 1,
        'model.data_preprocessor.num_classes': IMAGENET_CLASSES,
        'model.architecture.head.num_classes': IMAGENET_CLASSES,
    })
    if _is_adaptation(name):
        options['model.num_classes'] = IMAGENET_CLASSES
    else:
        options['model.teacher.head.num_classes'] = IMAGENET_CLASSES
        options['model.discriminator.num_classes'] = IMAGENET_CLASSES
    return options


class WeightWatcher(Hook):
    """State dicts of the frozen and the trained parts, before and after.

    ``before_train`` runs after the Runner initialised the weights, so the
    snapshots bracket exactly the training epoch and its validation.
    """

    def __init__(self) -> None:
        self.before: Dict[str, Dict[str, torch.Tensor]] = {}
        self.after: Dict[str, Dict[str, torch.Tensor]] = {}

    @staticmethod
    def _snapshot(runner) -> Dict[str, Dict[str, torch.Tensor]]:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if hasattr(model, 'teacher'):  # HKSANCDistill
            parts = dict(
                teacher=model.teacher,
                teacher_attention=model.distiller.connectors[
                    'teacher_attention'],
                trained=model.architecture)
        else:  # AttentionAdaptation: the architecture is the frozen teacher
            parts = dict(teacher=model.architecture, trained=model.connector)
        return {
            name: {k: v.detach().clone()
                   for k, v in part.state_dict().items()}
            for name, part in parts.items()
        }

    def before_train(self, runner) -> None:
        self.before = self._snapshot(runner)

    def after_train(self, runner) -> None:
        self.after = self._snapshot(runner)


def _train(train_module, monkeypatch, name: str, work_dir: str,
           options: Dict[str, object]) -> WeightWatcher:
    watcher = WeightWatcher()
    original = train_module.build_runner

    def build_and_watch(cfg):
        runner = original(cfg)
        runner.register_hook(watcher, priority='LOWEST')
        return runner

    monkeypatch.setattr(train_module, 'build_runner', build_and_watch)
    argv = [
        osp.join(CONFIG_ROOT, 'hksanc', name), '--work-dir', work_dir,
        '--cfg-options'
    ] + [f'{key}={value}' for key, value in options.items()]
    train_module.main(argv)
    return watcher


def _scalars(work_dir: str) -> List[dict]:
    found = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    assert len(found) == 1, f'expected one scalars.json, found {found}'
    with open(found[0]) as f:
        return [json.loads(line) for line in f if line.strip()]


def test_discovery():
    assert len(CONFIGS) >= 12  # 6 adaptation + 6 distillation configs
    assert any(_is_adaptation(n) and 'in1k' in n for n in CONFIGS)
    assert any(not _is_adaptation(n) and 'in1k' in n for n in CONFIGS)


@pytest.mark.parametrize('name', CONFIGS)
def test_one_epoch(name, train_module, data_roots, tmp_path, monkeypatch):
    work_dir = str(tmp_path / 'work')
    watcher = _train(train_module, monkeypatch, name, work_dir,
                     _options(name, data_roots))

    assert osp.isfile(osp.join(work_dir, 'epoch_1.pth'))
    records = _scalars(work_dir)
    val = [r for r in records if 'accuracy/top1' in r]
    assert val, 'validation did not log accuracy/top1'
    assert 0.0 <= val[-1]['accuracy/top1'] <= 100.0

    train = [r for r in records if 'loss' in r]
    assert train, 'no training step was logged'
    keys = ADAPTATION_LOSS_KEYS if _is_adaptation(name) else DISTILL_LOSS_KEYS
    for record in train:
        for key in keys:
            assert key in record, (key, sorted(record))
            assert math.isfinite(record[key]), (key, record)

    for part in ('teacher', 'teacher_attention'):
        if part not in watcher.before:
            continue
        before, after = watcher.before[part], watcher.after[part]
        changed = [k for k in before if not torch.equal(before[k], after[k])]
        assert not changed, f'{part} changed during training: {changed[:5]}'
    trained_before = watcher.before['trained']
    assert any(not torch.equal(v, watcher.after['trained'][k])
               for k, v in trained_before.items()), 'nothing was trained'


DISTILL_CONFIGS = [n for n in CONFIGS if not _is_adaptation(n)]


@pytest.mark.parametrize('name', DISTILL_CONFIGS)
def test_teacher_attention_comes_from_matching_adaptation(name):
    """Phase 2 -> phase 3 contract, checked on the configs alone."""
    import mmhkd  # noqa: F401
    from mmrazor.registry import MODELS

    distill = Config.fromfile(osp.join(CONFIG_ROOT, 'hksanc', name)).model
    ckpt = distill.teacher_attention_ckpt
    adaptation_name = osp.basename(osp.dirname(ckpt)) + '.py'
    assert osp.basename(ckpt) == 'epoch_1.pth'
    assert adaptation_name in CONFIGS, (ckpt, 'names no adaptation config')
    adaptation = Config.fromfile(
        osp.join(CONFIG_ROOT, 'hksanc', adaptation_name)).model

    # Same teacher network and weights (the ImageNet adaptation reads a
    # local copy of the released file the distillation loads by URL).
    assert adaptation.architecture.to_dict() == distill.teacher.to_dict()
    assert osp.basename(adaptation.teacher_ckpt) == osp.basename(
        distill.teacher_ckpt)
    # The features the adaptation trained on are what the distillation
    # records for the teacher.
    source = distill.distiller.teacher_recorders.features.source
    assert source == adaptation.feature_source

    source_conn = adaptation.connector.to_dict()
    target_conn = distill.distiller.connectors.teacher_attention.to_dict()
    for key in ('query', 'attention_cfg', 'stage_channels',
                'descriptor_channels', 'descriptor_source'):
        assert source_conn.get(key) == target_conn.get(key), key
    trained = MODELS.build(source_conn).state_dict()
    MODELS.build(target_conn).load_state_dict(trained, strict=True)
