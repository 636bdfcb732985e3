"""ChannelsLastHook: NHWC weights, same parameters, same outputs."""
import copy
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config

from benchmarks.step_cost import build_runner_for_cost
from conftest import CONFIG_ROOT
from mmhkd.engine.hooks import ChannelsLastHook
from mmhkd.engine.hooks import channels_last_hook as hook_module

KD = osp.join(CONFIG_ROOT, 'distill', 'kd', 'kd_logits_preact-resnet29_'
              'resnet20-half_1xb128_fashion-mnist-1k.py')


pytestmark = pytest.mark.usefixtures('restore_default_scope')


def conv_weights(model):
    return [p for p in model.parameters() if p.dim() == 4]


@pytest.fixture()
def runner(tmp_path, fashion_mnist_root):
    return build_runner_for_cost(Config.fromfile(KD), str(tmp_path))


def test_default_runtime_turns_it_on():
    hooks = Config.fromfile(KD).custom_hooks
    assert dict(type='ChannelsLastHook') in hooks


def test_weights_become_nhwc_in_place_outputs_unchanged(runner):
    model = runner.model
    reference = copy.deepcopy(model)
    reference.eval()  # mmrazor's train() override returns None
    params_before = [id(p) for p in model.parameters()]
    assert not any(w.is_contiguous(memory_format=torch.channels_last)
                   for w in conv_weights(model) if w.shape[1] > 1 and w.shape[-1] > 1)
    ChannelsLastHook().before_run(runner)
    assert [id(p) for p in model.parameters()] == params_before
    assert all(w.is_contiguous(memory_format=torch.channels_last)
               for w in conv_weights(model))
    model.eval()
    images = torch.randn(4, 1, 32, 32)
    with torch.no_grad():
        for side in ('teacher', 'architecture'):
            got = getattr(model, side)(images, mode='tensor')
            want = getattr(reference, side)(images, mode='tensor')
            assert torch.allclose(got, want, atol=1e-4, rtol=1e-4), side


def test_disabled_keeps_nchw(runner):
    ChannelsLastHook(enabled=False).before_run(runner)
    assert not any(w.is_contiguous(memory_format=torch.channels_last)
                   for w in conv_weights(runner.model)
                   if w.shape[1] > 1 and w.shape[-1] > 1)


def test_distributed_wrapper_is_left_alone(monkeypatch):
    messages = []
    monkeypatch.setattr(hook_module, 'is_model_wrapper', lambda m: True)
    monkeypatch.setattr(hook_module, 'print_log',
                        lambda msg, **kw: messages.append(msg))
    model = torch.nn.Conv2d(2, 4, 3)
    ChannelsLastHook().before_run(SimpleNamespace(model=model))
    assert not model.weight.is_contiguous(memory_format=torch.channels_last)
    assert 'wrapped for distributed training' in messages[0]
