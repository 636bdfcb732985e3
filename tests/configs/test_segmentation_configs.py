"""The segmentation configs train through mmengine's Runner.

Each shipped config under configs/segmentation/ runs one training
iteration (batch 2, two canvases built from the real Fashion-MNIST into
tmp_path) and one validation pass over two test canvases where it
validates. Nothing is trained for the checkpoints the configs read: the
teacher checkpoint is a freshly built teacher's state dict, the adapted
checkpoint a freshly built phase-2 model's (with its ``_extra_state``).
"""
import copy
import glob
import math
import os.path as osp
from typing import Dict

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import init_default_scope

import mmhkd.compat.mmcv_ops  # noqa: F401  (before mmseg)
from conftest import CONFIG_ROOT, load_tool

from mmengine.runner import Runner  # noqa: I100
from mmrazor.registry import MODELS

FOLDER = osp.join(CONFIG_ROOT, 'segmentation')
CONFIGS = sorted(glob.glob(osp.join(FOLDER, '*.py')))
ADAPTATION = osp.join(FOLDER,
                      'hksanc-adaptation_fcn_r34-d16_fashion-mnist-canvas.py')
HKSANC = osp.join(FOLDER,
                  'hksanc-is_fcn_r34-d16_r18-half-d16_fashion-mnist-canvas.py')
CWD = osp.join(FOLDER, 'cwd_fcn_r34-d16_r18-half-d16_fashion-mnist-canvas.py')
pytestmark = pytest.mark.usefixtures('one_thread', 'restore_default_scope')


@pytest.fixture(scope='module')
def canvas_root(tmp_path_factory, fashion_mnist_root) -> str:
    tool = load_tool('data/make_fashion_mnist_canvas')
    out = str(tmp_path_factory.mktemp('canvas') / 'set')
    args = ['--num-train', '2', '--num-test', '2', '--seed', '1']
    assert tool.main(['--out', out] + args) == out
    return out


@pytest.fixture(scope='module')
def checkpoints(tmp_path_factory) -> Dict[str, str]:
    """Teacher (phase 1) and adapted (phase 2) checkpoints, untrained."""
    folder = tmp_path_factory.mktemp('ckpt')
    cfg = Config.fromfile(ADAPTATION)
    cfg.model.teacher_ckpt = None
    init_default_scope('mmrazor')
    torch.manual_seed(0)
    adaptation = MODELS.build(cfg.model)
    state = adaptation.state_dict()
    assert 'connector._extra_state' in state or '_extra_state' in state
    paths = dict(teacher=str(folder / 'teacher.pth'),
                 adapted=str(folder / 'adapted.pth'))
    teacher = {k[len('architecture.'):]: v for k, v in state.items()
               if k.startswith('architecture.')}
    torch.save(dict(state_dict=teacher), paths['teacher'])
    torch.save(dict(state_dict=state), paths['adapted'])
    return paths


class Record(Hook):
    """Keeps the model's state before training and the step's losses."""

    def before_train(self, runner) -> None:
        self.before = state_of(runner.model)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        self.outputs = {k: float(v) for k, v in outputs.items()}


def state_of(module) -> Dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()
            if isinstance(v, torch.Tensor)}


def tiny(config: str, root: str, work_dir: str,
         ckpts: Dict[str, str]) -> Config:
    """The config on two canvases, one iteration, the tmp checkpoints."""
    cfg = Config.fromfile(config)
    cfg.work_dir = work_dir
    cfg.train_dataloader.batch_size = 2
    cfg.train_dataloader.dataset.data_root = root
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1,
                         val_interval=1)
    if cfg.get('val_dataloader'):
        cfg.val_dataloader.batch_size = 2
        cfg.val_dataloader.dataset.data_root = root
        cfg.test_dataloader = None
        cfg.test_cfg = None
        cfg.test_evaluator = None
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    model = cfg.model
    if 'teacher_ckpt' in model:
        model.teacher_ckpt = ckpts['teacher']
    connectors = model.get('distiller', {}).get('connectors', {})
    if 'teacher_attention' in connectors:
        connectors.teacher_attention.adapted_ckpt = ckpts['adapted']
    return cfg


def run_one_step(config, canvas_root, checkpoints, tmp_path):
    cfg = tiny(config, canvas_root, str(tmp_path / 'work'), checkpoints)
    runner = Runner.from_cfg(cfg)
    record = Record()
    runner.register_hook(record)
    runner.train()
    assert record.outputs
    assert all(math.isfinite(v) for v in record.outputs.values()), (
        record.outputs)
    return runner, record


def check_hksanc_connectors(runner, record, checkpoints) -> None:
    """The teacher's connector (phase 2's weights) and segmenter did not
    change in the step; the student's connector did."""
    after = state_of(runner.model)
    teacher = [k for k in after
               if k.startswith('distiller.connectors.teacher_attention.')]
    student = [k for k in after
               if k.startswith('distiller.connectors.student_attention.')]
    assert teacher and student
    assert all(torch.equal(record.before[k], after[k]) for k in teacher)
    assert any(not torch.equal(record.before[k], after[k])
               for k in student if after[k].is_floating_point())
    # the teacher connector holds phase 2's estimators
    adapted = torch.load(checkpoints['adapted'])['state_dict']
    for key in teacher:
        name = 'connector.' + key.split('teacher_attention.', 1)[1]
        assert torch.equal(after[key], adapted[name]), key
    # the teacher segmenter is untouched too
    teacher_net = [k for k in after if k.startswith('teacher.')]
    assert teacher_net
    assert all(torch.equal(record.before[k], after[k]) for k in teacher_net)


