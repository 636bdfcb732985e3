"""Tests of IntermediateSupervisionLoss."""
import pytest
import torch

import mmhkd  # noqa: F401
from mmhkd.models.losses import IntermediateSupervisionLoss

WIDTHS = (2, 4, 6)


def _descriptors(seed):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(3, c, generator=g, requires_grad=True)
            for c in WIDTHS]


def _unit(x):
    return x / x.pow(2).sum(1, keepdim=True).sqrt()


@pytest.mark.parametrize('normalize', [False, True])
@pytest.mark.parametrize('reduction', ['mean', 'sum'])
def test_matches_hand_computation(normalize, reduction):
    s, t = _descriptors(0), _descriptors(1)
    weights = (0.5, 1.0, 2.0)
    loss = IntermediateSupervisionLoss(
        loss_weight=3.0, stage_weights=weights, normalize=normalize,
        reduction=reduction)(s, t)
    expected = 0.0
    for si, ti, w in zip(s, t, weights):
        si, ti = si.detach(), ti.detach()
        if normalize:
            si, ti = _unit(si), _unit(ti)
        sq = (si - ti) ** 2
        per_stage = sq.sum() / (sq.numel() if reduction == 'mean' else 3)
        expected = expected + w * per_stage
    torch.testing.assert_close(loss, 3.0 * expected)


def test_default_weights_are_one():
    s, t = _descriptors(0), _descriptors(1)
    loss = IntermediateSupervisionLoss()(s, t)
    expected = sum(((a - b) ** 2).mean() for a, b in zip(s, t))
    torch.testing.assert_close(loss, expected.detach())


def test_teacher_gets_no_gradient():
    s, t = _descriptors(0), _descriptors(1)
    IntermediateSupervisionLoss(normalize=True)(s, t).backward()
    assert all(x.grad is None for x in t)
    assert all(x.grad is not None for x in s)


def test_errors():
    s, t = _descriptors(0), _descriptors(1)
    with pytest.raises(ValueError, match='3 student and 2 teacher'):
        IntermediateSupervisionLoss()(s, t[:2])
    with pytest.raises(ValueError, match=r'stage 1.*\(3, 4\).*\(3, 5\)'):
        IntermediateSupervisionLoss()(s, [t[0], torch.randn(3, 5), t[2]])
    with pytest.raises(ValueError, match='stage_weights has 2'):
        IntermediateSupervisionLoss(stage_weights=(1.0, 1.0))(s, t)
    with pytest.raises(ValueError, match='non-negative'):
        IntermediateSupervisionLoss(stage_weights=(1.0, -1.0, 1.0))
    with pytest.raises(ValueError, match='reduction=.*allowed'):
        IntermediateSupervisionLoss(reduction='max')


# ------------------------------------------- standardised and cosine forms
def _pearson_per_channel(s, t):
    """Per-channel Pearson correlation over the batch, with numpy."""
    import numpy as np
    s, t = s.detach().double().numpy(), t.detach().double().numpy()
    return np.array([np.corrcoef(s[:, j], t[:, j])[0, 1]
                     for j in range(s.shape[1])])


def test_standardized_mean_is_two_minus_two_mean_correlation():
    g = torch.Generator().manual_seed(5)
    s = [torch.randn(64, c, generator=g) * 3 + 7 for c in WIDTHS]
    t = [0.5 * x + torch.randn(x.shape, generator=g) for x in s]
    loss = IntermediateSupervisionLoss(standardize=True)(s, t)
    expected = sum(2 - 2 * _pearson_per_channel(a, b).mean()
                   for a, b in zip(s, t))
    assert abs(loss.item() - expected) < 1e-4


def test_standardized_ignores_channel_offsets_and_scales():
    s, t = _descriptors(0), _descriptors(1)
    s = [x.detach().repeat(4, 1) + torch.randn(12, x.shape[1]) for x in s]
    t = [x.detach().repeat(4, 1) for x in t]
    t = [x + torch.randn(x.shape) for x in t]
    loss_fn = IntermediateSupervisionLoss(standardize=True)
    base = loss_fn(s, t)
    moved = [x * torch.linspace(0.5, 4, x.shape[1]) + 10.0 for x in s]
    torch.testing.assert_close(loss_fn(moved, t), base, rtol=1e-4, atol=1e-4)
    # the raw form does see the offset
    raw = IntermediateSupervisionLoss()
    assert raw(moved, t) > 10 * raw(s, t)


def test_normalize_is_the_sum_of_two_minus_two_cosine():
    s, t = _descriptors(2), _descriptors(3)
    loss = IntermediateSupervisionLoss(normalize=True)(s, t)
    expected = sum((2 - 2 * torch.nn.functional.cosine_similarity(
        a.detach(), b.detach(), dim=1)).mean() for a, b in zip(s, t))
    torch.testing.assert_close(loss, expected)
    assert IntermediateSupervisionLoss(normalize=True).reduction == 'sum'
    assert IntermediateSupervisionLoss().reduction == 'mean'


def test_standardized_gradient_reaches_student_only():
    s, t = _descriptors(4), _descriptors(5)
    loss = IntermediateSupervisionLoss(standardize=True, normalize=True)(s, t)
    loss.backward()
    assert all(x.grad is not None and x.grad.abs().sum() > 0 for x in s)
    assert all(x.grad is None for x in t)


def test_standardize_needs_two_samples():
    one = [torch.randn(1, 4)]
    with pytest.raises(ValueError, match='at least 2 samples'):
        IntermediateSupervisionLoss(standardize=True)(one, one)


@pytest.mark.parametrize('weight', [-1.0, float('nan')])
def test_negative_or_nan_loss_weight_is_refused(weight):
    with pytest.raises(ValueError, match='loss_weight must be a finite'):
        IntermediateSupervisionLoss(loss_weight=weight)
