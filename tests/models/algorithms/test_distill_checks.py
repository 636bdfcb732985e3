"""Clear errors at construction: recorder sources, teacher_ckpt, num_classes.

Built from the real Fashion-MNIST HKSANC and KD configs (teacher shrunk to
depth 11 where it is built often); nothing is trained.
"""
import copy
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmrazor.registry import MODELS

from conftest import CONFIG_ROOT
from mmhkd.models.algorithms import (CheckpointMismatchError,
                                     RecorderSourceError,
                                     check_recorder_sources)

HKSANC_CONFIG = osp.join(
    CONFIG_ROOT, 'hksanc',
    'hksanc_preact-resnet29_resnet20-half_1xb128_fashion-mnist-1k.py')
KD_CONFIG = osp.join(
    CONFIG_ROOT, 'distill', 'kd',
    'kd_logits_preact-resnet29_resnet20-half_1xb128_fashion-mnist-1k.py')


@pytest.fixture(scope='module')
def hksanc_cfg() -> Config:
    cfg = Config.fromfile(HKSANC_CONFIG)
    cfg.model.teacher_ckpt = None
    cfg.model.teacher_attention_ckpt = None
    cfg.model.teacher.backbone.depth = 11
    return cfg


def build(model_cfg, **overrides) -> nn.Module:
    model_cfg = copy.deepcopy(model_cfg)
    model_cfg.update(overrides)
    init_default_scope('mmrazor')
    torch.manual_seed(0)
    return MODELS.build(model_cfg)


# ------------------------------------------------------- recorder sources
def test_student_source_naming_no_module(hksanc_cfg):
    cfg = copy.deepcopy(hksanc_cfg)
    cfg.model.distiller.student_recorders.logits.source = 'head.fcc'
    with pytest.raises(RecorderSourceError) as err:
        build(cfg.model)
    assert isinstance(err.value, KeyError)
    message = str(err.value)
    assert "student_recorders['logits']" in message
    assert "'head.fcc'" in message and 'names no module of the student' in \
        message
    assert "nearest module names: ['head.fc'" in message


def test_teacher_source_naming_no_module(hksanc_cfg):
    cfg = copy.deepcopy(hksanc_cfg)
    cfg.model.distiller.teacher_recorders.features.source = 'nek'
    with pytest.raises(KeyError) as err:
        build(cfg.model)
    message = str(err.value)
    assert "teacher_recorders['features']" in message and "'nek'" in message
    assert 'of the teacher' in message and "'neck'" in message


def test_plain_single_teacher_distill_gets_the_same_error():
    """The KD baseline (mmrazor's SingleTeacherDistill, config unchanged)."""
    cfg = Config.fromfile(KD_CONFIG)
    cfg.model.teacher_ckpt = None
    cfg.model.teacher.backbone.depth = 11
    cfg.model.distiller.student_recorders.fc.source = 'head.fc1'
    with pytest.raises(RecorderSourceError,
                       match=r"student_recorders\['fc'\].*'head\.fc1'.*"
                       r"nearest module names: \['head\.fc'"):
        build(cfg.model)


class Toy(nn.Module):

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 2, 1), nn.ReLU())
        self.fc = nn.Linear(2, 3)


def toy_distiller(student_recorders: dict, teacher_recorders: dict):
    init_default_scope('mmrazor')
    return MODELS.build(
        dict(
            type='ConfigurableDistiller',
            student_recorders=student_recorders,
            teacher_recorders=teacher_recorders))


def test_check_recorder_sources_utility():
    good = dict(x=dict(type='ModuleOutputs', source='body.0'))
    check_recorder_sources(toy_distiller(good, good), Toy(), Toy())
    bad = dict(x=dict(type='ModuleInputs', source='body.00'))
    with pytest.raises(RecorderSourceError,
                       match=r"teacher_recorders\['x'\] \(ModuleInputs\).*"
                       r"'body\.00'.*nearest module names: \['body\.0'"):
        check_recorder_sources(toy_distiller(good, bad), Toy(), Toy())
    param = dict(w=dict(type='Parameter', source='fc.weigth'))
    with pytest.raises(RecorderSourceError,
                       match=r"names no parameter of the student.*"
                       r"nearest parameter names: \['fc\.weight'"):
        check_recorder_sources(toy_distiller(param, good), Toy(), Toy())
    # nothing close: the top-level names are listed instead
    far = dict(x=dict(type='ModuleOutputs', source='zzzzzz'))
    with pytest.raises(RecorderSourceError,
                       match=r"top-level modules: \['body', 'fc'\]"):
        check_recorder_sources(toy_distiller(far, good), Toy(), Toy())


