"""Tests of AttentionMapLoss (KL between teacher and student maps)."""
import math

import pytest
import torch

import mmhkd  # noqa: F401
from mmhkd.models.losses import AttentionMapLoss
from mmhkd.models.losses.attention_map_loss import resize_map


def _maps(seed, size=(4, 4), n=3, requires_grad=False):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, size[0] * size[1], generator=g)
    maps = torch.softmax(logits, dim=1).view(n, 1, *size)
    return maps.requires_grad_(requires_grad)


def _kl_by_hand(s, t):
    total = 0.0
    for n in range(s.shape[0]):
        ps, pt = s[n].flatten().tolist(), t[n].flatten().tolist()
        total += sum(b * (math.log(b) - math.log(a)) for a, b in zip(ps, pt))
    return total / s.shape[0]


def test_matches_hand_computation():
    s = [_maps(0), _maps(1, (2, 2))]
    t = [_maps(2), _maps(3, (2, 2))]
    loss = AttentionMapLoss(loss_weight=2.0, stage_weights=(1.0, 0.5))(s, t)
    expected = 2.0 * (_kl_by_hand(s[0], t[0]) +
                      0.5 * _kl_by_hand(s[1], t[1]))
    assert abs(loss.item() - expected) < 1e-5


def test_zero_for_equal_maps_and_gradient_to_student_only():
    t = _maps(0, requires_grad=True)
    s = t.detach().clone().requires_grad_(True)
    loss = AttentionMapLoss()([s], [t])
    assert abs(loss.item()) < 1e-6
    AttentionMapLoss()([_maps(1, requires_grad=True)], [t]).backward()
    assert t.grad is None


def test_teacher_map_of_another_size_is_resized_by_area():
    t = _maps(4, (8, 8))
    small = resize_map(t, (4, 4))
    torch.testing.assert_close(small.flatten(1).sum(1), torch.ones(3))
    # each coarse cell holds the mass of its 2 x 2 block
    block = t[:, :, :2, :2].sum(dim=(1, 2, 3))
    torch.testing.assert_close(small[:, 0, 0, 0], block)
    loss = AttentionMapLoss()([_maps(5)], [t])
    assert abs(loss.item() - _kl_by_hand(_maps(5), small)) < 1e-5


@pytest.mark.parametrize('student, teacher, match', [
    ([], [], 'non-zero number of stages'),
    ([torch.ones(3, 16)], [torch.ones(3, 16)], r'must be \(N, 1, H, W\)'),
])
def test_bad_inputs(student, teacher, match):
    with pytest.raises(ValueError, match=match):
        AttentionMapLoss()(student, teacher)


def test_bad_weights():
    with pytest.raises(ValueError, match='loss_weight must be a finite'):
        AttentionMapLoss(loss_weight=-0.1)
    with pytest.raises(ValueError, match='stage_weights must be'):
        AttentionMapLoss(stage_weights=(1.0, -1.0))
