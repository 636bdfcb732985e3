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
