"""Student export of mmdet and mmseg distillations, loaded strictly.

For the canvas RetinaNet HKSANC-IS and CWD configs and a tiny mmseg
EncoderDecoder distillation written here: the algorithm is built (no
teacher checkpoint), its student's weights perturbed (so that predictions
are many and distinct), saved as a Runner checkpoint and exported with
``tools/export_student.py --config``. The written ``student_config.py``
must build the plain model in the student's own registry, take the export
with ``strict=True`` and predict exactly what the algorithm's student did.
"""
import copy
import os.path as osp
from typing import Dict, List

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint

import mmhkd.compat.mmcv_ops  # noqa: F401  (mmdet/mmseg on mmcv-lite)
from conftest import CONFIG_ROOT, load_tool
from dense_distill_models import (adapted_connector_ckpt, build_algorithm,
                                  seg_distill_config)

DET = osp.join(CONFIG_ROOT, 'detection')
HKSANC_IS = osp.join(
    DET, 'hksanc-is_retinanet_r34-fpn128_r18-half-fpn64_'
    'fashion-mnist-canvas.py')
CWD = osp.join(DET,
               'cwd_retinanet_r34-fpn128_r18-half-fpn64_'
               'fashion-mnist-canvas.py')

pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture(scope='module')
def adapted_ckpt(tmp_path_factory) -> str:
    return adapted_connector_ckpt(
        str(tmp_path_factory.mktemp('adapted') / 'adapted.pth'))


def perturb(model: nn.Module) -> None:
    """Seeded noise on every float tensor: non-default, distinct values."""
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for value in model.state_dict().values():
            if value.is_floating_point():
                noise = torch.randn(value.shape, generator=gen)
                value.add_(0.05 * noise * (value.std() + 0.1)
                           if value.numel() > 1 else 0.05 * noise)
        for name, module in model.named_modules():
            if name.endswith('retina_cls'):  # scores above score_thr
                module.bias.zero_()
            if name.endswith('conv_seg'):  # more than one class wins
                module.weight.normal_(generator=gen)
                module.bias.zero_()


def det_batch() -> dict:
    from mmdet.structures import DetDataSample
    gen = torch.Generator().manual_seed(1)
    meta = dict(img_shape=(128, 128), ori_shape=(128, 128),
                scale_factor=(1.0, 1.0))
    return dict(
        inputs=[torch.randint(0, 256, (3, 128, 128), dtype=torch.uint8,
                              generator=gen) for _ in range(2)],
        data_samples=[DetDataSample(metainfo=meta) for _ in range(2)])


def seg_batch() -> dict:
    from mmseg.structures import SegDataSample
    gen = torch.Generator().manual_seed(2)
    meta = dict(img_shape=(128, 128), ori_shape=(128, 128))
    return dict(
        inputs=[torch.randint(0, 256, (3, 128, 128), dtype=torch.uint8,
                              generator=gen) for _ in range(2)],
        data_samples=[SegDataSample(metainfo=meta) for _ in range(2)])


def export(algorithm: nn.Module, cfg: Config, tmp_path) -> Dict[str, str]:
    """Save ``algorithm`` as a Runner checkpoint, export its student."""
    ckpt = str(tmp_path / 'epoch_1.pth')
    torch.save(dict(state_dict=algorithm.state_dict(),
                    meta=dict(epoch=1, iter=1)), ckpt)
    config = str(tmp_path / 'distill.py')
    cfg.dump(config)
    out = str(tmp_path / 'exports' / 'student.pth')
    load_tool('export_student').main([ckpt, out, '--config', config])
    return dict(checkpoint=out, config=str(tmp_path / 'exports' /
                                             'student_config.py'))


def plain_student(paths: Dict[str, str], scope: str) -> nn.Module:
    """The student built from the written config in its own registry."""
    cfg = Config.fromfile(paths['config'])
    assert cfg.default_scope == scope
    registry = {'mmdet': 'mmdet.registry', 'mmseg': 'mmseg.registry'}
    models = __import__(registry[scope], fromlist=['MODELS']).MODELS
    # as the student package's tools/test.py: its scope is the default
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = models.build(copy.deepcopy(cfg.model))
    load_checkpoint(model, paths['checkpoint'], map_location='cpu',
                    strict=True)
    return model.eval()


