"""Tests of TaskDrivenAttention against hand computations."""
import pytest
import torch
import torch.nn.functional as F

import mmhkd  # noqa: F401  (installs the mmrazor shims, registers classes)
from mmhkd.models.attention import TaskDrivenAttention

N, C, D, H, W = 2, 4, 3, 3, 5


def _inputs(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(N, C, H, W, generator=g), torch.randn(N, D, generator=g)


def _manual(module: TaskDrivenAttention, feats, query):
    """Independent re-computation of the estimator with plain loops."""
    b = query @ module.query_proj.weight.T + module.query_proj.bias
    fused = feats + b.view(N, C, 1, 1)
    act = {'relu': torch.relu, 'tanh': torch.tanh, None: lambda x: x}
    h = act[module.act](fused)
    w = module.score.weight.view(C)
    scores = torch.einsum('nchw,c->nhw', h, w) + module.score.bias
    flat = scores.reshape(N, H * W)
    att = torch.exp(flat - flat.max(1, keepdim=True).values)
    att = (att / att.sum(1, keepdim=True)).view(N, 1, H, W)
    return fused, att


def test_map_is_a_distribution_over_positions():
    module = TaskDrivenAttention(C, D)
    feats, query = _inputs()
    desc, att = module(feats, query)
    assert desc.shape == (N, C) and att.shape == (N, 1, H, W)
    assert (att >= 0).all()
    torch.testing.assert_close(att.sum(dim=(1, 2, 3)), torch.ones(N))


@pytest.mark.parametrize('act', ['relu', 'tanh', None])
@pytest.mark.parametrize('pool_source', ['fused', 'features'])
def test_descriptor_matches_hand_computation(act, pool_source):
    torch.manual_seed(1)
    module = TaskDrivenAttention(C, D, act=act, pool_source=pool_source)
    feats, query = _inputs()
    desc, att = module(feats, query)
    fused, att_ref = _manual(module, feats, query)
    torch.testing.assert_close(att, att_ref)
    source = fused if pool_source == 'fused' else feats
    expected = torch.zeros(N, C)
    for y in range(H):
        for x in range(W):
            expected += att_ref[:, :, y, x] * source[:, :, y, x]
    torch.testing.assert_close(desc, expected)


def test_fused_and_features_differ_by_the_query_bias():
    torch.manual_seed(2)
    fused_mod = TaskDrivenAttention(C, D, pool_source='fused')
    feat_mod = TaskDrivenAttention(C, D, pool_source='features')
    feat_mod.load_state_dict(fused_mod.state_dict())
    feats, query = _inputs()
    b = fused_mod.query_proj(query)
    # the map sums to 1, so pooling L + b adds exactly b
    torch.testing.assert_close(
        fused_mod(feats, query)[0], feat_mod(feats, query)[0] + b)


@pytest.mark.parametrize('pool_source', ['fused', 'features'])
def test_mean_pooling_divides_by_positions(pool_source):
    torch.manual_seed(3)
    ws = TaskDrivenAttention(C, D, pool_source=pool_source)
    mean = TaskDrivenAttention(
        C, D, pool_source=pool_source, pooling='mean')
    mean.load_state_dict(ws.state_dict())
    feats, query = _inputs()
    d_ws, a_ws = ws(feats, query)
    d_mean, a_mean = mean(feats, query)
    torch.testing.assert_close(d_mean, d_ws / (H * W))
    torch.testing.assert_close(a_mean, a_ws)


def test_default_map_depends_on_query():
    torch.manual_seed(4)
    module = TaskDrivenAttention(C, D)
    feats, q1 = _inputs(0)
    q2 = q1 + 3 * torch.randn(N, D, generator=torch.Generator().manual_seed(9))
    assert not torch.allclose(module(feats, q1)[1], module(feats, q2)[1])


def test_literal_form_map_ignores_query():
    torch.manual_seed(5)
    module = TaskDrivenAttention(C, D, act=None)
    feats, q1 = _inputs(0)
    q2 = q1 + 3 * torch.randn(N, D, generator=torch.Generator().manual_seed(9))
    torch.testing.assert_close(module(feats, q1)[1], module(feats, q2)[1])


def test_wrong_widths_raise_with_both_widths():
    module = TaskDrivenAttention(C, D)
    feats, query = _inputs()
    with pytest.raises(ValueError, match=r'in_channels=4.*query_channels=3'
                       r'.*got 5 and 3'):
        module(torch.randn(N, 5, H, W), query)
    with pytest.raises(ValueError, match=r'got 4 and 7'):
        module(feats, torch.randn(N, 7))


@pytest.mark.parametrize('kwargs, name', [
    (dict(act='gelu'), 'act'),
    (dict(pool_source='input'), 'pool_source'),
    (dict(pooling='max'), 'pooling'),
])
def test_bad_options_raise(kwargs, name):
    with pytest.raises(ValueError, match=rf'{name}=.*allowed'):
        TaskDrivenAttention(C, D, **kwargs)


def test_gradients_reach_query_projection_and_score_conv():
    torch.manual_seed(6)
    module = TaskDrivenAttention(C, D)
    feats, query = _inputs()
    query.requires_grad_(True)
    desc, _ = module(feats, query)
    target = torch.randn(N, C, generator=torch.Generator().manual_seed(7))
    F.mse_loss(desc, target).backward()
    for p in (module.query_proj.weight, module.score.weight):
        assert p.grad is not None and p.grad.abs().sum() > 0
    assert query.grad is not None and query.grad.abs().sum() > 0
