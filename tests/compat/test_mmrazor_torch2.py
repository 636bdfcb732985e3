"""Tests of mmhkd.compat.mmrazor_torch2 (MMRazor 1.0.0 on torch 2.x)."""
import subprocess
import sys
import types

import pytest
import torch
import torch.nn.functional as F

import mmhkd  # noqa: F401
import mmrazor.engine  # noqa: F401
import mmrazor.models  # noqa: F401
from mmhkd.compat import QuantizationUnavailableError
from mmhkd.compat.mmrazor_torch2 import (BACKEND_CONFIG_MODULE,
                                         BACKEND_CONFIG_NAMES,
                                         UnavailableQuantizationObject,
                                         install_quantization_stand_in,
                                         torch_has_legacy_fuser_helpers)
from mmrazor.registry import MODELS, TASK_UTILS

REPO_ROOT = __file__.rsplit('/tests/', 1)[0]


def test_register_all_modules_works(monkeypatch):
    from collections import OrderedDict

    from mmengine.registry import DefaultScope
    from mmrazor.utils import register_all_modules

    # keep the global default scope of the other tests unchanged
    monkeypatch.setattr(DefaultScope, '_instance_dict',
                        OrderedDict(DefaultScope._instance_dict))
    register_all_modules()
    assert DefaultScope.get_current_instance().scope_name == 'mmrazor'
    assert MODELS.get('SingleTeacherDistill') is not None


@pytest.mark.parametrize('name,kwargs', [
    ('KLDivergence', dict(tau=4)),
    ('DKDLoss', dict(tau=2)),
    ('ATLoss', {}),
    ('L2Loss', {}),
    ('ConvModuleConnector', dict(in_channel=4, out_channel=6)),
])
def test_distillation_components_build_from_models(name, kwargs):
    module = MODELS.build(dict(type=name, **kwargs))
    assert type(module) is MODELS.get(name)
    assert isinstance(module, torch.nn.Module)


@pytest.mark.parametrize('name', [
    'SingleTeacherDistill', 'ConfigurableDistiller', 'KLDivergence',
    'DKDLoss', 'ATLoss', 'L2Loss', 'ConvModuleConnector'
])
def test_registered_in_mmrazor_models(name):
    assert MODELS.get(name) is not None


@pytest.mark.parametrize('name', ['ModuleOutputs', 'ModuleInputs'])
def test_recorders_registered(name):
    # mmrazor registers recorders in TASK_UTILS as <type>Recorder; configs
    # name them without the suffix (RecorderManager appends it)
    assert TASK_UTILS.get(name + 'Recorder') is not None


def test_kl_divergence_value_matches_hinton_kd():
    torch.manual_seed(0)
    s, t = torch.randn(4, 5), torch.randn(4, 5)
    tau = 4.0
    loss = MODELS.build(dict(type='KLDivergence', tau=tau,
                             loss_weight=0.5))(s, t)
    p_t = F.softmax(t / tau, dim=1)
    expected = (p_t * (p_t.log() - F.log_softmax(s / tau, dim=1))).sum(1)
    expected = 0.5 * tau**2 * expected.mean()
    torch.testing.assert_close(loss, expected)


def test_conv_module_connector_shape():
    connector = MODELS.build(
        dict(type='ConvModuleConnector', in_channel=4, out_channel=6,
             norm_cfg=dict(type='BN')))
    assert connector(torch.randn(2, 4, 5, 5)).shape == (2, 6, 5, 5)


def test_recorders_record():
    from mmrazor.models.task_modules import RecorderManager
    manager = RecorderManager(
        dict(out=dict(type='ModuleOutputs', source='1'),
             inp=dict(type='ModuleInputs', source='1')))
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU())
    manager.initialize(model)
    x = torch.tensor([[1.0, -2.0, 3.0]])
    with manager:
        model(x)
    hidden = model[0](x).detach()
    torch.testing.assert_close(
        manager.get_recorder('out').get_record_data(), hidden.clamp(min=0))
    torch.testing.assert_close(
        manager.get_recorder('inp').get_record_data()[0], hidden)


def _tiny_classifier(width):
    return dict(
        _scope_='mmpretrain',
        type='ImageClassifier',
        backbone=dict(type='CifarResNet', depth=8,
                      stage_channels=(width, width, width), in_channels=1),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=3, in_channels=width,
                  loss=dict(type='CrossEntropyLoss')))


