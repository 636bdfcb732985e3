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
