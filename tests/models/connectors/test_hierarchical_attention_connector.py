"""Tests of HierarchicalAttentionConnector."""
import pytest
import torch
import torch.nn as nn

import mmhkd  # noqa: F401
from mmhkd.models.connectors import HierarchicalAttentionConnector

N = 2
STUDENT = (16, 32, 64)
TEACHER = (64, 128, 256)
SIZES = (8, 4, 2)
DESC = 128


def _stages(widths=STUDENT, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(N, c, s, s, generator=g)
            for c, s in zip(widths, SIZES)]


def _student(**kwargs):
    torch.manual_seed(0)
    cfg = dict(stage_channels=STUDENT, attention_channels=TEACHER,
               descriptor_channels=DESC)
    cfg.update(kwargs)
    return HierarchicalAttentionConnector(**cfg).eval()


@pytest.mark.parametrize('query', ['global', 'hierarchical'])
def test_neck_source_shapes(query):
    conn = _student(query=query)
    out = conn(tuple(_stages()) + (torch.randn(N, DESC),))
    assert [tuple(o.shape) for o in out] == [(N, c) for c in TEACHER]
    assert [tuple(m.shape) for m in conn.last_attention_maps] == [
        (N, 1, s, s) for s in SIZES]
    assert not any(m.requires_grad for m in conn.last_attention_maps)


def test_neck_descriptor_may_be_4d():
    conn = _student()
    stages, desc = _stages(), torch.randn(N, DESC)
    flat = conn(stages + [desc])
    four_d = conn(stages + [desc.view(N, DESC, 1, 1)])
    for a, b in zip(flat, four_d):
        torch.testing.assert_close(a, b)


def test_pool_last_stage_uses_gap_of_last_stage():
    # the last stage is 64 wide, so the pooled descriptor is 64 wide
    conn = _student(descriptor_source='pool_last_stage',
                    descriptor_channels=64)
    stages = _stages()
    out = conn(stages)
    assert [tuple(o.shape) for o in out] == [(N, c) for c in TEACHER]
    gap = stages[-1].sum(dim=(2, 3)) / (SIZES[-1] ** 2)
    for i in range(3):
        expected, _ = conn.estimators[i](conn.transforms[i](stages[i]), gap)
        torch.testing.assert_close(out[i], expected)


def test_global_wiring_queries_every_stage_with_descriptor():
    conn = _student(query='global')
    assert [e.query_channels for e in conn.estimators] == [DESC] * 3
    assert [e.in_channels for e in conn.estimators] == list(TEACHER)
    stages, desc = _stages(), torch.randn(N, DESC)
    out = conn(stages + [desc])
    for i in range(3):
        expected, _ = conn.estimators[i](conn.transforms[i](stages[i]), desc)
        torch.testing.assert_close(out[i], expected)


def test_hierarchical_wiring_is_top_down_chain():
    conn = _student(query='hierarchical')
    assert [e.query_channels for e in conn.estimators] == [128, 256, DESC]
    stages, desc = _stages(), torch.randn(N, DESC)
    out = conn(stages + [desc])
    expected3, _ = conn.estimators[2](conn.transforms[2](stages[2]), desc)
    expected2, _ = conn.estimators[1](conn.transforms[1](stages[1]), out[2])
    expected1, _ = conn.estimators[0](conn.transforms[0](stages[0]), out[1])
    torch.testing.assert_close(out[2], expected3)
    torch.testing.assert_close(out[1], expected2)
    torch.testing.assert_close(out[0], expected1)


def test_perturbing_descriptor_moves_shallow_stages_only_in_hierarchy():
    stages = _stages()
    d1 = torch.randn(N, DESC)
    d2 = d1 + torch.randn(N, DESC)
    hier = _student(query='hierarchical')
    a, b = hier(stages + [d1]), hier(stages + [d2])
    # every stage changes, the shallow ones only through the chain
    assert all(not torch.allclose(x, y) for x, y in zip(a, b))
    # the chain is the only path: feeding stage 1's estimator the same
    # stage-2 descriptor gives the same result whatever the global one
    same, _ = hier.estimators[0](hier.transforms[0](stages[0]), a[1])
    torch.testing.assert_close(a[0], same)


def test_teacher_side_is_identity_when_widths_match():
    torch.manual_seed(0)
    conn = HierarchicalAttentionConnector(
        stage_channels=TEACHER, descriptor_channels=DESC)
    assert all(isinstance(t, nn.Identity) for t in conn.transforms)
    stages, desc = _stages(TEACHER), torch.randn(N, DESC)
    out = conn(stages + [desc])
    for i in range(3):
        expected, _ = conn.estimators[i](stages[i], desc)
        torch.testing.assert_close(out[i], expected)
    forced = HierarchicalAttentionConnector(
        stage_channels=TEACHER, descriptor_channels=DESC,
        always_transform=True)
    assert not any(isinstance(t, nn.Identity) for t in forced.transforms)


def test_transform_types():
    conv_bn = _student()
    t = conv_bn.transforms[0]
    assert isinstance(t, nn.Sequential) and isinstance(t[1], nn.BatchNorm2d)
    assert t[0].bias is None and (t[0].in_channels, t[0].out_channels) == (
        16, 64)
    conv = _student(transform_cfg=dict(type='conv')).transforms[0]
    assert isinstance(conv, nn.Conv2d) and conv.bias is not None
    with pytest.raises(ValueError, match='allowed'):
        _student(transform_cfg=dict(type='mlp'))


