"""Connector-only fit share of L_is: ~1 where the connector can represent
the teacher's descriptors, ~0 where nothing beyond its start is learnable."""
import pytest
import torch
import torch.nn as nn

from mmhkd.analysis.connector_fit import (connector_fit_share,
                                          mean_is_losses, stage_is_losses)
from mmhkd.models.losses import IntermediateSupervisionLoss

pytestmark = pytest.mark.usefixtures('one_thread')


class AffineConnector(nn.Module):
    """Recorded features (a 1-tuple of (N, 6)) -> two affine descriptors."""

    def __init__(self) -> None:
        super().__init__()
        self.heads = nn.ModuleList([nn.Linear(6, 3), nn.Linear(6, 5)])

    def forward(self, feature):
        return tuple(head(feature[0]) for head in self.heads)


def batches(target, num: int, seed: int, noise: float = 0.0):
    generator = torch.Generator().manual_seed(seed)
    pairs = []
    for _ in range(num):
        x = torch.randn(64, 6, generator=generator)
        with torch.no_grad():
            teacher = tuple(
                t + noise * torch.randn(t.shape, generator=generator)
                for t in target((x, )))
        pairs.append(((x, ), teacher))
    return pairs


def test_share_is_one_when_the_connector_can_represent_the_teacher():
    torch.manual_seed(0)
    target, student = AffineConnector(), AffineConnector()
    with torch.no_grad():
        for head in target.heads:  # an offset the start does not have
            head.bias.add_(3.0)
    loss = IntermediateSupervisionLoss()
    before = [p.clone() for p in student.parameters()]
    result = connector_fit_share(student, loss, batches(target, 4, 0),
                                 batches(target, 2, 1), steps=600, lr=0.05)
    assert result['share']['total'] > 0.99
    assert all(s > 0.99 for s in result['share']['stages'])
    assert result['heldout_after']['total'] < 0.01 * result[
        'heldout_before']['total']
    curve = result['curve']
    assert [p['steps'] for p in curve] == [0, 75, 150, 300, 600]
    assert curve[0]['share'] == 0.0
    assert curve[-1]['share'] == pytest.approx(result['share']['total'])
    # the caller's connector is not trained
    for a, b in zip(before, student.parameters()):
        torch.testing.assert_close(a, b)


def test_share_is_zero_when_the_connector_already_is_the_best_predictor():
    torch.manual_seed(0)
    student = AffineConnector()
    loss = IntermediateSupervisionLoss()
    # teacher = the student connector's own function + independent noise:
    # no fit of the connector can lower the expected held-out loss
    result = connector_fit_share(student, loss,
                                 batches(student, 8, 0, noise=1.0),
                                 batches(student, 8, 1, noise=1.0),
                                 steps=300, lr=0.01)
    assert abs(result['share']['total']) < 0.05
    assert all(abs(s) < 0.05 for s in result['share']['stages'])
    assert result['heldout_before']['total'] == pytest.approx(2.0, rel=0.1)


def test_no_steps_remove_nothing_and_stages_add_up():
    torch.manual_seed(0)
    student = AffineConnector()
    loss = IntermediateSupervisionLoss(loss_weight=2.0)
    pairs = batches(AffineConnector(), 2, 0)
    result = connector_fit_share(student, loss, pairs, pairs, steps=0)
    assert result['share']['total'] == 0.0
    assert result['share']['stages'] == [0.0, 0.0]
    measured = mean_is_losses(student, loss, pairs)
    assert measured['total'] == pytest.approx(2.0 * sum(measured['stages']))
    features, teacher = pairs[0]
    stages = stage_is_losses(loss, student(features), teacher)
    expected = [((s - t)**2).mean()
                for s, t in zip(student(features), teacher)]
    for got, want in zip(stages, expected):
        assert float(got) == pytest.approx(float(want), rel=1e-6)
    with pytest.raises(ValueError, match='steps'):
        connector_fit_share(student, loss, pairs, pairs, steps=-1)
