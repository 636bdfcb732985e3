"""One training iteration (and a validation) of every detection config
through mmengine's Runner, on a few real canvases (docs/detection.md)."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import mmhkd.compat.mmcv_ops  # noqa: F401  (before mmdet)
from conftest import CONFIG_ROOT, load_tool

DET = osp.join(CONFIG_ROOT, 'detection')
TEACHER = 'retinanet_r34-fpn128_1xb16-12e_fashion-mnist-canvas.py'
STUDENT = 'retinanet_r18-half-fpn64_1xb16-12e_fashion-mnist-canvas.py'
ADAPTATION = 'hksanc-adaptation_retinanet_r34-fpn128_fashion-mnist-canvas.py'
HKSANC_IS = 'hksanc-is_retinanet_r34-fpn128_r18-half-fpn64_' \
            'fashion-mnist-canvas.py'
CWD = 'cwd_retinanet_r34-fpn128_r18-half-fpn64_fashion-mnist-canvas.py'
COCO_ADAPTATION = 'hksanc-adaptation_retinanet_r50-fpn_1x_coco.py'
COCO_HKSANC_IS = 'hksanc-is_retinanet_r50-fpn_r18-fpn_1x_coco.py'
pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture(scope='module')
def canvas_root(tmp_path_factory, fashion_mnist_root):
    out = str(tmp_path_factory.mktemp('canvas') / 'set')
    load_tool('data/make_fashion_mnist_canvas').main(
        ['--out', out, '--num-train', '4', '--num-test', '2'])
    return out


def tiny(name: str, root: str, work_dir: str, validate: bool) -> Config:
    """The config with its data at ``root``, one iteration of batch 4."""
    cfg = Config.fromfile(osp.join(DET, name))
    cfg.work_dir = work_dir
    cfg.train_dataloader.batch_size = 4
    cfg.train_dataloader.dataset.data_root = root + '/'
    cfg.train_cfg.max_epochs = 1
    cfg.train_cfg.val_interval = 1 if validate else 2
    cfg.param_scheduler = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    if cfg.get('val_dataloader'):
        cfg.val_dataloader.batch_size = 2
        cfg.val_dataloader.dataset.data_root = root + '/'
        cfg.val_evaluator.ann_file = osp.join(root, 'annotations',
                                              'instances_test.json')
        cfg.test_dataloader = cfg.val_dataloader
        cfg.test_evaluator = cfg.val_evaluator
    return cfg


def run_one_iteration(cfg: Config) -> Runner:
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def scalar(runner: Runner, key: str) -> float:
    return runner.message_hub.get_scalar(key).current()


@pytest.fixture(scope='module')
def teacher_ckpt(canvas_root, tmp_path_factory):
    """Phase 1: the teacher config trains (one iteration), validates with
    CocoMetric, and its checkpoint feeds phases 2 and 3."""
    work = str(tmp_path_factory.mktemp('teacher'))
    cfg = tiny(TEACHER, canvas_root, work, True)
    # an untrained head scores below mmdet's 0.05: keep every box, so that
    # nms (the stand-in's) and CocoMetric see predictions
    cfg.model.test_cfg.update(score_thr=0.0, nms_pre=50, max_per_img=20)
    runner = run_one_iteration(cfg)
    assert torch.isfinite(torch.tensor(scalar(runner, 'train/loss')))
    metrics = runner.val()
    assert 0.0 <= metrics['coco/bbox_mAP'] <= 1.0
    return osp.join(work, 'epoch_1.pth')


@pytest.fixture(scope='module')
def adapted_ckpt(canvas_root, teacher_ckpt, tmp_path_factory):
    """Phase 2 from the teacher's checkpoint; the teacher does not move."""
    work = str(tmp_path_factory.mktemp('adaptation'))
    cfg = tiny(ADAPTATION, canvas_root, work, False)
    cfg.model.teacher_ckpt = teacher_ckpt
    runner = run_one_iteration(cfg)
    loss = scalar(runner, 'train/loss_attention_presence')
    assert torch.isfinite(torch.tensor(loss)) and loss > 0
    teacher = torch.load(teacher_ckpt, weights_only=False)['state_dict']
    for key, value in runner.model.architecture.state_dict().items():
        torch.testing.assert_close(value, teacher[key], msg=key)
    return osp.join(work, 'epoch_1.pth')


