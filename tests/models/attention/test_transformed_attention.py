"""The fused transform + attention against the module-by-module reference.

``transformed_attention`` must be the same function as
``estimator(transform(x), query)``: outputs, gradients of every input and
parameter, and BatchNorm's running statistics. The reference below composes
the real ``nn.Conv2d``/``nn.BatchNorm2d`` modules with an independent,
spelled-out computation of the estimator (einsum score, explicit softmax,
weighted sum).
"""
import copy
import itertools

import pytest
import torch
import torch.nn as nn

import mmhkd  # noqa: F401  (installs the mmrazor shims, registers classes)
from mmhkd.models.attention import (TaskDrivenAttention, is_fusable,
                                    transform_affine, transformed_attention)
from mmhkd.models.connectors.hierarchical_attention_connector import \
    build_channel_transform

N, C_IN, F_OUT, D, H, W = 3, 4, 16, 6, 5, 7


def _reference(transform, estimator, x, query):
    """Transform with the real modules, then the estimator by hand."""
    features = transform(x)
    fused = features + (query @ estimator.query_proj.weight.T +
                            estimator.query_proj.bias)[:, :, None, None]
    act = {'relu': torch.relu, 'tanh': torch.tanh, None: lambda t: t}
    scores = torch.einsum('nfhw,f->nhw', act[estimator.act](fused),
                          estimator.score.weight.view(-1))
    scores = (scores + estimator.score.bias).reshape(x.shape[0], -1)
    att = torch.exp(scores - scores.max(1, keepdim=True).values)
    att = (att / att.sum(1, keepdim=True)).view(x.shape[0], 1, H, W)
    source = fused if estimator.pool_source == 'fused' else features
    descriptor = (att * source).sum(dim=(2, 3))
    if estimator.pooling == 'mean':
        descriptor = descriptor / (H * W)
    return descriptor, att


def _modules(kind, act, pool_source, pooling, seed=0):
    torch.manual_seed(seed)
    transform = build_channel_transform(C_IN, F_OUT, dict(type=kind))
    estimator = TaskDrivenAttention(F_OUT, D, act=act,
                                    pool_source=pool_source, pooling=pooling)
    if kind == 'conv_bn':
        bn = transform[1]
        nn.init.uniform_(bn.weight, 0.5, 1.5)
        nn.init.uniform_(bn.bias, -0.5, 0.5)
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
    return transform.double(), estimator.double()


def _inputs(channels_last, seed=1):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(N, C_IN, H, W, generator=g, dtype=torch.double) * 2 + 1
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    query = torch.randn(N, D, generator=g, dtype=torch.double)
    return x, query


def _run(fn, x, query, grads):
    x = x.clone().requires_grad_()
    query = query.clone().requires_grad_()
    descriptor, att = fn(x, query)
    ((descriptor * grads[0]).sum() + (att * grads[1]).sum()).backward()
    return descriptor, att, x.grad, query.grad


@pytest.mark.parametrize(
    'kind,act,pool_source,pooling',
    list(itertools.product(['conv_bn', 'conv'], ['relu', 'tanh', None],
                           ['fused', 'features'], ['weighted_sum', 'mean'])))
@pytest.mark.parametrize('training', [True, False])
def test_same_function_gradients_and_statistics(kind, act, pool_source,
                                                pooling, training):
    transform, estimator = _modules(kind, act, pool_source, pooling)
    transform.train(training)
    ref_t, ref_e = copy.deepcopy(transform), copy.deepcopy(estimator)
    g = torch.Generator().manual_seed(2)
    grads = (torch.randn(N, F_OUT, generator=g, dtype=torch.double),
             torch.randn(N, 1, H, W, generator=g, dtype=torch.double))
    for channels_last in (True, False):
        x, query = _inputs(channels_last)
        got = _run(lambda a, b: transformed_attention(a, b, transform,
                                                      estimator), x, query,
                   grads)
        want = _run(lambda a, b: _reference(ref_t, ref_e, a, b), x, query,
                    grads)
        for name, a, b in zip(('descriptor', 'map', 'grad x', 'grad query'),
                              got, want):
            torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10,
                                       msg=name)
    params = dict(transform.named_parameters(prefix='t'),
                  **dict(estimator.named_parameters(prefix='e')))
    ref_params = dict(ref_t.named_parameters(prefix='t'),
                      **dict(ref_e.named_parameters(prefix='e')))
    for name, param in params.items():
        torch.testing.assert_close(param.grad, ref_params[name].grad,
                                   rtol=1e-10, atol=1e-10, msg=name)
    for (name, buf), (_, ref_buf) in zip(transform.named_buffers(),
                                         ref_t.named_buffers()):
        torch.testing.assert_close(buf, ref_buf, rtol=1e-12, atol=1e-12,
                                   msg=name)
    if kind == 'conv_bn' and training:  # the statistics really moved
        assert int(transform[1].num_batches_tracked) == 2
        fresh = _modules(kind, act, pool_source, pooling)[0][1]
        assert not torch.allclose(transform[1].running_var,
                                  fresh.running_var)


