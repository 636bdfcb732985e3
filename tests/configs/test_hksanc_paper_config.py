"""The hksanc-paper configs: HKSANC with the paper's equations read
literally.

The built model carries every literal setting the config's header lists,
and differs from the shipped HKSANC config in those settings only; then
phase 2 (hksanc-adaptation-paper) and phase 3 (hksanc-paper) each train one
tiny epoch through ``tools/train.py`` on the real Fashion-MNIST, the
distillation loading the adaptation run's estimators.
"""
import glob
import json
import math
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import DefaultScope

from conftest import CONFIG_ROOT, load_tool, tiny_run_options

HKSANC = osp.join(CONFIG_ROOT, 'hksanc',
                  'hksanc_preact-resnet29_resnet20-half_1xb128_'
                  'fashion-mnist-1k.py')
PAPER = osp.join(CONFIG_ROOT, 'hksanc',
                 'hksanc-paper_preact-resnet29_resnet20-half_1xb128_'
                 'fashion-mnist-1k.py')
ADAPTATION = osp.join(CONFIG_ROOT, 'hksanc',
                      'hksanc-adaptation_preact-resnet29_1xb128_'
                      'fashion-mnist.py')
PAPER_ADAPTATION = osp.join(CONFIG_ROOT, 'hksanc',
                            'hksanc-adaptation-paper_preact-resnet29_'
                            '1xb128_fashion-mnist.py')
TEACHER = osp.join(CONFIG_ROOT, 'vanilla',
                   'preact-resnet29_1xb128_fashion-mnist.py')
CONNECTORS = 'distiller.connectors.'
LOSSES = 'distiller.distill_losses.'
# what the paper config changes in model, as its header lists
LITERAL = {
    'teacher_attention_ckpt':
    'work_dirs/hksanc-adaptation-paper_preact-resnet29_1xb128_'
    'fashion-mnist/epoch_1.pth',
    CONNECTORS + 'student_attention.attention_cfg.act': None,
    CONNECTORS + 'student_attention.attention_cfg.pooling': 'mean',
    CONNECTORS + 'teacher_attention.attention_cfg.act': None,
    CONNECTORS + 'teacher_attention.attention_cfg.pooling': 'mean',
    CONNECTORS + 'student_attention.transform_cfg.type': 'conv',
    'architecture.neck.norm_act': False,
    LOSSES + 'loss_backbone.reduction': 'sum',
    LOSSES + 'loss_backbone.loss_weight': 1.0,
    LOSSES + 'loss_is.reduction': 'sum',
    'adversarial_loss.fake_as_real_weight': 1e-3,
    'fake_as_real_dropout': 0.0,
}

pytestmark = pytest.mark.usefixtures('one_thread')


def flat(cfg: dict, prefix: str = '') -> dict:
    out = {}
    for key, value in cfg.items():
        if isinstance(value, dict):
            out.update(flat(value, f'{prefix}{key}.'))
        else:
            out[f'{prefix}{key}'] = value
    return out


def changes(base: str, config: str) -> dict:
    """``model`` keys whose values differ, with the new values."""
    before = flat(Config.fromfile(base).model.to_dict())
    after = flat(Config.fromfile(config).model.to_dict())
    return {k: v for k, v in after.items() if before.get(k, '?') != v}


def test_paper_configs_change_only_the_literal_settings():
    assert changes(HKSANC, PAPER) == LITERAL
    assert changes(ADAPTATION, PAPER_ADAPTATION) == {
        'connector.attention_cfg.act': None,
        'connector.attention_cfg.pooling': 'mean',
    }


