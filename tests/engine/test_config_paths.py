"""Relative input paths of a config also resolve against its repository."""
import os
import os.path as osp

import pytest
from mmengine.config import Config

from conftest import CONFIG_ROOT, REPO_ROOT
from mmhkd.engine.config_paths import repository_of, resolve_input_paths

HKSANC = osp.join(CONFIG_ROOT, 'hksanc', 'hksanc_preact-resnet29_resnet20-'
                  'half_1xb128_fashion-mnist-1k.py')


def test_repository_of_a_config():
    assert repository_of(HKSANC) == REPO_ROOT
    assert repository_of('/tmp/elsewhere/x.py') is None


def test_shipped_teacher_is_found_from_another_folder(tmp_path,
                                                      monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = Config.fromfile(HKSANC)
    assert not osp.exists(cfg.model.teacher_ckpt)  # relative to the repo
    changed = resolve_input_paths(cfg, HKSANC)
    assert 'model.teacher_ckpt' in changed
    assert cfg.model.teacher_ckpt == osp.join(
        REPO_ROOT, 'checkpoints', 'preact-resnet29_1xb128_fashion-mnist.pth')
    # a file that exists nowhere stays as written (its error says where)
    assert 'model.teacher_attention_ckpt' not in changed
    assert cfg.model.teacher_attention_ckpt.startswith('work_dirs/')


def test_a_path_that_exists_from_the_working_directory_wins(tmp_path,
                                                             monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.makedirs('checkpoints')
    own = 'checkpoints/preact-resnet29_1xb128_fashion-mnist.pth'
    open(own, 'w').close()
    cfg = Config.fromfile(HKSANC)
    assert resolve_input_paths(cfg, HKSANC) == []
    assert cfg.model.teacher_ckpt == own


def test_missing_teacher_names_where_it_looked(tmp_path, monkeypatch):
    import torch.nn as nn

    from mmhkd.models.algorithms import load_teacher_checkpoint
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as err:
        load_teacher_checkpoint(nn.Linear(1, 1), 'checkpoints/t.pth')
    assert f'looked for {tmp_path}/checkpoints/t.pth' in str(err.value)


def test_exported_student_as_load_from_is_refused(tmp_path):
    import torch

    from mmhkd.engine.config_paths import check_load_from
    student = tmp_path / 'student_last.pth'
    torch.save({'state_dict': {'backbone.conv.weight': torch.zeros(1)}},
               student)
    cfg = Config.fromfile(HKSANC)
    cfg.load_from = str(student)
    with pytest.raises(ValueError) as err:
        check_load_from(cfg)
    message = str(err.value)
    assert "holds plain weights ('backbone.conv.weight', ...)" in message
    assert (f"init_cfg=dict(type='Pretrained', checkpoint='{student}')"
            in message)
    whole = tmp_path / 'epoch_1.pth'
    torch.save({'state_dict': {'architecture.backbone.conv.weight':
                               torch.zeros(1)}}, whole)
    cfg.load_from = str(whole)
    check_load_from(cfg)  # a distillation checkpoint is fine
    cfg.load_from, cfg.resume = str(student), True
    check_load_from(cfg)  # resuming is mmengine's own business
