"""AttentionAdaptation: the teacher-side estimators learnt on a frozen teacher.

Built from the real adaptation config with the teacher shrunk to
PreActBottleneckResNet-11 (same 64/128/256 widths), and from a stock
mmpretrain classifier (CifarResNet + GlobalAveragePooling + LinearClsHead)
for ``feature_source='backbone'``. Batches of four random 1x32x32 uint8
images as mmpretrain's collate gives.
"""
import copy
import os.path as osp
from typing import Dict, List

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample
from mmrazor.registry import MODELS

from conftest import CONFIG_ROOT

ADAPTATION_CONFIG = osp.join(
    CONFIG_ROOT, 'hksanc',
    'hksanc-adaptation_preact-resnet29_1xb128_fashion-mnist.py')
LABELS = [3, 1, 4, 1]


pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture(scope='module')
def adapt_cfg() -> Config:
    cfg = Config.fromfile(ADAPTATION_CONFIG)
    cfg.model.teacher_ckpt = None
    cfg.model.architecture.backbone.depth = 11
    return cfg


def build(model_cfg: dict, seed: int = 0, **overrides) -> nn.Module:
    model_cfg = copy.deepcopy(model_cfg)
    model_cfg.update(overrides)
    init_default_scope('mmrazor')
    torch.manual_seed(seed)
    return MODELS.build(model_cfg)


def make_batch(seed: int = 0, labels: List[int] = LABELS) -> dict:
    gen = torch.Generator().manual_seed(seed)
    return dict(
        inputs=[
            torch.randint(0, 256, (1, 32, 32), dtype=torch.uint8,
                          generator=gen) for _ in labels
        ],
        data_samples=[DataSample().set_gt_label(k) for k in labels])


def snapshot(module: nn.Module) -> Dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def changed(before, after) -> List[str]:
    assert before.keys() == after.keys()
    return [k for k in before if not torch.equal(before[k], after[k])]


def stock_model_cfg(adapt_cfg: Config, **overrides) -> dict:
    """A stock mmpretrain classifier whose backbone feeds the connector."""
    cfg = dict(
        type='AttentionAdaptation',
        data_preprocessor=copy.deepcopy(adapt_cfg.model.data_preprocessor),
        architecture=dict(
            _scope_='mmpretrain',
            type='ImageClassifier',
            backbone=dict(
                type='CifarResNet',
                depth=8,
                stage_channels=(8, 16, 32),
                in_channels=1,
                out_indices=(0, 1, 2)),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(
                type='LinearClsHead',
                num_classes=10,
                in_channels=32,
                loss=dict(type='CrossEntropyLoss'))),
        feature_source='backbone',
        num_classes=10,
        connector=dict(
            type='HierarchicalAttentionConnector',
            stage_channels=(8, 16, 32),
            descriptor_channels=32,
            descriptor_source='pool_last_stage'))
    cfg.update(overrides)
    return cfg


def test_teacher_frozen_and_in_eval_mode(adapt_cfg):
    model = build(adapt_cfg.model)
    assert all(not p.requires_grad for p in model.architecture.parameters())
    for _ in range(2):
        model.eval()
        assert not any(m.training for m in model.modules())
        model.train()
        assert not any(m.training for m in model.architecture.modules())
        assert all(m.training for m in model.connector.modules())
        assert model.head.training
    assert all(p.requires_grad for p in model.connector.parameters())
    assert all(p.requires_grad for p in model.head.parameters())
    # widths 64 + 128 + 256 of the teacher's stages
    assert model.head.in_features == 448
    assert model.head.out_features == 10


def test_loss_is_ce_of_head_on_concatenated_descriptors(adapt_cfg):
    model = build(adapt_cfg.model)
    model.train()
    data = model.data_preprocessor(make_batch(), True)
    inputs, samples = data['inputs'], data['data_samples']
    teacher_before = snapshot(model.architecture)

    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss_attention_ce'}
    losses['loss_attention_ce'].backward()

    with torch.no_grad():
        stages = model.architecture.backbone(inputs)
        assert [s.shape[1] for s in stages] == [64, 128, 256]
        neck_out = model.architecture.neck(stages)
        descriptors = model.connector(neck_out)
        logits = descriptors[0].new_zeros(4, 10)
        weight, offset = model.head.weight, 0
        for d in descriptors:  # head(cat(d)) == sum of per-block products
            logits += d @ weight[:, offset:offset + d.shape[1]].t()
            offset += d.shape[1]
        logits += model.head.bias
    expected = F.cross_entropy(logits, torch.tensor(LABELS))
    assert torch.allclose(losses['loss_attention_ce'].detach(), expected,
                          rtol=1e-5, atol=1e-6)

    # gradients reach the connector and the head, never the teacher
    assert all(p.grad is None for p in model.architecture.parameters())
    assert model.head.weight.grad is not None
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.connector.parameters())
    # the teacher's BN statistics are untouched (eval mode)
    assert changed(teacher_before, snapshot(model.architecture)) == []