def check_teacher_loaded(runner, checkpoints) -> None:
    """Where the config reads a teacher checkpoint, the teacher holds it
    (and the step did not change it)."""
    if 'teacher_ckpt' not in runner.cfg.model:
        return
    model = runner.model
    teacher = model.teacher if hasattr(model, 'teacher') else (
        model.architecture)
    saved = torch.load(checkpoints['teacher'])['state_dict']
    state = teacher.state_dict()
    assert state.keys() == saved.keys()
    assert all(torch.equal(state[k], saved[k]) for k in saved)


@pytest.mark.parametrize('config', CONFIGS, ids=osp.basename)
def test_one_training_iteration(config, canvas_root, checkpoints,
                                tmp_path):
    runner, record = run_one_step(config, canvas_root, checkpoints, tmp_path)
    keys = set(record.outputs)
    check_teacher_loaded(runner, checkpoints)
    if config == ADAPTATION:
        assert 'loss_attention_presence' in keys
    elif config == HKSANC:
        assert {'distill.loss_is', 'student.decode.loss_ce'} <= keys
        assert record.outputs['distill.loss_is'] > 0
        check_hksanc_connectors(runner, record, checkpoints)
    elif config == CWD:
        assert {'distill.loss_cwd', 'student.decode.loss_ce'} <= keys
    else:
        assert 'decode.loss_ce' in keys
    if runner.val_loop is not None:
        metrics = runner.message_hub.log_scalars
        assert any(k.endswith('mIoU') for k in metrics), sorted(metrics)


def test_phase2_and_phase3_attention_settings_agree():
    source = Config.fromfile(ADAPTATION).model.connector
    distill = Config.fromfile(HKSANC).model.distiller.connectors
    teacher = copy.deepcopy(distill.teacher_attention)
    teacher.pop('adapted_ckpt')
    assert teacher == source
    student = distill.student_attention
    assert student.attention_channels == source.stage_channels
    for key in ('descriptor_source', 'query', 'attention_cfg'):
        assert student[key] == source[key], key


def child(tmp_path, base: str, body: str) -> Config:
    """A config inheriting ``base`` with ``body`` added."""
    path = tmp_path / 'child.py'
    path.write_text(f'_base_ = [{base!r}]\n{body}\n')
    return Config.fromfile(str(path))


def build(cfg: Config):
    init_default_scope('mmrazor')
    cfg.model.pop('teacher_ckpt', None)
    connectors = cfg.model.get('distiller', {}).get('connectors', {})
    if 'teacher_attention' in connectors:
        connectors.teacher_attention.adapted_ckpt = None
    return MODELS.build(cfg.model)


def test_adaptation_options_reach_the_model(tmp_path):
    shipped = build(Config.fromfile(ADAPTATION))
    assert (shipped.head.out_features, shipped.background_index,
            shipped.ignore_index, shipped.feature_source,
            shipped.connector.descriptor_source) == (
                10, 0, 255, 'backbone', 'pool_last_stage')
    model = build(child(tmp_path, ADAPTATION, (
        "model = dict(num_classes=11, background_index=None, "
        "ignore_index=254, feature_source='neck', "
        "connector=dict(descriptor_source='pool_all_stages'))")))
    assert (model.head.out_features, model.background_index,
            model.ignore_index, model.feature_source,
            model.connector.descriptor_source) == (
                11, None, 254, 'neck', 'pool_all_stages')


def test_distill_loss_options_reach_the_model(tmp_path):
    hksanc = build(Config.fromfile(HKSANC)).distiller.distill_losses
    assert hksanc.loss_is.loss_weight == 1.0
    hksanc = build(child(tmp_path, HKSANC, (
        'model = dict(distiller=dict(distill_losses=dict('
        'loss_is=dict(loss_weight=0.5))))'))).distiller.distill_losses
    assert hksanc.loss_is.loss_weight == 0.5
    cwd = build(Config.fromfile(CWD)).distiller.distill_losses.loss_cwd
    assert (cwd.tau, cwd.loss_weight) == (1, 5)
    cwd = build(child(tmp_path, CWD, (
        'model = dict(distiller=dict(distill_losses=dict('
        'loss_cwd=dict(tau=2, loss_weight=3))))'
    ))).distiller.distill_losses.loss_cwd
    assert (cwd.tau, cwd.loss_weight) == (2, 3)


def test_data_options_reach_the_dataset(canvas_root, tmp_path):
    from mmseg.registry import DATASETS
    base = osp.join(FOLDER, 'fcn_r18-half-d16_1xb16-12e_'
                    'fashion-mnist-canvas.py')
    init_default_scope('mmseg')
    maps = {}
    for reduce in (None, True):
        body = ('train_dataloader = dict(dataset=dict('
                f'data_root={canvas_root!r}')
        body += ', reduce_zero_label=True))' if reduce else '))'
        dataset = DATASETS.build(
            child(tmp_path, base, body).train_dataloader.dataset)
        assert len(dataset) == 2
        assert dataset.reduce_zero_label is bool(reduce)
        assert len(dataset.metainfo['classes']) == 11
        maps[reduce] = dataset[0]['data_samples'].gt_sem_seg.data
    # shipped: background 0 kept; reduced: background becomes 255 (ignored)
    # (the training pipeline flips at random: compare fractions only)
    assert (maps[None] == 0).float().mean() > 0.5
    assert not (maps[None] == 255).any()
    assert (maps[True] == 255).float().mean() > 0.5
    assert int(maps[True][maps[True] != 255].max()) <= 9
