"""Tests of BackboneLogitLoss and the shared squared_error helper."""
import pytest
import torch

import mmhkd  # noqa: F401
from mmhkd.models.losses import BackboneLogitLoss


def _logits():
    g = torch.Generator().manual_seed(0)
    s = torch.randn(3, 5, generator=g, requires_grad=True)
    t = torch.randn(3, 5, generator=g, requires_grad=True)
    return s, t


def _hand(s, t):
    per_sample = [sum((s[n, c] - t[n, c]) ** 2 for c in range(5))
                  for n in range(3)]
    return torch.stack(per_sample)


@pytest.mark.parametrize('reduction, divisor', [('mean', 15), ('sum', 3)])
def test_matches_hand_computation(reduction, divisor):
    s, t = _logits()
    loss = BackboneLogitLoss(loss_weight=0.5, reduction=reduction)(s, t)
    expected = 0.5 * _hand(s, t).sum() / divisor
    torch.testing.assert_close(loss, expected.detach())


def test_teacher_gets_no_gradient():
    s, t = _logits()
    BackboneLogitLoss()(s, t).backward()
    assert t.grad is None
    torch.testing.assert_close(s.grad, 2 * (s - t).detach() / 15)


def test_errors():
    with pytest.raises(ValueError, match='reduction=.*allowed'):
        BackboneLogitLoss(reduction='none')
    with pytest.raises(ValueError, match='differs'):
        BackboneLogitLoss()(torch.randn(3, 5), torch.randn(3, 4))
