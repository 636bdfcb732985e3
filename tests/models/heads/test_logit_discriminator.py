"""Tests of LogitDiscriminator."""
import pytest
import torch
import torch.nn as nn

import mmhkd  # noqa: F401
from mmhkd.models.heads import LogitDiscriminator


@pytest.mark.parametrize('hidden', [256, 12])
def test_layer_structure_matches_paper_figure(hidden):
    d = LogitDiscriminator(num_classes=10, hidden_channels=hidden)
    layers = list(d.layers)
    kinds = [type(m) for m in layers]
    assert kinds == [nn.BatchNorm1d, nn.Linear, nn.BatchNorm1d, nn.ReLU,
                     nn.Linear, nn.BatchNorm1d, nn.ReLU, nn.Linear]
    assert layers[0].num_features == 10
    assert (layers[1].in_features, layers[1].out_features) == (10, hidden)
    assert layers[2].num_features == hidden
    assert (layers[4].in_features, layers[4].out_features) == (hidden, hidden)
    assert layers[5].num_features == hidden
    assert (layers[7].in_features, layers[7].out_features) == (hidden, 11)


def test_output_width_and_split():
    d = LogitDiscriminator(num_classes=5, hidden_channels=8)
    out = d(torch.randn(4, 5))
    assert out.shape == (4, 6)
    adv, cls = LogitDiscriminator.split_outputs(out)
    torch.testing.assert_close(adv, out[:, 0])
    torch.testing.assert_close(cls, out[:, 1:])
    assert adv.shape == (4,) and cls.shape == (4, 5)


def test_in_channels_override():
    d = LogitDiscriminator(num_classes=5, hidden_channels=8, in_channels=7)
    assert d(torch.randn(3, 7)).shape == (3, 6)


def test_weight_matrices_are_the_linear_weights():
    d = LogitDiscriminator(num_classes=5, hidden_channels=8)
    linears = [m for m in d.layers if isinstance(m, nn.Linear)]
    mats = d.weight_matrices()
    assert len(mats) == 3
    assert all(a is b.weight for a, b in zip(mats, linears))


def test_errors():
    d = LogitDiscriminator(num_classes=5, hidden_channels=8)
    with pytest.raises(ValueError, match=r'\(N, 5\).*\(3, 4\)'):
        d(torch.randn(3, 4))
    with pytest.raises(ValueError, match='hidden_channels'):
        LogitDiscriminator(num_classes=5, hidden_channels=0)
    with pytest.raises(ValueError, match='1 \\+ C'):
        LogitDiscriminator.split_outputs(torch.randn(3, 1))


def test_registered():
    from mmrazor.registry import MODELS
    d = MODELS.build(dict(type='LogitDiscriminator', num_classes=3))
    assert isinstance(d, LogitDiscriminator) and d.hidden_channels == 256