def test_stage_indices_select_entries():
    conn = _student(stage_indices=[1, 2, 3])
    stages = [torch.randn(N, 8, 16, 16)] + _stages()
    desc = torch.randn(N, DESC)
    out = conn(stages + [desc])
    expected, _ = conn.estimators[0](conn.transforms[0](stages[1]), desc)
    torch.testing.assert_close(out[0], expected)
    with pytest.raises(ValueError, match='strictly increasing'):
        _student(stage_indices=[2, 1, 3])
    with pytest.raises(ValueError,
                       match='has 2 entries but stage_channels has 3'):
        _student(stage_indices=[0, 1])


def test_channel_mismatch_names_stage_and_widths():
    conn = _student()
    stages = _stages()
    stages[2] = torch.randn(N, 32, 2, 2)
    with pytest.raises(ValueError, match=r'stage 2: recorded feature has 32 '
                       r'channels but stage_channels\[2\] = 64'):
        conn(stages + [torch.randn(N, DESC)])


def test_descriptor_and_count_errors():
    conn = _student()
    with pytest.raises(ValueError, match='100 channels.*= 128'):
        conn(_stages() + [torch.randn(N, 100)])
    with pytest.raises(ValueError, match='2 stage entries.*lists 3'):
        conn(_stages()[1:] + [torch.randn(N, DESC)])
    with pytest.raises(ValueError, match='needs at least 4'):
        _student(stage_indices=[1, 2, 3])(_stages() + [torch.randn(N, DESC)])
    with pytest.raises(TypeError, match='tuple/list'):
        conn(torch.randn(N, 16, 8, 8))
    with pytest.raises(ValueError, match='empty'):
        conn(())


def test_bad_options_raise():
    with pytest.raises(ValueError, match='query=.*allowed'):
        _student(query='local')
    with pytest.raises(ValueError, match='descriptor_source=.*allowed'):
        _student(descriptor_source='head')
    with pytest.raises(ValueError, match='attention_channels has 2'):
        _student(attention_channels=(64, 128))
    with pytest.raises(ValueError, match='unknown keys'):
        _student(attention_cfg=dict(in_channels=3))


def test_attention_cfg_is_forwarded():
    conn = _student(attention_cfg=dict(act=None, pooling='mean'))
    assert all(e.act is None and e.pooling == 'mean'
               and e.pool_source == 'fused' for e in conn.estimators)


@pytest.mark.parametrize('query', ['global', 'hierarchical'])
def test_gradient_reaches_recorded_descriptor(query):
    conn = _student(query=query).train()
    stages = _stages()
    desc = torch.randn(N, DESC, requires_grad=True)
    out = conn(stages + [desc])
    # stage 1 alone: in hierarchical mode it reaches desc only via the chain
    out[0].pow(2).sum().backward()
    assert desc.grad is not None and desc.grad.abs().sum() > 0


def test_registered():
    from mmrazor.registry import MODELS
    conn = MODELS.build(
        dict(type='HierarchicalAttentionConnector', stage_channels=STUDENT,
             attention_channels=TEACHER, descriptor_channels=DESC))
    assert isinstance(conn, HierarchicalAttentionConnector)


@pytest.mark.parametrize('query', ['global', 'hierarchical'])
@pytest.mark.parametrize('transform', ['conv_bn', 'conv'])
def test_fused_transform_equals_module_by_module(query, transform):
    """fuse_transform only changes how the same function is computed."""
    conns = {fuse: _student(query=query, transform_cfg=dict(type=transform),
                            fuse_transform=fuse).train().double()
             for fuse in (True, False)}
    assert (conns[True].state_dict().keys() ==
            conns[False].state_dict().keys())
    results = {}
    for fuse, conn in conns.items():
        stages = [s.double().requires_grad_() for s in _stages()]
        desc = torch.randn(N, DESC, dtype=torch.double,
                           generator=torch.Generator().manual_seed(3),
                           requires_grad=True)
        out = conn(tuple(stages) + (desc, ))
        sum((o * (i + 1)).sum() for i, o in enumerate(out)).backward()
        results[fuse] = (out, [s.grad for s in stages], desc.grad,
                         conn.last_attention_maps,
                         {k: p.grad for k, p in conn.named_parameters()},
                         conn.state_dict())
    got, want = results[True], results[False]
    torch.testing.assert_close(got[:4], want[:4], rtol=1e-10, atol=1e-10)
    for key in want[4]:
        torch.testing.assert_close(got[4][key], want[4][key], rtol=1e-10,
                                   atol=1e-10, msg=key)
    for key in want[5]:
        torch.testing.assert_close(got[5][key], want[5][key], msg=key)


def test_fused_transform_skips_the_wide_batchnorm():
    """The fused path never runs BatchNorm on the teacher-wide maps."""
    calls = {True: 0, False: 0}
    for fuse in (True, False):
        conn = _student(fuse_transform=fuse).train()

        def count(module, args, output, fuse=fuse):
            calls[fuse] += 1

        for transform in conn.transforms:
            transform[1].register_forward_hook(count)
        conn(tuple(_stages()) + (torch.randn(N, DESC), ))
    assert calls == {True: 0, False: 3}
