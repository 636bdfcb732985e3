"""The student of a distillation config as a plain mmpretrain config."""
import os.path as osp

import pytest
from mmengine.config import Config

from conftest import CONFIG_ROOT
from mmhkd.engine.student_config import student_config_dict

HKSANC = osp.join(CONFIG_ROOT, 'hksanc',
                  'hksanc_preact-resnet29_resnet20-half_1xb128_'
                  'fashion-mnist-1k.py')
KD = osp.join(CONFIG_ROOT, 'distill', 'kd',
              'kd_logits_preact-resnet29_resnet20-half_1xb128_'
              'fashion-mnist-1k.py')


def test_switched_off_label_loss_is_switched_back_on():
    cfg = Config.fromfile(HKSANC)
    assert cfg.model.architecture.head.loss.loss_weight == 0.0
    student = student_config_dict(cfg)
    assert student['model']['head']['loss']['loss_weight'] == 1.0
    assert student['model']['head']['loss']['type'] == \
        cfg.model.architecture.head.loss.type
    # the distillation config itself is left as it was
    assert cfg.model.architecture.head.loss.loss_weight == 0.0


@pytest.mark.parametrize('weight', [0.5, 2.0])
def test_other_label_loss_weights_are_kept(weight):
    cfg = Config.fromfile(KD)
    cfg.model.architecture.head.loss.loss_weight = weight
    student = student_config_dict(cfg)
    assert student['model']['head']['loss']['loss_weight'] == weight


DET_CWD = osp.join(CONFIG_ROOT, 'detection',
                   'cwd_retinanet_r34-fpn128_r18-half-fpn64_'
                   'fashion-mnist-canvas.py')


def test_classification_student_stays_in_mmpretrain():
    cfg = Config.fromfile(HKSANC)
    assert cfg.default_scope == 'mmrazor'
    assert student_config_dict(cfg)['default_scope'] == 'mmpretrain'
    del cfg.model.architecture['_scope_']  # no scope named: the fallback
    assert student_config_dict(cfg)['default_scope'] == 'mmpretrain'


def test_detection_student_runs_in_mmdet_without_distillation_keys():
    cfg = Config.fromfile(DET_CWD)
    assert cfg.val_cfg.type == 'mmrazor.SingleTeacherDistillValLoop'
    cfg.test_cfg = dict(type='mmrazor.SingleTeacherDistillValLoop',
                        fp16=True)
    student = student_config_dict(cfg)
    assert student['default_scope'] == 'mmdet'
    assert student['val_cfg'] == dict(type='ValLoop')
    assert student['test_cfg'] == dict(type='TestLoop', fp16=True)
    assert student['train_cfg'] == cfg.train_cfg.to_dict()
    assert 'find_unused_parameters' not in student
    assert student['custom_imports'] == cfg.custom_imports.to_dict()
    assert student['optim_wrapper'] == cfg.optim_wrapper.to_dict()
    model = cfg.model.architecture.to_dict()
    assert model.pop('_scope_') == 'mmdet'
    assert student['model'] == model  # with its own preprocessor
    # a scope given by the type's prefix
    cfg.model.architecture = dict(model, type='mmdet.RetinaNet')
    assert student_config_dict(cfg)['default_scope'] == 'mmdet'


def test_cfg_path_architecture_is_resolved():
    cfg = Config.fromfile(DET_CWD)
    cfg.model.architecture = dict(
        cfg_path='mmdet::retinanet/retinanet_r18_fpn_1x_coco.py',
        pretrained=False)
    student = student_config_dict(cfg)
    assert student['default_scope'] == 'mmdet'
    assert student['model']['type'] == 'RetinaNet'
    assert student['model']['backbone']['depth'] == 18
    assert student['model']['data_preprocessor']['type'] == \
        'DetDataPreprocessor'
    for key in ('cfg_path', 'pretrained', '_scope_'):
        assert key not in student['model']


@pytest.mark.parametrize('cfg_path,match', [
    ('retinanet/retinanet_r18_fpn_1x_coco.py', 'names no package'),
    ('mmdet::no/such_config.py', 'Cannot resolve.*model config dict'),
])
def test_unresolvable_cfg_path_is_refused(cfg_path, match):
    cfg = Config.fromfile(DET_CWD)
    cfg.model.architecture = dict(cfg_path=cfg_path)
    with pytest.raises(ValueError, match=match):
        student_config_dict(cfg)