def test_single_teacher_distill_builds_and_computes_losses():
    from mmpretrain.structures import DataSample
    algorithm = MODELS.build(
        dict(
            type='SingleTeacherDistill',
            architecture=_tiny_classifier(4),
            teacher=_tiny_classifier(6),
            distiller=dict(
                type='ConfigurableDistiller',
                student_recorders=dict(
                    fc=dict(type='ModuleOutputs', source='head.fc')),
                teacher_recorders=dict(
                    fc=dict(type='ModuleOutputs', source='head.fc')),
                distill_losses=dict(
                    loss_kl=dict(type='KLDivergence', tau=4)),
                loss_forward_mappings=dict(
                    loss_kl=dict(
                        preds_S=dict(from_student=True, recorder='fc'),
                        preds_T=dict(from_student=False,
                                     recorder='fc'))))))
    samples = [DataSample().set_gt_label(i % 3) for i in range(2)]
    losses = algorithm(torch.randn(2, 1, 8, 8), samples, mode='loss')
    assert {'distill.loss_kl', 'student.loss'} <= set(losses)
    for value in losses.values():
        assert torch.isfinite(value).all()


def test_torch_lacks_the_legacy_helpers():
    assert torch_has_legacy_fuser_helpers() is False


def test_stand_in_module_is_installed():
    module = sys.modules[BACKEND_CONFIG_MODULE]
    assert module.__mmhkd_stand_in__ is True
    assert sorted(module.__all__) == sorted(BACKEND_CONFIG_NAMES)
    for name in BACKEND_CONFIG_NAMES:
        obj = getattr(module, name)
        assert isinstance(obj, UnavailableQuantizationObject)
        assert name in repr(obj)


def _check_message(error, name):
    message = str(error.value)
    assert f'torch {torch.__version__}' in message
    assert 'distillation' in message
    assert f'({name})' in message


def test_backend_configs_lookup_raises():
    from mmrazor.structures.quantization import BackendConfigs
    with pytest.raises(QuantizationUnavailableError) as error:
        BackendConfigs['native']
    _check_message(error, 'BackendConfigs')
    with pytest.raises(QuantizationUnavailableError):
        list(BackendConfigs)


@pytest.mark.parametrize('name', [
    'get_native_backend_config', 'get_academic_backend_config_dict',
    'get_tensorrt_backend_config', 'get_openvino_backend_config'
])
def test_backend_config_functions_raise(name):
    import mmrazor.structures.quantization as quantization
    with pytest.raises(QuantizationUnavailableError) as error:
        getattr(quantization, name)()
    _check_message(error, name)
    assert isinstance(error.value, RuntimeError)


def test_install_is_idempotent():
    before = sys.modules[BACKEND_CONFIG_MODULE]
    assert install_quantization_stand_in() is True
    assert install_quantization_stand_in() is True
    assert sys.modules[BACKEND_CONFIG_MODULE] is before


def test_install_replaces_half_initialised_module(monkeypatch):
    broken = types.ModuleType(BACKEND_CONFIG_MODULE)
    monkeypatch.setitem(sys.modules, BACKEND_CONFIG_MODULE, broken)
    assert install_quantization_stand_in() is True
    replaced = sys.modules[BACKEND_CONFIG_MODULE]
    assert replaced is not broken
    assert replaced.__mmhkd_stand_in__ is True


WITHOUT_MMHKD = '''
import sys
from torch.ao.quantization import fuser_method_mappings as f
assert not hasattr(f, 'reverse2')
try:
    import mmrazor.models
except ImportError as error:
    print('FAILED:', error)
    sys.exit(3)
print('IMPORTED')
'''

WITH_MMHKD = '''
import sys
sys.path.insert(0, {root!r})
import mmhkd
import mmrazor.models, mmrazor.engine
from mmrazor.registry import MODELS
assert MODELS.get('SingleTeacherDistill') is not None
print('IMPORTED')
'''


def test_shim_is_needed_and_sufficient_in_fresh_interpreters():
    # both interpreters run at once to halve the wall time
    without = subprocess.Popen([sys.executable, '-c', WITHOUT_MMHKD],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True,
                               cwd='/')
    with_ = subprocess.Popen(
        [sys.executable, '-c', WITH_MMHKD.format(root=REPO_ROOT)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        cwd='/')
    out_without, _ = without.communicate(timeout=120)
    out_with, _ = with_.communicate(timeout=120)
    assert without.returncode == 3, out_without
    assert 'FAILED:' in out_without and 'IMPORTED' not in out_without
    assert 'torch>=1.13' in out_without
    assert with_.returncode == 0, out_with
    assert 'IMPORTED' in out_with
