"""Tests of the pre-activation bottleneck ResNet-(9n+2)."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.registry import DefaultScope

import mmhkd  # noqa: F401
from mmhkd.models.backbones import PreActBottleneckResNet
from mmhkd.models.backbones.preact_bottleneck_resnet import PreActBottleneck


def num_params(module):
    return sum(p.numel() for p in module.parameters())


def test_resnet164_parameter_count():
    # He et al. ECCV 2016, Table 2/3: pre-act ResNet-164 on CIFAR, 1.7M
    backbone = PreActBottleneckResNet(164)
    count = num_params(backbone) + 256 * 10 + 10
    assert count == pytest.approx(1.7e6, rel=0.02)


def test_bottleneck_exact_parameter_count():
    block = PreActBottleneck(16, 16, stride=1)
    expected = (2 * 16 + 16 * 16 + 2 * 16 + 16 * 16 * 9 + 2 * 16 +
                16 * 64 + 16 * 64)  # BNs, convs, 1x1 projection 16->64
    assert num_params(block) == expected
    assert block.projection is not None
    identity_block = PreActBottleneck(64, 16, stride=1)
    assert identity_block.projection is None


def test_stage_layout_resnet164():
    backbone = PreActBottleneckResNet(164, out_indices=(0, 1, 2))
    assert backbone.stage_channels == (64, 128, 256)
    assert [len(s) for s in backbone.stages] == [18, 18, 18]
    # one projection per stage (first block), identity elsewhere
    assert [sum(b.projection is not None for b in s)
            for s in backbone.stages] == [1, 1, 1]


def test_stage_output_shapes_resnet29():
    # same widths as ResNet-164 (the paper's 64x32x32/128x16x16/256x8x8)
    backbone = PreActBottleneckResNet(29, out_indices=(0, 1, 2))
    outs = backbone(torch.randn(1, 3, 32, 32))
    assert [o.shape for o in outs] == [(1, 64, 32, 32), (1, 128, 16, 16),
                                      (1, 256, 8, 8)]


def test_default_and_negative_out_indices():
    torch.manual_seed(0)
    backbone = PreActBottleneckResNet(11, base_channels=4).eval()
    assert backbone.out_indices == (2, )
    x = torch.randn(2, 3, 16, 16)
    out = backbone(x)
    assert len(out) == 1 and out[0].shape == (2, 64, 4, 4)
    negative = PreActBottleneckResNet(
        11, base_channels=4, out_indices=(-3, -2, -1)).eval()
    negative.load_state_dict(backbone.state_dict())
    outs = negative(x)
    assert negative.out_indices == (0, 1, 2)
    assert [o.shape for o in outs] == [(2, 16, 16, 16), (2, 32, 8, 8),
                                      (2, 64, 4, 4)]
    torch.testing.assert_close(outs[2], out[0])


def test_only_last_stage_is_activated():
    torch.manual_seed(0)
    backbone = PreActBottleneckResNet(
        11, base_channels=4, out_indices=(0, 1, 2)).eval()
    with torch.no_grad():
        first, _, last = backbone(torch.randn(2, 3, 16, 16))
    assert first.min() < 0  # raw residual stream
    assert last.min() >= 0  # after the final BN-ReLU
    # last = ReLU(final_norm(stage_2 stream)), recomputed independently
    with torch.no_grad():
        x = torch.randn(2, 3, 16, 16)
        stream = backbone.stem(x)
        for stage in backbone.stages:
            stream = stage(stream)
        norm = backbone.final_norm
        expected = F.relu(
            (stream - norm.running_mean[:, None, None]) /
            torch.sqrt(norm.running_var[:, None, None] + norm.eps) *
            norm.weight[:, None, None] + norm.bias[:, None, None])
        torch.testing.assert_close(backbone(x)[2], expected)


def test_bottleneck_forward_independent():
    torch.manual_seed(0)
    block = PreActBottleneck(8, 4, stride=2).eval()
    for bn in (block.bn1, block.bn2, block.bn3):
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.data.uniform_(0.5, 1.5)
        bn.bias.data.uniform_(-0.5, 0.5)

    def bn_relu(y, m):
        return F.relu((y - m.running_mean[:, None, None]) /
                      torch.sqrt(m.running_var[:, None, None] + m.eps) *
                      m.weight[:, None, None] + m.bias[:, None, None])

    x = torch.randn(2, 8, 6, 6)
    pre = bn_relu(x, block.bn1)
    out = F.conv2d(pre, block.conv1.weight)
    out = F.conv2d(bn_relu(out, block.bn2), block.conv2.weight, stride=2,
                   padding=1)
    out = F.conv2d(bn_relu(out, block.bn3), block.conv3.weight)
    skip = F.conv2d(pre, block.projection.weight, stride=2)
    with torch.no_grad():
        result = block(x)
    assert result.shape == (2, 16, 3, 3)
    torch.testing.assert_close(result, out + skip)


def test_identity_bottleneck_adds_raw_input():
    torch.manual_seed(0)
    block = PreActBottleneck(16, 4, stride=1).eval()
    nn.init.zeros_(block.conv3.weight)  # residual branch contributes 0
    x = torch.randn(2, 16, 5, 5)
    with torch.no_grad():
        torch.testing.assert_close(block(x), x)


def test_in_channels_one():
    backbone = PreActBottleneckResNet(29, in_channels=1)
    assert backbone.stem.in_channels == 1
    assert backbone(torch.randn(1, 1, 16, 16))[0].shape == (1, 256, 4, 4)


@pytest.mark.parametrize('depth', [10, 2, 30, 164 + 1])
def test_bad_depth(depth):
    with pytest.raises(ValueError,
                       match=rf'depth must be 9n\+2 with n >= 1 .*got '
                       rf'{depth}\.'):
        PreActBottleneckResNet(depth)


@pytest.mark.parametrize('index', [3, -4])
def test_bad_out_indices(index):
    with pytest.raises(ValueError,
                       match=rf'out_indices entry {index} is out of range '
                       r'for a backbone with 3 stages\.'):
        PreActBottleneckResNet(11, out_indices=(index, ))


def test_inside_mmpretrain_image_classifier():
    from mmpretrain.registry import MODELS
    from mmpretrain.structures import DataSample
    cfg = dict(
        type='ImageClassifier',
        backbone=dict(
            type='PreActBottleneckResNet',
            depth=11,
            base_channels=2,
            in_channels=1),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=3,
            in_channels=32,
            loss=dict(type='CrossEntropyLoss')))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg)
    assert isinstance(model.backbone, PreActBottleneckResNet)
    torch.manual_seed(0)
    samples = [DataSample().set_gt_label(i % 3) for i in range(4)]
    loss = model(torch.randn(4, 1, 16, 16), samples, mode='loss')['loss']
    assert loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()
    grad = model.backbone.stem.weight.grad
    assert grad is not None and grad.abs().sum() > 0
