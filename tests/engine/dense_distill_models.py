"""Distillation algorithms of mmdet/mmseg students, built for tests.

:func:`adapted_connector_ckpt` writes the phase-2 checkpoint that the
detection HKSANC-IS config loads into its frozen teacher estimators (from
the untrained adaptation model); :func:`seg_distill_config` is a tiny mmseg
``EncoderDecoder`` distillation (ResNet-18-style at 1/4 width, FCN head,
channel-wise distillation of the logits) in MMRazor's
``SingleTeacherDistill``.
"""
import copy
import os.path as osp

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import DefaultScope

import mmhkd.compat.mmcv_ops  # noqa: F401  (mmdet/mmseg on mmcv-lite)
from conftest import CONFIG_ROOT

ADAPTATION = osp.join(CONFIG_ROOT, 'detection',
                      'hksanc-adaptation_retinanet_r34-fpn128_'
                      'fashion-mnist-canvas.py')


def build_algorithm(cfg: Config) -> nn.Module:
    """``cfg.model`` built in mmrazor's scope, as the Runner does (seeded
    initialisation: the same weights in every run)."""
    from mmrazor.registry import MODELS
    for package in ('mmdet', 'mmseg'):  # what their Runners import
        __import__(f'{package}.utils', fromlist=['register_all_modules']
                   ).register_all_modules(init_default_scope=False)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmrazor'):
        return MODELS.build(copy.deepcopy(cfg.model))


def adapted_connector_ckpt(path: str) -> str:
    """Save the (untrained) adaptation model as its phase-2 checkpoint."""
    cfg = Config.fromfile(ADAPTATION)
    cfg.model.teacher_ckpt = None
    model = build_algorithm(cfg)
    # the state dict includes the connector's _extra_state
    torch.save(dict(state_dict=model.state_dict()), path)
    return path


def _seg_model(width: int, preprocessor: dict) -> dict:
    """EncoderDecoder: ResNetV1c-18 at ``width`` and an FCN head."""
    norm_cfg = dict(type='BN', requires_grad=True)
    return dict(
        _scope_='mmseg',
        type='EncoderDecoder',
        data_preprocessor=preprocessor,
        backbone=dict(type='ResNetV1c', depth=18, stem_channels=width,
                      base_channels=width, out_indices=(0, 1, 2, 3),
                      norm_cfg=norm_cfg),
        decode_head=dict(type='FCNHead', in_channels=8 * width, in_index=3,
                         channels=2 * width, num_convs=1,
                         concat_input=False, dropout_ratio=0.0,
                         num_classes=11, norm_cfg=norm_cfg,
                         align_corners=False,
                         loss_decode=dict(type='CrossEntropyLoss',
                                          use_sigmoid=False,
                                          loss_weight=1.0)),
        train_cfg=dict(),
        test_cfg=dict(mode='whole'))


def seg_distill_config() -> Config:
    """A tiny mmseg distillation config (CWD on the logits)."""
    preprocessor = dict(type='SegDataPreProcessor', mean=[18.78] * 3,
                        std=[54.63] * 3, bgr_to_rgb=False, pad_val=0,
                        seg_pad_val=255, size=(128, 128))
    logits = dict(type='ModuleOutputs', source='decode_head.conv_seg')
    return Config(dict(
        default_scope='mmseg',
        custom_imports=dict(imports=['mmhkd.compat.mmcv_ops', 'mmhkd'],
                            allow_failed_imports=False),
        model=dict(
            _scope_='mmrazor',
            type='SingleTeacherDistill',
            # the algorithm's own preprocessor (not the student's std)
            data_preprocessor=dict(preprocessor, _scope_='mmseg',
                                   std=[50.0] * 3),
            architecture=_seg_model(16, preprocessor),
            teacher=_seg_model(32, preprocessor),
            distiller=dict(
                type='ConfigurableDistiller',
                student_recorders=dict(logits=logits),
                teacher_recorders=dict(logits=logits),
                distill_losses=dict(loss_cwd=dict(
                    type='ChannelWiseDivergence', tau=1, loss_weight=3)),
                loss_forward_mappings=dict(loss_cwd=dict(
                    preds_S=dict(from_student=True, recorder='logits'),
                    preds_T=dict(from_student=False,
                                 recorder='logits'))))),
        find_unused_parameters=True,
        optim_wrapper=dict(type='OptimWrapper',
                           optimizer=dict(type='SGD', lr=0.01,
                                          momentum=0.9)),
        val_cfg=dict(type='mmrazor.SingleTeacherDistillValLoop'),
        test_cfg=dict(type='mmrazor.SingleTeacherDistillValLoop')))
