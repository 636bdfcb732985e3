"""mmhkd.analysis.stage_gradients against hand-derived gradients."""
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmhkd.analysis.stage_gradients import (capture_stages, cosine,
                                            find_stage_modules,
                                            gradient_statistics,
                                            parameter_gradient_norm,
                                            term_gradients)
from mmhkd.models.backbones.cifar_resnet import CifarResNet

pytestmark = pytest.mark.usefixtures('one_thread')


class TwoStages(nn.Module):
    """x -> layer1 (Linear) -> in-place ReLU -> layer2 (Linear)."""

    def __init__(self) -> None:
        super().__init__()
        self.layer1 = nn.Linear(3, 4)
        self.layer2 = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer2(F.relu(self.layer1(x), inplace=True))


def test_find_stages_of_cifar_resnet_and_layer_names():
    backbone = CifarResNet(depth=8, stage_channels=(4, 8, 16), in_channels=1)
    found = find_stage_modules(backbone)
    assert [n for n, _ in found] == ['stages.0', 'stages.1', 'stages.2']
    assert [m for _, m in found] == list(backbone.stages)
    assert [n for n, _ in find_stage_modules(TwoStages())] == [
        'layer1', 'layer2']
    with pytest.raises(ValueError, match='cannot find its stages'):
        find_stage_modules(nn.Linear(2, 2))


def test_gradients_match_hand_computation_despite_inplace_relu():
    torch.manual_seed(0)
    net = TwoStages()
    x = torch.randn(5, 3)
    with capture_stages([net.layer1, net.layer2]) as capture:
        out = net(x)
    terms = {'sq': (out**2).sum(), 'first': out[:, 0].sum()}
    grads = term_gradients(terms, capture.outputs)
    # independent: y1 = W1 x + b1, out = W2 relu(y1) + b2
    with torch.no_grad():
        y1 = x @ net.layer1.weight.T + net.layer1.bias
        o = F.relu(y1) @ net.layer2.weight.T + net.layer2.bias
        d_out = {'sq': 2 * o, 'first': torch.zeros_like(o)}
        d_out['first'][:, 0] = 1
        for name, g_out in d_out.items():
            g_y1 = (g_out @ net.layer2.weight) * (y1 > 0)
            torch.testing.assert_close(grads[name][1], g_out)
            torch.testing.assert_close(grads[name][0], g_y1)
    stats = gradient_statistics(grads)
    assert stats['norms']['sq'][1] == pytest.approx(float(2 * o.norm()),
                                                    rel=1e-5)
    expected = float((d_out['sq'] * d_out['first']).sum() /
                     (d_out['sq'].norm() * d_out['first'].norm()))
    assert stats['cosines']['sq|first'][1] == pytest.approx(expected,
                                                            rel=1e-5)


def test_hooks_are_removed_and_forward_is_unchanged():
    torch.manual_seed(0)
    net = TwoStages()
    x = torch.randn(2, 3)
    plain = net(x)
    with capture_stages([net.layer1]):
        hooked = net(x)
    torch.testing.assert_close(plain, hooked)
    assert not net.layer1._forward_hooks


def test_unreached_stage_and_cosine_edge_cases():
    a = torch.randn(4, 3, requires_grad=True)
    b = torch.randn(4, 3, requires_grad=True)
    grads = term_gradients({'only_a': (a * 2).sum()}, [a, b])
    assert grads['only_a'][1] is None
    assert gradient_statistics(grads)['norms']['only_a'] == [
        pytest.approx(2 * math.sqrt(12)), 0.0]
    g = torch.tensor([1.0, 2.0])
    assert cosine(g, -3 * g) == pytest.approx(-1.0)
    assert cosine(g, torch.tensor([2.0, -1.0])) == pytest.approx(0.0)
    assert cosine(g, torch.zeros(2)) is None
    assert cosine(None, g) is None


def test_parameter_gradient_norm():
    w = nn.Parameter(torch.tensor([3.0, 4.0]))
    v = nn.Parameter(torch.tensor([1.0]))
    term = (w**2).sum() / 2  # gradient w, norm 5
    assert parameter_gradient_norm(term, [w, v]) == pytest.approx(5.0)
    assert parameter_gradient_norm(term, [v]) == 0.0
