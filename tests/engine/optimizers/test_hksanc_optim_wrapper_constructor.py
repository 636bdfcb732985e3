"""HKSANCOptimWrapperConstructor: one optimizer per side of the game.

The model is the real Fashion-MNIST HKSANC config with the teacher shrunk to
PreActBottleneckResNet-11 (same widths) and no checkpoints.
"""
import copy
import os.path as osp
from typing import Set

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.optim import OptimWrapperDict, build_optim_wrapper
from mmengine.registry import init_default_scope
from mmrazor.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS

from conftest import CONFIG_ROOT

HKSANC_CONFIG = osp.join(
    CONFIG_ROOT, 'hksanc',
    'hksanc_preact-resnet29_resnet20-half_1xb128_fashion-mnist-1k.py')


@pytest.fixture(scope='module')
def cfg() -> Config:
    cfg = Config.fromfile(HKSANC_CONFIG)
    cfg.model.teacher_ckpt = None
    cfg.model.teacher_attention_ckpt = None
    cfg.model.teacher.backbone.depth = 11
    return cfg


@pytest.fixture(scope='module')
def model(cfg) -> nn.Module:
    init_default_scope('mmrazor')
    torch.manual_seed(0)
    return MODELS.build(copy.deepcopy(cfg.model))


def optim_cfg(cfg: Config) -> dict:
    """The config's optim_wrapper without its 'constructor' key."""
    out = copy.deepcopy(dict(cfg.optim_wrapper))
    assert out.pop('constructor') == 'HKSANCOptimWrapperConstructor'
    return out


def construct(optim_wrapper_cfg: dict, **kwargs):
    init_default_scope('mmrazor')
    return OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(
            type='HKSANCOptimWrapperConstructor',
            optim_wrapper_cfg=optim_wrapper_cfg,
            **kwargs))


def ids(params) -> Set[int]:
    return {id(p) for p in params}


def group_params(wrapper) -> list:
    return [p for g in wrapper.optimizer.param_groups for p in g['params']]


def test_two_optimizers_cover_the_right_parameters(cfg, model):
    optim = construct(optim_cfg(cfg))(model)
    assert isinstance(optim, OptimWrapperDict)
    assert set(optim.keys()) == {'student', 'discriminator'}

    student = group_params(optim['student'])
    disc = group_params(optim['discriminator'])
    assert len(student) == len(ids(student))  # no parameter twice
    assert len(disc) == len(ids(disc))

    architecture = ids(model.architecture.parameters())
    student_connector = ids(
        model.distiller.connectors['student_attention'].parameters())
    discriminator = ids(model.discriminator.parameters())
    teacher = ids(model.teacher.parameters())
    assert architecture and student_connector and discriminator and teacher
    assert architecture <= ids(student)
    assert student_connector <= ids(student)
    assert not discriminator & ids(student)
    assert not teacher & ids(student)
    # anything else in the student group is a frozen teacher connector,
    # which never gets a gradient and so is never changed
    others = [
        p for p in student
        if id(p) not in architecture | student_connector
    ]
    teacher_connector = ids(
        model.distiller.connectors['teacher_attention'].parameters())
    assert ids(others) <= teacher_connector
    assert all(not p.requires_grad for p in others)

    assert ids(disc) == discriminator
    assert len(disc) == len(list(model.discriminator.parameters()))


def test_optimizer_settings_come_from_the_config(cfg, model):
    optim = construct(optim_cfg(cfg))(model)
    d_opt = optim['discriminator'].optimizer
    assert type(d_opt) is torch.optim.Adam
    for group in d_opt.param_groups:
        assert tuple(group['betas']) == (0.5, 0.999)
        assert group['lr'] == pytest.approx(1e-4)
    s_opt = optim['student'].optimizer
    assert type(s_opt) is torch.optim.SGD
    for group in s_opt.param_groups:
        assert group['lr'] == pytest.approx(0.1)
        assert group['momentum'] == pytest.approx(0.9)
        assert group['weight_decay'] == pytest.approx(5e-4)
        assert group['nesterov'] is True


def test_runner_path_with_constructor_key(cfg, model):
    """What the Runner does: mmengine's build_optim_wrapper with the
    config's 'constructor' key."""
    init_default_scope('mmrazor')
    optim = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    assert isinstance(optim, OptimWrapperDict)
    assert set(optim.keys()) == {'student', 'discriminator'}
    assert ids(group_params(optim['discriminator'])) == ids(
        model.discriminator.parameters())


def test_paramwise_cfg_inside_a_key(cfg, model):
    options = optim_cfg(cfg)
    options['student']['paramwise_cfg'] = dict(norm_decay_mult=0.0)
    optim = construct(options)(model)
    bn_params = ids(p for m in model.architecture.modules()
                    if isinstance(m, nn.BatchNorm2d)
                    for p in m.parameters())
    conv_params = ids(p for m in model.architecture.modules()
                      if isinstance(m, nn.Conv2d) for p in m.parameters())
    assert bn_params and conv_params
    decay = {}
    for group in optim['student'].optimizer.param_groups:
        for p in group['params']:
            decay[id(p)] = group['weight_decay']
    assert {decay[i] for i in bn_params} == {0.0}
    assert all(decay[i] == pytest.approx(5e-4) for i in conv_params)
    # the discriminator's optimizer is unaffected
    for group in optim['discriminator'].optimizer.param_groups:
        assert tuple(group['betas']) == (0.5, 0.999)


def test_wrapped_model_is_unwrapped(cfg, model):
    class Wrapper(nn.Module):

        def __init__(self, module):
            super().__init__()
            self.module = module

    optim = construct(optim_cfg(cfg))(Wrapper(model))
    assert ids(group_params(optim['discriminator'])) == ids(
        model.discriminator.parameters())


@pytest.mark.parametrize('keys', [
    ('student', ),
    ('discriminator', ),
    ('student', 'discriminator', 'teacher'),
    ('optimizer', ),
])
def test_other_keys_raise(cfg, keys):
    options = optim_cfg(cfg)
    bad = {k: options.get(k, options['student']) for k in keys}
    with pytest.raises(KeyError) as err:
        construct(bad)
    message = err.value.args[0]
    assert "exactly the keys 'student' and 'discriminator'" in message
    assert str(sorted(keys)) in message


def test_top_level_paramwise_cfg_raises(cfg):
    with pytest.raises(ValueError, match='inside optim_wrapper.student'):
        construct(optim_cfg(cfg), paramwise_cfg=dict(norm_decay_mult=0.0))


def test_model_without_distiller_raises(cfg):
    class NotADistiller(nn.Module):

        def __init__(self):
            super().__init__()
            self.architecture = nn.Linear(2, 2)
            self.discriminator = nn.Linear(2, 1)

    with pytest.raises(AttributeError, match="no 'distiller'"):
        construct(optim_cfg(cfg))(NotADistiller())