# ------------------------------------------------------------ teacher_ckpt
def test_teacher_ckpt_missing(hksanc_cfg, tmp_path):
    path = str(tmp_path / 'no_teacher.pth')
    with pytest.raises(FileNotFoundError) as err:
        build(hksanc_cfg.model, teacher_ckpt=path)
    message = str(err.value)
    assert f'teacher_ckpt not found: {path}' in message
    assert 'tools/train.py configs/vanilla/' in message
    assert 'tools/export_checkpoint.py work_dirs/' in message


def test_teacher_ckpt_loaded_strictly(hksanc_cfg, tmp_path):
    source = build(hksanc_cfg.model)
    with torch.no_grad():  # unlike any fresh initialisation
        for param in source.teacher.parameters():
            param.add_(1.0)
    expected = source.teacher.state_dict()
    path = str(tmp_path / 'teacher.pth')
    torch.save({'state_dict': expected, 'meta': {}}, path)
    model = build(hksanc_cfg.model, teacher_ckpt=path)
    model.init_weights()  # the Runner's call must keep the weights
    got = model.teacher.state_dict()
    assert all(torch.equal(expected[k], got[k]) for k in expected)
    assert not any(p.requires_grad for p in model.teacher.parameters())


def test_teacher_ckpt_of_another_architecture(hksanc_cfg, tmp_path):
    """A depth-29 teacher's weights for the depth-11 teacher: warned about
    and ignored by mmrazor, refused here with the key lists."""
    other = copy.deepcopy(hksanc_cfg)
    other.model.teacher.backbone.depth = 29
    state = build(other.model).teacher.state_dict()
    state['extra.weight'] = torch.zeros(1)
    path = str(tmp_path / 'teacher29.pth')
    torch.save({'state_dict': state}, path)
    with pytest.raises(CheckpointMismatchError) as err:
        build(hksanc_cfg.model, teacher_ckpt=path)
    assert isinstance(err.value, KeyError)
    message = str(err.value)
    assert f'teacher_ckpt {path} does not match' in message
    assert 'missing keys []' in message
    assert "unexpected keys ['backbone.stages.0.1." in message
    assert 'extra.weight' not in message  # sorted, only the first ten
    assert ' more' in message  # "... and N more"
    unexpected = message.split('unexpected keys ')[1].split(']')[0]
    assert unexpected.count("'") == 2 * 10


def test_teacher_ckpt_missing_keys_and_distillation_checkpoint(
        hksanc_cfg, tmp_path):
    model = build(hksanc_cfg.model)
    state = model.teacher.state_dict()
    del state['head.fc.weight']
    path = str(tmp_path / 'partial.pth')
    torch.save({'state_dict': state}, path)
    with pytest.raises(CheckpointMismatchError,
                       match=r"missing keys \['head\.fc\.weight'\], "
                       r'unexpected keys \[\]'):
        build(hksanc_cfg.model, teacher_ckpt=path)
    # a whole distillation checkpoint instead of the teacher's weights
    path = str(tmp_path / 'distill.pth')
    torch.save({'state_dict': model.state_dict()}, path)
    with pytest.raises(CheckpointMismatchError,
                       match=r'distillation checkpoint.*--prefix teacher\.'):
        build(hksanc_cfg.model, teacher_ckpt=path)


def test_teacher_ckpt_shape_mismatch(hksanc_cfg, tmp_path):
    state = build(hksanc_cfg.model).teacher.state_dict()
    state['head.fc.weight'] = torch.zeros(5, 128)
    path = str(tmp_path / 'shape.pth')
    torch.save({'state_dict': state}, path)
    with pytest.raises(CheckpointMismatchError,
                       match=r'shape mismatches \[.head\.fc\.weight: '
                       r'\(5, 128\) in the checkpoint, \(10, 128\) in the '
                       'model'):
        build(hksanc_cfg.model, teacher_ckpt=path)


# ------------------------------------------------------------- num_classes
@pytest.mark.parametrize('where, numbers', [
    ('discriminator', (10, 10, 7)),
    ('student', (10, 7, 10)),
])
def test_num_classes_disagree(hksanc_cfg, where, numbers):
    cfg = copy.deepcopy(hksanc_cfg)
    if where == 'discriminator':
        cfg.model.discriminator.num_classes = 7
    else:
        cfg.model.architecture.head.num_classes = 7
    teacher, student, disc = numbers
    with pytest.raises(ValueError) as err:
        build(cfg.model)
    assert str(err.value).startswith(
        f'num_classes disagree: teacher head.num_classes={teacher}, '
        f'student head.num_classes={student}, discriminator '
        f'num_classes={disc}')