def test_cumulative_average_batchnorm():
    transform, estimator = _modules('conv_bn', 'relu', 'fused',
                                    'weighted_sum')
    transform[1].momentum = None
    ref_t = copy.deepcopy(transform)
    for seed in (1, 2, 3):
        x, query = _inputs(True, seed)
        transformed_attention(x, query, transform, estimator)
        ref_t(x)
    torch.testing.assert_close(transform[1].running_mean,
                               ref_t[1].running_mean)
    torch.testing.assert_close(transform[1].running_var,
                               ref_t[1].running_var)
    assert int(transform[1].num_batches_tracked) == 3


def test_affine_form_of_a_training_batchnorm():
    """A x_p + c equals the modules' output at every position."""
    transform, _ = _modules('conv_bn', 'relu', 'fused', 'weighted_sum')
    x, _ = _inputs(False)
    rows = x.permute(0, 2, 3, 1).reshape(-1, C_IN)
    matrix, shift = transform_affine(copy.deepcopy(transform), rows)
    want = transform(x).permute(0, 2, 3, 1).reshape(-1, F_OUT)
    torch.testing.assert_close(rows @ matrix.T + shift, want)


def test_bfloat16_autocast_stays_close():
    transform, estimator = _modules('conv_bn', 'relu', 'fused',
                                    'weighted_sum')
    transform, estimator = transform.float(), estimator.float()
    ref_t, ref_e = copy.deepcopy(transform), copy.deepcopy(estimator)
    x, query = (t.float() for t in _inputs(True))
    with torch.autocast('cpu', dtype=torch.bfloat16):
        got, _ = transformed_attention(x, query, transform, estimator)
    want, _ = _reference(ref_t, ref_e, x, query)
    assert torch.isfinite(got).all()
    torch.testing.assert_close(got.float(), want, rtol=0.05, atol=0.05)


@pytest.mark.parametrize('module,expected', [
    (nn.Conv2d(4, 8, 1), True),
    (nn.Sequential(nn.Conv2d(4, 8, 1, bias=False), nn.BatchNorm2d(8)), True),
    (nn.Conv2d(4, 8, 3), False),
    (nn.Conv2d(4, 8, 1, stride=2), False),
    (nn.Conv2d(4, 8, 1, groups=4), False),
    (nn.Sequential(nn.Conv2d(4, 8, 1), nn.SyncBatchNorm(8)), False),
    (nn.Sequential(nn.Conv2d(4, 8, 1), nn.BatchNorm2d(8), nn.ReLU()), False),
    (nn.Identity(), False),
])
def test_is_fusable(module, expected):
    assert is_fusable(module) is expected


def test_width_mismatch_is_an_error():
    transform = build_channel_transform(C_IN, 8, dict(type='conv_bn'))
    estimator = TaskDrivenAttention(F_OUT, D)
    x, query = (t.float() for t in _inputs(True))
    with pytest.raises(ValueError, match='outputs 8 channels but its '
                       'attention estimator expects 16'):
        transformed_attention(x, query, transform, estimator)


def test_query_of_another_batch_is_an_error():
    transform, estimator = _modules('conv', 'relu', 'fused', 'weighted_sum')
    x, query = _inputs(True)
    with pytest.raises(ValueError, match='batch sizes differ'):
        transformed_attention(x, query[:2], transform, estimator)


def test_single_value_per_channel_gives_batchnorm_error():
    transform, estimator = _modules('conv_bn', 'relu', 'fused',
                                    'weighted_sum')
    x = torch.randn(1, C_IN, 1, 1, dtype=torch.double)
    with pytest.raises(ValueError, match='more than 1 value per channel'):
        transformed_attention(x, torch.randn(1, D, dtype=torch.double),
                              transform, estimator)