def test_student_config_trains(canvas_root, tmp_path):
    runner = run_one_iteration(
        tiny(STUDENT, canvas_root, str(tmp_path), False))
    assert torch.isfinite(torch.tensor(scalar(runner, 'train/loss')))
    assert runner.model.backbone.layer4[-1].conv2.out_channels == 256


def test_hksanc_is_config_trains_with_frozen_teacher_side(
        canvas_root, teacher_ckpt, adapted_ckpt, tmp_path):
    cfg = tiny(HKSANC_IS, canvas_root, str(tmp_path), True)
    cfg.model.teacher_ckpt = teacher_ckpt
    cfg.model.distiller.connectors.teacher_attention.adapted_ckpt = \
        adapted_ckpt
    runner = Runner.from_cfg(cfg)
    connectors = runner.model.distiller.connectors
    student_before = copy.deepcopy(connectors['student_attention'].state_dict())
    runner.train()
    loss_is = scalar(runner, 'train/distill.loss_is')
    assert torch.isfinite(torch.tensor(loss_is)) and loss_is > 0
    adapted = torch.load(adapted_ckpt, weights_only=False)['state_dict']
    for key, value in connectors['teacher_attention'].state_dict().items():
        torch.testing.assert_close(value, adapted['connector.' + key],
                                   msg=key)
    changed = [k for k, v in connectors['student_attention'].state_dict(
    ).items() if not torch.equal(v, student_before[k])]
    assert any('estimators' in k for k in changed)
    teacher = torch.load(teacher_ckpt, weights_only=False)['state_dict']
    for key, value in runner.model.teacher.state_dict().items():
        torch.testing.assert_close(value, teacher[key], msg=key)


def test_cwd_config_trains(canvas_root, teacher_ckpt, tmp_path):
    cfg = tiny(CWD, canvas_root, str(tmp_path), False)
    cfg.model.teacher_ckpt = teacher_ckpt
    runner = run_one_iteration(cfg)
    for level in range(4):  # the top level may hold nothing to match
        value = scalar(runner, f'train/distill.loss_cwd_fpn{level}')
        assert torch.isfinite(torch.tensor(value)) and value > 0


def on_canvases(name: str, root: str, work_dir: str) -> Config:
    """A COCO config with the canvas data and pipeline, one iteration of
    batch 2, no validation, no downloads (random initialisation)."""
    canvas = Config.fromfile(osp.join(DET, STUDENT))
    cfg = Config.fromfile(osp.join(DET, name))
    cfg.work_dir = work_dir
    cfg.train_dataloader = canvas.train_dataloader
    cfg.train_dataloader.batch_size = 2
    cfg.train_dataloader.dataset.data_root = root + '/'
    cfg.train_dataloader.dataset.indices = 2
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1)
    for key in ('val', 'test'):
        for suffix in ('_cfg', '_dataloader', '_evaluator'):
            cfg[key + suffix] = None
    cfg.param_scheduler = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.model.teacher_ckpt = None
    return cfg


def test_coco_configs_train_one_iteration(canvas_root, tmp_path):
    """COCO pair (R-50 -> R-18, 80 classes) run on canvases: phase 2 then
    phase 3 through the Runner, with the configs' own models."""
    cfg = on_canvases(COCO_ADAPTATION, canvas_root, str(tmp_path / 'a'))
    runner = Runner.from_cfg(cfg)
    runner.model.architecture.backbone.init_cfg = None  # no download
    runner.train()
    assert runner.model.architecture.backbone.depth == 50
    assert runner.model.head.out_features == 80
    loss = scalar(runner, 'train/loss_attention_presence')
    assert torch.isfinite(torch.tensor(loss)) and loss > 0
    cfg = on_canvases(COCO_HKSANC_IS, canvas_root, str(tmp_path / 'd'))
    cfg.model.distiller.connectors.teacher_attention.adapted_ckpt = \
        str(tmp_path / 'a' / 'epoch_1.pth')
    runner = Runner.from_cfg(cfg)
    for network in (runner.model.architecture, runner.model.teacher):
        network.backbone.init_cfg = None  # no download
    runner.train()
    assert runner.model.architecture.backbone.depth == 18
    assert runner.model.teacher.backbone.depth == 50
    loss_is = scalar(runner, 'train/distill.loss_is')
    assert torch.isfinite(torch.tensor(loss_is)) and loss_is > 0