def test_predict_sets_argmax_labels(adapt_cfg):
    model = build(adapt_cfg.model)
    model.eval()
    data = model.data_preprocessor(make_batch(seed=2), False)
    inputs = data['inputs']
    with torch.no_grad():
        logits = model._forward(inputs)
        results = model(inputs, data['data_samples'], mode='predict')
    assert len(results) == 4
    scores = F.softmax(logits, dim=1)
    for i, sample in enumerate(results):
        assert int(sample.pred_label) == int(logits[i].argmax())
        assert torch.allclose(sample.pred_score, scores[i])
        assert int(sample.gt_label) == LABELS[i]  # labels kept


def test_training_reduces_loss_and_keeps_teacher(adapt_cfg):
    model = build(adapt_cfg.model)
    optim = build_optim_wrapper(model, copy.deepcopy(adapt_cfg.optim_wrapper))
    batch = make_batch()
    model.train()
    teacher_before = snapshot(model.architecture)
    connector_before = snapshot(model.connector)
    losses = [
        float(model.train_step(batch, optim)['loss_attention_ce'])
        for _ in range(8)
    ]
    # each logged loss is measured before that step's update
    assert all(b < a for a, b in zip(losses, losses[1:])), losses
    assert losses[-1] < losses[0] - 0.2, losses
    assert changed(teacher_before, snapshot(model.architecture)) == []
    assert changed(connector_before, snapshot(model.connector)) != []


def test_teacher_ckpt_is_loaded_strictly(adapt_cfg, tmp_path):
    donor = build(adapt_cfg.model, seed=5)
    with torch.no_grad():  # unlike any fresh initialisation
        for param in donor.architecture.parameters():
            param.add_(0.1 * torch.randn_like(param))
    path = str(tmp_path / 'teacher.pth')
    torch.save({
        'state_dict': donor.architecture.state_dict(),
        'meta': {}
    }, path)

    model = build(adapt_cfg.model, teacher_ckpt=path)
    expected = donor.architecture.state_dict()
    assert changed(expected, model.architecture.state_dict()) == []
    model.init_weights()  # what the Runner does: must not overwrite it
    assert changed(expected, model.architecture.state_dict()) == []
    assert all(not p.requires_grad for p in model.architecture.parameters())

    # a checkpoint of another architecture (depth 20) is rejected
    other_cfg = copy.deepcopy(adapt_cfg.model)
    other_cfg.architecture.backbone.depth = 20
    other = build(other_cfg)
    other_path = str(tmp_path / 'other.pth')
    torch.save({'state_dict': other.architecture.state_dict()}, other_path)
    with pytest.raises(RuntimeError, match='Unexpected key'):
        build(adapt_cfg.model, teacher_ckpt=other_path)
    # as is a partial one
    partial = dict(donor.architecture.state_dict())
    partial.pop('head.fc.weight')
    partial_path = str(tmp_path / 'partial.pth')
    torch.save({'state_dict': partial}, partial_path)
    with pytest.raises(RuntimeError, match='Missing key.*head.fc.weight'):
        build(adapt_cfg.model, teacher_ckpt=partial_path)

    with pytest.raises(FileNotFoundError, match='missing.pth'):
        build(adapt_cfg.model, teacher_ckpt=str(tmp_path / 'missing.pth'))


def test_unknown_feature_source(adapt_cfg):
    with pytest.raises(ValueError, match='feature_source'):
        build(adapt_cfg.model, feature_source='head')


def test_backbone_features_with_stock_classifier(adapt_cfg):
    model = build(stock_model_cfg(adapt_cfg))
    assert model.head.in_features == 8 + 16 + 32
    model.train()
    assert not any(m.training for m in model.architecture.modules())
    data = model.data_preprocessor(make_batch(seed=3), True)
    inputs, samples = data['inputs'], data['data_samples']
    loss = model(inputs, samples, mode='loss')['loss_attention_ce']

    with torch.no_grad():
        stages = model.architecture.backbone(inputs)
        assert [s.shape[1] for s in stages] == [8, 16, 32]
        descriptors = model.connector(stages)
        logits = model.head(torch.cat(descriptors, dim=1))
    expected = F.cross_entropy(logits, torch.tensor(LABELS))
    assert torch.allclose(loss.detach(), expected, rtol=1e-5, atol=1e-6)

    optim = build_optim_wrapper(
        model, dict(optimizer=dict(type='Adam', lr=1e-3)))
    teacher_before = snapshot(model.architecture)
    connector_before = snapshot(model.connector)
    head_before = snapshot(model.head)
    model.train_step(make_batch(seed=3), optim)
    assert changed(teacher_before, snapshot(model.architecture)) == []
    assert changed(connector_before, snapshot(model.connector)) != []
    assert changed(head_before, snapshot(model.head)) != []

    # the GAP neck's output holds no stage maps: 'neck' cannot feed the
    # connector, so the stages must come from the backbone
    neck_model = build(stock_model_cfg(adapt_cfg, feature_source='neck'))
    with pytest.raises(ValueError, match='pool_last_stage'):
        neck_model(inputs, samples, mode='loss')
