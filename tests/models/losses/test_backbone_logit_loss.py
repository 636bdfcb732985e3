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


# ------------------------------------------------------------- mode='kd'
def _kd_by_hand(s, t, tau):
    import math
    total = 0.0
    for n in range(s.shape[0]):
        zs = [math.exp(v / tau) for v in s[n].tolist()]
        zt = [math.exp(v / tau) for v in t[n].tolist()]
        ps = [v / sum(zs) for v in zs]
        pt = [v / sum(zt) for v in zt]
        total += sum(b * (math.log(b) - math.log(a))
                     for a, b in zip(ps, pt))
    return tau * tau * total / s.shape[0]


@pytest.mark.parametrize('tau', [1.0, 4.0])
def test_kd_mode_matches_hand_computation_and_mmrazor(tau):
    from mmrazor.models.losses import KLDivergence
    s, t = _logits()
    loss = BackboneLogitLoss(loss_weight=0.7, mode='kd', temperature=tau)
    got = loss(s, t)
    assert abs(got.item() - 0.7 * _kd_by_hand(s, t, tau)) < 1e-5
    reference = KLDivergence(tau=tau, loss_weight=0.7)(s, t)
    torch.testing.assert_close(got, reference)


def test_kd_mode_gradient_reaches_student_only():
    s, t = _logits()
    BackboneLogitLoss(mode='kd')(s, t).backward()
    assert s.grad is not None and s.grad.abs().sum() > 0
    assert t.grad is None


@pytest.mark.parametrize('kwargs, match', [
    (dict(mode='cosine'), "mode='cosine' is not supported"),
    (dict(mode='kd', temperature=0.0), 'temperature must be > 0'),
    (dict(loss_weight=-1.0), 'loss_weight must be a finite number >= 0'),
])
def test_bad_options_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BackboneLogitLoss(**kwargs)
