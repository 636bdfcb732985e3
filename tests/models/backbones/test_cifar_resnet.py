"""Tests of the basic-block CIFAR ResNet-(6n+2)."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.registry import DefaultScope

import mmhkd  # noqa: F401
from mmhkd.models.backbones import CifarResNet
from mmhkd.models.backbones.cifar_resnet import (BasicBlock,
                                                 PaddedIdentityShortcut,
                                                 check_out_indices)


def num_params(module):
    return sum(p.numel() for p in module.parameters())


def with_linear_classifier(backbone, width, num_classes):
    return num_params(backbone) + width * num_classes + num_classes


# He et al. 2016 (Table 6) and RepDistiller/CRD (Tian et al. 2020, Table 1).
@pytest.mark.parametrize('depth,published', [
    (20, 0.27e6),
    (32, 0.46e6),
    (44, 0.66e6),
    (56, 0.85e6),
    (110, 1.7e6),
])
def test_classic_parameter_counts(depth, published):
    backbone = CifarResNet(depth)
    count = with_linear_classifier(backbone, 64, 10)
    assert count == pytest.approx(published, rel=0.02)


def test_resnet56_count_matches_0_86m_as_well():
    count = with_linear_classifier(CifarResNet(56), 64, 10)
    assert count == pytest.approx(0.86e6, rel=0.02)


def test_resnet20_exact_count():
    # stem 3*16*9 + BN; per block 2 convs + 2 BNs; FC 64*10+10
    stem = 3 * 16 * 9 + 2 * 16
    stage = lambda cin, c: (cin * c * 9 + c * c * 9 + 4 * c) + 2 * (  # noqa
        c * c * 9 + c * c * 9 + 4 * c)
    expected = stem + stage(16, 16) + stage(16, 32) + stage(32, 64) + 650
    assert with_linear_classifier(CifarResNet(20), 64, 10) == expected


@pytest.mark.parametrize('depth,published', [(8, 1.23e6), (32, 7.43e6)])
def test_repdistiller_x4_parameter_counts(depth, published):
    backbone = CifarResNet(
        depth,
        stage_channels=(64, 128, 256),
        stem_channels=32,
        shortcut='projection')
    count = with_linear_classifier(backbone, 256, 100)
    assert count == pytest.approx(published, rel=0.02)


def test_default_output_shape():
    backbone = CifarResNet(20)
    outs = backbone(torch.randn(1, 3, 32, 32))
    assert isinstance(outs, tuple) and len(outs) == 1
    assert outs[0].shape == (1, 64, 8, 8)


def test_all_stage_outputs():
    backbone = CifarResNet(8, out_indices=(0, 1, 2))
    outs = backbone(torch.randn(2, 3, 32, 32))
    assert [o.shape for o in outs] == [(2, 16, 32, 32), (2, 32, 16, 16),
                                      (2, 64, 8, 8)]


def test_negative_out_indices_match_positive():
    torch.manual_seed(0)
    backbone = CifarResNet(8, out_indices=(-3, -1)).eval()
    assert backbone.out_indices == (0, 2)
    reference = CifarResNet(8, out_indices=(0, 1, 2)).eval()
    reference.load_state_dict(backbone.state_dict())
    x = torch.randn(2, 3, 16, 16)
    outs, ref = backbone(x), reference(x)
    assert len(outs) == 2
    torch.testing.assert_close(outs[0], ref[0])
    torch.testing.assert_close(outs[1], ref[2])


def test_check_out_indices_resolution():
    assert check_out_indices((-1, ), 3) == (2, )
    assert check_out_indices((0, -2), 3) == (0, 1)


def test_single_channel_input_and_custom_widths():
    backbone = CifarResNet(
        14, stage_channels=(8, 16, 32), in_channels=1, out_indices=(0, 2))
    assert backbone.stem[0].in_channels == 1
    outs = backbone(torch.randn(3, 1, 32, 32))
    assert [o.shape for o in outs] == [(3, 8, 32, 32), (3, 32, 8, 8)]
    with pytest.raises(RuntimeError):
        backbone(torch.randn(3, 3, 32, 32))


def test_identity_shortcut_has_no_parameters():
    backbone = CifarResNet(20)
    convs = [m for m in backbone.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 19  # stem + 2 per block, no 1x1 projections
    assert all(c.kernel_size == (3, 3) for c in convs)
    shortcuts = [m for m in backbone.modules()
                 if isinstance(m, PaddedIdentityShortcut)]
    assert len(shortcuts) == 2  # the two down-sampling blocks
    assert all(num_params(s) == 0 for s in shortcuts)


def test_identity_shortcut_equals_zero_padded_subsampled_input():
    shortcut = PaddedIdentityShortcut(3, 5, stride=2)
    x = torch.arange(2 * 3 * 4 * 4, dtype=torch.float32).reshape(2, 3, 4, 4)
    out = shortcut(x)
    assert out.shape == (2, 5, 2, 2)
    expected = torch.zeros(2, 5, 2, 2)
    for i in range(2):
        for j in range(2):
            expected[:, :3, i, j] = x[:, :, 2 * i, 2 * j]
    torch.testing.assert_close(out, expected)


def test_identity_shortcut_cannot_reduce_channels():
    with pytest.raises(ValueError,
                       match=r"cannot reduce channels \(8 -> 4\).*"
                       r"shortcut='projection'"):
        PaddedIdentityShortcut(8, 4, stride=1)
    with pytest.raises(ValueError, match='cannot reduce channels'):
        CifarResNet(8, stage_channels=(16, 8, 8))


def test_downsampling_basic_block_forward_independent():
    torch.manual_seed(0)
    block = BasicBlock(4, 8, stride=2, shortcut='identity').eval()
    for bn in (block.bn1, block.bn2):
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.data.uniform_(0.5, 1.5)
        bn.bias.data.uniform_(-0.5, 0.5)
    x = torch.randn(2, 4, 6, 6)

    def bn(y, m):
        return ((y - m.running_mean[:, None, None]) /
                torch.sqrt(m.running_var[:, None, None] + m.eps) *
                m.weight[:, None, None] + m.bias[:, None, None])

    y = F.conv2d(x, block.conv1.weight, stride=2, padding=1)
    y = bn(y, block.bn1).clamp(min=0)
    y = bn(F.conv2d(y, block.conv2.weight, padding=1), block.bn2)
    skip = torch.cat([x[:, :, ::2, ::2], torch.zeros(2, 4, 3, 3)], dim=1)
    expected = (y + skip).clamp(min=0)
    with torch.no_grad():
        torch.testing.assert_close(block(x), expected)


def test_projection_shortcut_when_asked():
    backbone = CifarResNet(20, shortcut='projection')
    projections = [
        m for m in backbone.modules() if isinstance(m, nn.Conv2d)
        and m.kernel_size == (1, 1)
    ]
    assert [(p.in_channels, p.out_channels, p.stride)
            for p in projections] == [(16, 32, (2, 2)), (32, 64, (2, 2))]
    assert not any(
        isinstance(m, PaddedIdentityShortcut) for m in backbone.modules())
    assert num_params(backbone) == num_params(CifarResNet(20)) + (
        16 * 32 + 2 * 32 + 32 * 64 + 2 * 64)
    assert backbone(torch.randn(1, 3, 32, 32))[0].shape == (1, 64, 8, 8)


def test_projection_on_the_stem_when_widths_differ():
    backbone = CifarResNet(
        8, stage_channels=(64, 128, 256), stem_channels=32,
        shortcut='projection')
    first = backbone.stages[0][0].shortcut
    assert isinstance(first, nn.Sequential)
    assert (first[0].in_channels, first[0].out_channels) == (32, 64)
    assert first[0].stride == (1, 1)


def test_non_downsampling_blocks_use_plain_identity():
    backbone = CifarResNet(20)
    for stage in backbone.stages:
        for block in list(stage)[1:]:
            assert isinstance(block.shortcut, nn.Identity)


@pytest.mark.parametrize('depth', [7, 2, 21, 9])
def test_bad_depth(depth):
    with pytest.raises(ValueError,
                       match=rf'depth must be 6n\+2 with n >= 1 .*got '
                       rf'{depth}\.'):
        CifarResNet(depth)


def test_bad_shortcut():
    with pytest.raises(ValueError,
                       match=r"shortcut must be one of \('identity', "
                       r"'projection'\), got 'zero'\."):
        CifarResNet(20, shortcut='zero')


def test_bad_stage_channels():
    with pytest.raises(ValueError,
                       match=r'stage_channels must give 3 widths, got '
                       r'\(16, 32\)\.'):
        CifarResNet(20, stage_channels=(16, 32))


@pytest.mark.parametrize('index', [3, -4])
def test_bad_out_indices(index):
    with pytest.raises(ValueError,
                       match=rf'out_indices entry {index} is out of range '
                       r'for a backbone with 3 stages\.'):
        CifarResNet(20, out_indices=(0, index))


def test_init_weights_kaiming_fan_out():
    torch.manual_seed(0)
    backbone = CifarResNet(56, stage_channels=(16, 32, 64))
    backbone.init_weights()
    conv = backbone.stages[2][3].conv2  # 64 -> 64, 3x3: fan_out = 576
    expected_std = (2.0 / (64 * 9))**0.5
    assert conv.weight.std().item() == pytest.approx(expected_std, rel=0.05)


def test_inside_mmpretrain_image_classifier():
    from mmpretrain.registry import MODELS
    from mmpretrain.structures import DataSample
    cfg = dict(
        type='ImageClassifier',
        backbone=dict(
            type='CifarResNet',
            depth=8,
            stage_channels=(4, 8, 8),
            in_channels=1),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=3,
            in_channels=8,
            loss=dict(type='CrossEntropyLoss')))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg)
    assert isinstance(model.backbone, CifarResNet)
    torch.manual_seed(0)
    samples = [DataSample().set_gt_label(i % 3) for i in range(4)]
    losses = model(torch.randn(4, 1, 16, 16), samples, mode='loss')
    loss = losses['loss']
    assert loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()
    grad = model.backbone.stem[0].weight.grad
    assert grad is not None and grad.abs().sum() > 0
    logits = model(torch.randn(2, 1, 16, 16), mode='tensor')
    assert logits.shape == (2, 3)
