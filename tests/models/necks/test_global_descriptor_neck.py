"""Tests of GlobalDescriptorNeck (channel transform + GAP)."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.registry import DefaultScope

import mmhkd  # noqa: F401
from mmhkd.models.necks import GlobalDescriptorNeck


def randomise_bn(bn):
    bn.running_mean.uniform_(-1, 1)
    bn.running_var.uniform_(0.5, 2)
    bn.weight.data.uniform_(0.5, 1.5)
    bn.bias.data.uniform_(-0.5, 0.5)


def test_returns_stages_then_descriptor():
    neck = GlobalDescriptorNeck(in_channels=8, out_channels=6).eval()
    a, b = torch.randn(2, 4, 8, 8), torch.randn(2, 8, 4, 4)
    out = neck((a, b))
    assert isinstance(out, tuple) and len(out) == 3
    assert out[0] is a and out[1] is b
    assert out[2].shape == (2, 6)


def test_single_tensor_input():
    neck = GlobalDescriptorNeck(in_channels=8).eval()
    x = torch.randn(3, 8, 4, 4)
    out = neck(x)
    assert len(out) == 2 and out[0] is x
    assert out[1].shape == (3, 128)


def test_descriptor_is_gap_of_relu_bn_conv():
    torch.manual_seed(0)
    neck = GlobalDescriptorNeck(in_channels=5, out_channels=7).eval()
    conv, bn = neck.transform[0], neck.transform[1]
    assert conv.bias is None and isinstance(neck.transform[2], nn.ReLU)
    randomise_bn(bn)
    x = torch.randn(2, 5, 3, 4)
    y = torch.einsum('oi,nihw->nohw', conv.weight[:, :, 0, 0], x)
    y = ((y - bn.running_mean[:, None, None]) /
         torch.sqrt(bn.running_var[:, None, None] + bn.eps) *
         bn.weight[:, None, None] + bn.bias[:, None, None])
    expected = y.clamp(min=0).mean(dim=(2, 3))
    with torch.no_grad():
        descriptor = neck((x, ))[-1]
    torch.testing.assert_close(descriptor, expected)
    assert (descriptor >= 0).all()


def test_input_is_not_modified_in_place():
    neck = GlobalDescriptorNeck(in_channels=4, out_channels=4).eval()
    x = torch.randn(2, 4, 3, 3)
    before = x.clone()
    neck(x)
    torch.testing.assert_close(x, before)


def test_without_norm_act():
    torch.manual_seed(0)
    neck = GlobalDescriptorNeck(in_channels=5, out_channels=7,
                                norm_act=False)
    assert len(neck.transform) == 1
    conv = neck.transform[0]
    assert conv.bias is not None
    x = torch.randn(2, 5, 3, 4)
    expected = F.conv2d(x, conv.weight, conv.bias).mean(dim=(2, 3))
    with torch.no_grad():
        descriptor = neck(x)[-1]
    torch.testing.assert_close(descriptor, expected)
    assert (descriptor < 0).any()  # no ReLU


@pytest.mark.parametrize('shape', [(2, 6, 4, 4), (2, 8)])
def test_width_mismatch(shape):
    neck = GlobalDescriptorNeck(in_channels=8, out_channels=4)
    with pytest.raises(ValueError) as error:
        neck((torch.randn(*shape), ))
    message = str(error.value)
    assert message.startswith('GlobalDescriptorNeck expects the last '
                              'backbone stage as (N, 8, H, W), got '
                              f'{tuple(shape)}')
    assert 'in_channels' in message


def test_checks_only_the_last_stage():
    neck = GlobalDescriptorNeck(in_channels=8, out_channels=4)
    # earlier stages may have any width; a wrong last stage is refused
    with pytest.raises(ValueError, match=r'got \(2, 4, 4, 4\)'):
        neck((torch.randn(2, 8, 4, 4), torch.randn(2, 4, 4, 4)))


def test_head_receives_the_descriptor_in_an_image_classifier():
    from mmpretrain.registry import MODELS
    from mmpretrain.structures import DataSample
    cfg = dict(
        type='ImageClassifier',
        backbone=dict(
            type='CifarResNet',
            depth=8,
            stage_channels=(4, 8, 16),
            in_channels=1,
            out_indices=(0, 2)),
        neck=dict(type='GlobalDescriptorNeck', in_channels=16,
                  out_channels=128),
        head=dict(
            type='LinearClsHead',
            num_classes=10,
            in_channels=128,
            loss=dict(type='CrossEntropyLoss')))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg)
    model.eval()
    torch.manual_seed(0)
    x = torch.randn(2, 1, 16, 16)
    with torch.no_grad():
        feats = model.extract_feat(x)
        assert [f.shape for f in feats] == [(2, 4, 16, 16), (2, 16, 4, 4),
                                           (2, 128)]
        logits = model(x, mode='tensor')
        fc = model.head.fc
        torch.testing.assert_close(logits, feats[-1] @ fc.weight.T + fc.bias)
    model.train()
    samples = [DataSample().set_gt_label(i) for i in range(2)]
    loss = model(x, samples, mode='loss')['loss']
    loss.backward()
    assert model.neck.transform[0].weight.grad.abs().sum() > 0
