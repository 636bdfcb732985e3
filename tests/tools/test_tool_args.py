"""Argument parsing of tools/train.py and tools/test.py."""
import os

import pytest

from conftest import load_tool


@pytest.fixture(scope='module')
def train_tool():
    return load_tool('train')


@pytest.fixture(scope='module')
def eval_tool():
    return load_tool('test')


@pytest.fixture
def no_local_rank(monkeypatch):
    # setenv first so that monkeypatch restores the original state after
    monkeypatch.setenv('LOCAL_RANK', 'placeholder')
    monkeypatch.delenv('LOCAL_RANK')


@pytest.mark.parametrize('flag', ['--local-rank', '--local_rank'])
@pytest.mark.parametrize('tool', ['train', 'test'])
def test_local_rank_spellings(tool, flag, no_local_rank, train_tool,
                              eval_tool):
    module = train_tool if tool == 'train' else eval_tool
    positional = ['cfg.py'] if tool == 'train' else ['cfg.py', 'ckpt.pth']
    args = module.parse_args(positional + [flag, '3'])
    assert args.local_rank == 3
    assert os.environ['LOCAL_RANK'] == '3'


def test_local_rank_with_equals_sign(train_tool, no_local_rank):
    args = train_tool.parse_args(['cfg.py', '--local-rank=2'])
    assert args.local_rank == 2
    assert os.environ['LOCAL_RANK'] == '2'


def test_local_rank_default_zero(train_tool, no_local_rank):
    args = train_tool.parse_args(['cfg.py'])
    assert args.local_rank == 0
    assert os.environ['LOCAL_RANK'] == '0'


def test_existing_local_rank_env_is_kept(train_tool, monkeypatch):
    monkeypatch.setenv('LOCAL_RANK', '5')
    args = train_tool.parse_args(['cfg.py', '--local-rank', '3'])
    assert args.local_rank == 3
    assert os.environ['LOCAL_RANK'] == '5'


def test_train_defaults(train_tool, no_local_rank):
    args = train_tool.parse_args(['configs/x.py'])
    assert args.config == 'configs/x.py'
    assert args.work_dir is None
    assert args.amp is False and args.auto_scale_lr is False
    assert args.resume is None
    assert args.overwrite is False
    assert args.cfg_options is None
    assert args.launcher == 'none'


def test_train_options(train_tool, no_local_rank):
    args = train_tool.parse_args([
        'c.py', '--work-dir', 'w', '--amp', '--auto-scale-lr', '--launcher',
        'pytorch', '--overwrite', '--cfg-options', 'a=1', 'b.c=x', 'd=[1,2]'
    ])
    assert args.work_dir == 'w' and args.overwrite is True
    assert args.amp is True and args.auto_scale_lr is True
    assert args.launcher == 'pytorch'
    assert args.cfg_options == {'a': 1, 'b.c': 'x', 'd': [1, 2]}


def test_resume_without_path_is_auto(train_tool, no_local_rank):
    assert train_tool.parse_args(['c.py', '--resume']).resume == 'auto'
    assert train_tool.parse_args(['c.py', '--resume',
                                  'e.pth']).resume == 'e.pth'


def test_bad_launcher(train_tool, no_local_rank, capsys):
    with pytest.raises(SystemExit) as exit_info:
        train_tool.parse_args(['c.py', '--launcher', 'ssh'])
    assert exit_info.value.code == 2
    assert "invalid choice: 'ssh'" in capsys.readouterr().err


def test_test_tool_needs_checkpoint(eval_tool, no_local_rank, capsys):
    with pytest.raises(SystemExit) as exit_info:
        eval_tool.parse_args(['c.py'])
    assert exit_info.value.code == 2
    assert 'checkpoint' in capsys.readouterr().err


def test_test_tool_options(eval_tool, no_local_rank):
    args = eval_tool.parse_args([
        'c.py', 'k.pth', '--out', 'm.json', '--work-dir', 'w',
        '--cfg-options', 'test_dataloader.batch_size=8'
    ])
    assert (args.config, args.checkpoint) == ('c.py', 'k.pth')
    assert args.out == 'm.json' and args.work_dir == 'w'
    assert args.cfg_options == {'test_dataloader.batch_size': 8}
    assert args.launcher == 'none'


def test_test_tool_missing_checkpoint(eval_tool, no_local_rank, tmp_path):
    missing = str(tmp_path / 'missing.pth')
    with pytest.raises(FileNotFoundError,
                       match=f'^Checkpoint not found: {missing}$'):
        eval_tool.main(['whatever.py', missing])


def test_train_tool_missing_config(train_tool, no_local_rank, tmp_path):
    missing = str(tmp_path / 'missing.py')
    with pytest.raises(FileNotFoundError,
                       match=f'^Config file not found: {missing}$'):
        train_tool.main([missing])


def test_train_tool_missing_resume_checkpoint(train_tool, no_local_rank,
                                              tmp_path):
    config = tmp_path / 'c.py'
    config.write_text("optim_wrapper = dict(optimizer=dict(type='SGD'))\n")
    missing = str(tmp_path / 'gone.pth')
    with pytest.raises(FileNotFoundError,
                       match=f'^--resume checkpoint not found: {missing}$'):
        train_tool.main([str(config), '--resume', missing])