def check_plain_config(paths: Dict[str, str], model_type: str) -> None:
    cfg = Config.fromfile(paths['config'])
    assert cfg.model.type == model_type and '_scope_' not in cfg.model
    assert cfg.val_cfg == dict(type='ValLoop')
    assert cfg.test_cfg == dict(type='TestLoop')
    assert 'find_unused_parameters' not in cfg
    assert 'mmhkd.compat.mmcv_ops' in cfg.custom_imports.imports
    assert cfg.optim_wrapper.optimizer.type == 'SGD'
    state = torch.load(paths['checkpoint'], weights_only=True)['state_dict']
    assert not [k for k in state if k.startswith(
        ('teacher.', 'distiller.', 'architecture.', 'connectors.'))]


def predictions(model: nn.Module, batch: dict) -> List:
    with torch.no_grad():
        return model.test_step(batch)


@pytest.mark.parametrize('path', [HKSANC_IS, CWD],
                         ids=['hksanc-is', 'cwd'])
def test_detection_student_export_predicts_like_the_student(
        path, adapted_ckpt, tmp_path):
    cfg = Config.fromfile(path)
    cfg.model.teacher_ckpt = None
    connectors = cfg.model.distiller.connectors
    if 'teacher_attention' in connectors:
        connectors.teacher_attention.adapted_ckpt = adapted_ckpt
    algorithm = build_algorithm(cfg)
    # the detection configs give the algorithm no preprocessor: it is the
    # architecture's, which the student config keeps
    assert algorithm.data_preprocessor is \
        algorithm.architecture.data_preprocessor
    perturb(algorithm.architecture)
    algorithm.eval()
    paths = export(algorithm, cfg, tmp_path)
    check_plain_config(paths, 'RetinaNet')
    model = plain_student(paths, 'mmdet')
    assert type(model).__name__ == 'RetinaNet'
    want = predictions(algorithm, det_batch())
    got = predictions(model, det_batch())
    for a, b in zip(got, want):
        assert len(b.pred_instances) > 10
        for key in ('bboxes', 'scores', 'labels'):
            assert torch.equal(a.pred_instances[key],
                               b.pred_instances[key]), key


def test_segmentation_student_export_predicts_like_the_student(tmp_path):
    cfg = seg_distill_config()
    algorithm = build_algorithm(cfg)
    perturb(algorithm.architecture)
    algorithm.eval()
    paths = export(algorithm, cfg, tmp_path)
    check_plain_config(paths, 'EncoderDecoder')
    # the algorithm's own preprocessor (std differs from the student's)
    written = Config.fromfile(paths['config']).model.data_preprocessor
    assert written.std == cfg.model.data_preprocessor.std
    model = plain_student(paths, 'mmseg')
    want = predictions(algorithm, seg_batch())
    got = predictions(model, seg_batch())
    for a, b in zip(got, want):
        assert len(b.pred_sem_seg.data.unique()) > 1
        assert torch.equal(a.seg_logits.data, b.seg_logits.data)
        assert torch.equal(a.pred_sem_seg.data, b.pred_sem_seg.data)


def test_unresolvable_architecture_writes_nothing(tmp_path):
    """A bad cfg_path fails before the export is written."""
    ckpt = str(tmp_path / 'epoch_1.pth')
    torch.save(dict(state_dict={'architecture.w': torch.ones(1)}), ckpt)
    cfg = Config.fromfile(CWD)
    cfg.model.architecture = dict(cfg_path='mmdet::no/such_config.py')
    config = str(tmp_path / 'distill.py')
    cfg.dump(config)
    out = tmp_path / 'exports' / 'student.pth'
    with pytest.raises(ValueError, match='Cannot resolve'):
        load_tool('export_student').main([ckpt, str(out), '--config',
                                          config])
    assert not (tmp_path / 'exports').exists()
