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


# ------------------------------------------------------ the norm option
@pytest.mark.parametrize('norm', ['spectral', 'none'])
def test_without_batch_norm_a_sample_does_not_depend_on_its_batch(norm):
    torch.manual_seed(0)
    d = LogitDiscriminator(num_classes=4, hidden_channels=8, norm=norm)
    d.train()
    assert not any(isinstance(m, torch.nn.BatchNorm1d) for m in d.modules())
    x = torch.randn(6, 4)
    alone = d(x[:1])
    with torch.no_grad():  # spectral norm's power iteration: train only
        d.eval()
        alone_eval, batch_eval = d(x[:1]), d(x)[:1]
    torch.testing.assert_close(alone_eval, batch_eval)
    assert alone.shape == (1, 5)


def test_batch_norm_makes_a_sample_depend_on_its_batch():
    torch.manual_seed(0)
    d = LogitDiscriminator(num_classes=4, hidden_channels=8).train()
    x = torch.randn(6, 4)
    assert not torch.allclose(d(x[:2])[:1], d(x)[:1])


def test_spectral_norm_bounds_each_layer():
    torch.manual_seed(0)
    d = LogitDiscriminator(num_classes=4, hidden_channels=8, norm='spectral')
    d.train()
    for _ in range(30):  # power iterations run in train-mode forwards
        d(torch.randn(5, 4))
    for layer in d.layers:
        if isinstance(layer, torch.nn.Linear):
            sigma = torch.linalg.matrix_norm(layer.weight.detach(), ord=2)
            assert abs(sigma.item() - 1.0) < 0.05
    # the regulariser sees the unnormalised weights, which are parameters
    names = {id(p) for p in d.parameters()}
    assert all(id(w) in names for w in d.weight_matrices())
    assert len(d.weight_matrices()) == 3


def test_unknown_norm_is_refused():
    with pytest.raises(ValueError, match="norm='layer' is not supported"):
        LogitDiscriminator(num_classes=4, norm='layer')
