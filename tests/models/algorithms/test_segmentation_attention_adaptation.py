"""SegmentationAttentionAdaptation: presence estimators on a frozen FCN.

Built from the shipped adaptation config with the teacher shrunk to a
ResNetV1c-18 eight channels wide (stages 8/16/32/64); batches of two
random 3x64x64 uint8 images with hand-made label maps.
"""
import copy
import os.path as osp
from typing import List

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData

import mmhkd.compat.mmcv_ops  # noqa: F401  (before mmseg)
from conftest import CONFIG_ROOT
from mmhkd.models.algorithms import (SegmentationAttentionAdaptation,
                                     segmentation_presence_targets)

from mmrazor.registry import MODELS  # noqa: I100
from mmseg.structures import SegDataSample

CONFIG = osp.join(CONFIG_ROOT, 'segmentation',
                  'hksanc-adaptation_fcn_r34-d16_fashion-mnist-canvas.py')
pytestmark = pytest.mark.usefixtures('one_thread')


def sample(label_map: torch.Tensor) -> SegDataSample:
    out = SegDataSample()
    out.gt_sem_seg = PixelData(data=label_map[None].long())
    return out


def label_maps() -> List[torch.Tensor]:
    """Image 0: background, class 3 and ignored pixels; image 1: classes 1
    and 10 without background."""
    a = torch.zeros(64, 64, dtype=torch.long)
    a[5:20, 5:20] = 3
    a[40:, 40:] = 255
    b = torch.ones(64, 64, dtype=torch.long)
    b[32:] = 10
    return [a, b]


# foreground column k - 1 for label k
EXPECTED = torch.zeros(2, 10)
EXPECTED[0, 2] = 1.0
EXPECTED[1, 0] = EXPECTED[1, 9] = 1.0


@pytest.fixture(scope='module')
def model_cfg() -> dict:
    cfg = Config.fromfile(CONFIG).model
    cfg.teacher_ckpt = None
    cfg.architecture.backbone.update(
        depth=18, stem_channels=8, base_channels=8)
    cfg.architecture.decode_head.update(in_channels=64, channels=8)
    cfg.connector.update(stage_channels=[8, 16, 32, 64],
                         descriptor_channels=64)
    return cfg.to_dict()


def build(model_cfg: dict, seed: int = 0) -> SegmentationAttentionAdaptation:
    init_default_scope('mmrazor')
    torch.manual_seed(seed)
    return MODELS.build(copy.deepcopy(model_cfg))


def batch(model) -> dict:
    gen = torch.Generator().manual_seed(0)
    data = dict(
        inputs=[torch.randint(0, 256, (3, 64, 64), dtype=torch.uint8,
                              generator=gen) for _ in range(2)],
        data_samples=[sample(m) for m in label_maps()])
    return model.data_preprocessor(data, True)


def test_presence_targets_from_hand_made_maps():
    samples = [sample(m) for m in label_maps()]
    targets = segmentation_presence_targets(samples, 10)
    assert torch.equal(targets, EXPECTED)
    # every label a class: label k is column k
    targets = segmentation_presence_targets(samples, 11, None)
    expected = torch.zeros(2, 11)
    expected[0, [0, 3]] = 1.0
    expected[1, [1, 10]] = 1.0
    assert torch.equal(targets, expected)
    # a map of background and ignored pixels only: no target
    empty = torch.zeros(8, 8, dtype=torch.long)
    empty[:4] = 255
    assert segmentation_presence_targets([sample(empty)], 10).sum() == 0


def test_presence_targets_refuse_bad_samples():
    bad = torch.full((4, 4), 11)
    with pytest.raises(ValueError, match='label 11 is out of range'):
        segmentation_presence_targets([sample(bad)], 10)
    with pytest.raises(ValueError, match='gt_sem_seg'):
        segmentation_presence_targets([SegDataSample()], 10)


def test_built_from_the_config(model_cfg):
    model = build(model_cfg)
    assert isinstance(model, SegmentationAttentionAdaptation)
    assert model.head.in_features == 8 + 16 + 32 + 64
    assert model.head.out_features == 10
    assert model.feature_source == 'backbone'


def test_loss_is_bce_of_head_on_backbone_descriptors(model_cfg):
    model = build(model_cfg)
    model.train()
    data = batch(model)
    # the preprocessor pads the maps to 128 x 128 with 255
    assert data['data_samples'][0].gt_sem_seg.data.shape[-2:] == (128, 128)
    loss = model(**data, mode='loss')['loss_attention_presence']
    with torch.no_grad():
        stages = model.architecture.backbone(data['inputs'])
    logits = model.head(torch.cat(model.connector(stages), dim=1))
    assert logits.shape == (2, 10)
    expected = F.binary_cross_entropy_with_logits(logits, EXPECTED)
    torch.testing.assert_close(loss, expected)


def test_teacher_gets_no_gradient_connector_and_head_do(model_cfg):
    model = build(model_cfg)
    model.train()
    assert not any(m.training for m in model.architecture.modules())
    before = {k: v.clone() for k, v in model.architecture.state_dict().items()}
    loss = model(**batch(model), mode='loss')['loss_attention_presence']
    loss.backward()
    assert all(p.grad is None for p in model.architecture.parameters())
    for part in (model.connector, model.head):
        grads = [p.grad for p in part.parameters()]
        assert grads and all(g is not None for g in grads)
        assert any(g.abs().sum() > 0 for g in grads)
    # teacher BN statistics untouched (eval mode)
    after = model.architecture.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_predict_sets_pred_presence(model_cfg):
    model = build(model_cfg)
    model.eval()
    data = batch(model)
    with torch.no_grad():
        out = model(**data, mode='predict')
        stages = model.architecture.backbone(data['inputs'])
        logits = model.head(torch.cat(model.connector(stages), dim=1))
    for n, item in enumerate(out):
        torch.testing.assert_close(item.pred_presence,
                                   torch.sigmoid(logits[n]))