def test_paper_model_is_the_literal_reading():
    from mmrazor.registry import MODELS
    cfg = Config.fromfile(PAPER)
    cfg.model.teacher_ckpt = None
    cfg.model.teacher_attention_ckpt = None
    with DefaultScope.overwrite_default_scope('mmrazor'):
        model = MODELS.build(cfg.model)
    connectors = model.distiller.connectors
    for name in ('student_attention', 'teacher_attention'):
        assert connectors[name].query == 'global'  # KSANC's figure
        for estimator in connectors[name].estimators:
            # score = conv1x1(L + proj(g)), s = mean_HW(M * (L + proj(g)))
            assert (estimator.act, estimator.pool_source,
                    estimator.pooling) == (None, 'fused', 'mean')
            assert isinstance(estimator.activation, nn.Identity)
    # the bare channel-transform convolution, with bias, no BN
    for transform in connectors['student_attention'].transforms:
        assert type(transform) is nn.Conv2d and transform.bias is not None
    # the student's descriptor neck: 1x1 conv + GAP; the teacher's keeps
    # the BN + ReLU its phase-1 checkpoint was trained with
    student_neck = [type(m) for m in model.student.neck.modules()]
    teacher_neck = [type(m) for m in model.teacher.neck.modules()]
    assert nn.Conv2d in student_neck and nn.BatchNorm2d not in student_neck
    assert nn.BatchNorm2d in teacher_neck
    losses = model.distiller.distill_losses
    backbone, intermediate = losses['loss_backbone'], losses['loss_is']
    assert (backbone.mode, backbone.reduction,
            backbone.loss_weight) == ('l2', 'sum', 1.0)
    assert (intermediate.reduction, intermediate.normalize,
            intermediate.standardize, intermediate.stage_weights,
            intermediate.loss_weight) == ('sum', False, False, None, 1.0)
    adversarial = model.adversarial_loss
    # L_reg = -mu (|w_D| + ||w_D||^2 - E_S[log D(l_S)]) on the raw logits
    assert adversarial.fake_as_real_weight == \
        adversarial.regularization_weight == 1e-3
    assert model.fake_as_real_dropout == 0.0
    assert (adversarial.loss_weight, adversarial.adversarial_weight,
            adversarial.category_weight) == (1.0, 1.0, 1.0)
    assert model.discriminator_input == 'logits'
    assert any(isinstance(m, nn.BatchNorm1d)
               for m in model.discriminator.modules())
    assert model.calculate_student_loss is False


@pytest.fixture(scope='module')
def teacher_ckpt(tmp_path_factory):
    from mmpretrain.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        teacher = MODELS.build(Config.fromfile(TEACHER).model)
    teacher.init_weights()
    path = str(tmp_path_factory.mktemp('teacher') / 'teacher.pth')
    torch.save({'state_dict': teacher.state_dict(), 'meta': {}}, path)
    return path


def test_paper_pair_trains_through_train_tool(teacher_ckpt, tmp_path,
                                              fashion_mnist_root):
    """Phase 2 then phase 3 in the literal form, one tiny epoch each."""
    tool = load_tool('train')
    options = tiny_run_options('fashion-mnist')
    options.update({'model.teacher_ckpt': teacher_ckpt,
                    'train_cfg.max_epochs': 1, 'train_cfg.val_interval': 1})
    adapt_dir, distill_dir = str(tmp_path / 'adapt'), str(tmp_path / 'kd')
    tool.main([PAPER_ADAPTATION, '--work-dir', adapt_dir, '--cfg-options'] +
              [f'{k}={v}' for k, v in options.items()])
    options['model.teacher_attention_ckpt'] = osp.join(adapt_dir,
                                                       'epoch_1.pth')
    tool.main([PAPER, '--work-dir', distill_dir, '--cfg-options'] +
              [f'{k}={v}' for k, v in options.items()])

    records = [json.loads(line) for path in glob.glob(
        osp.join(distill_dir, '*', 'vis_data', 'scalars.json'))
        for line in open(path)]
    train = [r for r in records if 'distill.loss_backbone' in r]
    assert train and any('accuracy/top1' in r for r in records)
    for record in train:
        for key in ('distill.loss_backbone', 'distill.loss_is',
                    'distill.loss_adv', 'disc.loss_real', 'disc.loss_fake',
                    'disc.loss_fake_as_real'):
            assert math.isfinite(record[key]), (key, record)
    # the distillation ran on the estimators phase 2 adapted
    adapted = torch.load(osp.join(adapt_dir, 'epoch_1.pth'),
                         weights_only=True)['state_dict']
    distilled = torch.load(osp.join(distill_dir, 'epoch_1.pth'),
                           weights_only=True)['state_dict']
    prefix = 'distiller.connectors.teacher_attention.'
    keys = [k for k in adapted if k.startswith('connector.')]
    assert keys
    for key in keys:
        assert torch.equal(adapted[key],
                           distilled[prefix + key[len('connector.'):]])
