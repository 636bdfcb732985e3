"""Tests of mmhkd.engine.launch (config -> Runner for the tools)."""
import os.path as osp
import textwrap

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

import mmhkd  # noqa: F401
from mmhkd.engine.launch import (build_runner, build_runner_config,
                                 default_work_dir, enable_amp)

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
VANILLA_CFG = osp.join(REPO_ROOT, 'configs/vanilla/'
                       'resnet20-half_1xb128_fashion-mnist-1k.py')
KD_CFG = osp.join(REPO_ROOT, 'configs/distill/kd/kd_logits_preact-resnet29_'
                  'resnet20-half_1xb128_fashion-mnist-1k.py')

PLAIN = '''
model = dict(type='Dummy')
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1),
                     clip_grad=dict(max_norm=1.0))
auto_scale_lr = dict(base_batch_size=64)
'''

SEPARATE = '''
model = dict(type='Dummy')
optim_wrapper = dict(
    constructor='mmrazor.SeparateOptimWrapperConstructor',
    architecture=dict(optimizer=dict(type='SGD', lr=0.1)),
    generator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3)),
    discriminator=dict(
        optimizer=dict(type='Adam', lr=1e-4), clip_grad=dict(max_norm=5)))
'''


def write(tmp_path, text, name='tiny_config.py'):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_default_work_dir():
    assert default_work_dir('configs/a/b_c.py') == './work_dirs/b_c'
    assert default_work_dir('/x/y/model.v2.py') == './work_dirs/model.v2'


def test_work_dir_default_from_config_name(tmp_path):
    cfg = build_runner_config(write(tmp_path, PLAIN, 'my_exp.py'))
    assert cfg.work_dir == osp.join('./work_dirs', 'my_exp')
    assert cfg.launcher == 'none'
    assert 'resume' not in cfg


def test_work_dir_in_config_is_kept_and_argument_wins(tmp_path):
    path = write(tmp_path, PLAIN + "work_dir = '/from/config'\n")
    assert build_runner_config(path).work_dir == '/from/config'
    assert build_runner_config(
        path, work_dir=str(tmp_path / 'w')).work_dir == str(tmp_path / 'w')


def test_cfg_options_and_launcher(tmp_path):
    cfg = build_runner_config(
        write(tmp_path, PLAIN),
        cfg_options={'optim_wrapper.optimizer.lr': 0.5, 'extra': 3},
        launcher='pytorch')
    assert cfg.optim_wrapper.optimizer.lr == 0.5
    assert cfg.extra == 3
    assert cfg.launcher == 'pytorch'


def test_missing_config(tmp_path):
    path = str(tmp_path / 'absent.py')
    with pytest.raises(FileNotFoundError,
                       match=f'^Config file not found: {path}$'):
        build_runner_config(path)


def test_amp_on_plain_wrapper(tmp_path):
    path = write(tmp_path, PLAIN)
    assert 'type' not in build_runner_config(path).optim_wrapper
    cfg = build_runner_config(path, amp=True)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    assert cfg.optim_wrapper.optimizer == dict(type='SGD', lr=0.1)
    assert cfg.optim_wrapper.clip_grad == dict(max_norm=1.0)


def test_amp_on_every_nested_wrapper(tmp_path):
    cfg = build_runner_config(write(tmp_path, SEPARATE), amp=True)
    wrapper = cfg.optim_wrapper
    assert 'type' not in wrapper and 'loss_scale' not in wrapper
    assert wrapper.constructor == 'mmrazor.SeparateOptimWrapperConstructor'
    for name in ('architecture', 'generator', 'discriminator'):
        assert wrapper[name].type == 'AmpOptimWrapper', name
        assert wrapper[name].loss_scale == 'dynamic'
    assert wrapper.discriminator.clip_grad == dict(max_norm=5)
    assert wrapper.generator.optimizer.type == 'Adam'


def test_amp_keeps_existing_amp_wrapper(tmp_path):
    text = PLAIN.replace(
        "optim_wrapper = dict(",
        "optim_wrapper = dict(type='AmpOptimWrapper', loss_scale=512.0, ")
    cfg = build_runner_config(write(tmp_path, text), amp=True)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 512.0


def test_amp_refuses_other_wrapper_types(tmp_path):
    text = PLAIN.replace("optim_wrapper = dict(",
                         "optim_wrapper = dict(type='ApexOptimWrapper', ")
    with pytest.raises(ValueError,
                       match=r'^--amp only applies to OptimWrapper, got '
                       r'ApexOptimWrapper; set AmpOptimWrapper in the '
                       r'config\.$'):
        build_runner_config(write(tmp_path, text), amp=True)


def test_enable_amp_directly_on_config():
    cfg = Config(dict(optim_wrapper=dict(
        student=dict(optimizer=dict(type='SGD')),
        teacher=dict(type='AmpOptimWrapper', optimizer=dict(type='SGD')))))
    enable_amp(cfg)
    assert cfg.optim_wrapper.student.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.student.loss_scale == 'dynamic'
    assert 'loss_scale' not in cfg.optim_wrapper.teacher


def test_amp_on_repository_configs():
    cfg = build_runner_config(VANILLA_CFG, amp=True)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.work_dir == './work_dirs/resnet20-half_1xb128_fashion-mnist-1k'
    kd = build_runner_config(KD_CFG, amp=True)
    assert kd.optim_wrapper.type == 'AmpOptimWrapper'


def test_auto_scale_lr(tmp_path):
    cfg = build_runner_config(write(tmp_path, PLAIN), auto_scale_lr=True)
    assert cfg.auto_scale_lr.enable is True
    assert cfg.auto_scale_lr.base_batch_size == 64
    text = PLAIN.replace('auto_scale_lr = dict(base_batch_size=64)', '')
    with pytest.raises(KeyError, match='base_batch_size'):
        build_runner_config(write(tmp_path, text, 'b.py'),
                            auto_scale_lr=True)


def test_resume_auto(tmp_path):
    path = write(tmp_path, PLAIN + "load_from = 'weights.pth'\n")
    cfg = build_runner_config(path, resume='auto')
    assert cfg.resume is True
    assert cfg.load_from is None


def test_resume_from_path(tmp_path):
    ckpt = tmp_path / 'epoch_3.pth'
    ckpt.write_bytes(b'')
    cfg = build_runner_config(write(tmp_path, PLAIN), resume=str(ckpt))
    assert cfg.resume is True
    assert cfg.load_from == str(ckpt)


def test_resume_missing_path(tmp_path):
    missing = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError,
                       match=f'^--resume checkpoint not found: {missing}$'):
        build_runner_config(write(tmp_path, PLAIN), resume=missing)


def test_build_runner_from_repository_config(tmp_path):
    from conftest import tiny_run_options
    cfg = build_runner_config(
        VANILLA_CFG,
        work_dir=str(tmp_path / 'work'),
        cfg_options=tiny_run_options('fashion-mnist'))
    runner = build_runner(cfg)
    assert type(runner) is Runner
    assert runner.work_dir == str(tmp_path / 'work')
    assert type(runner.model.backbone).__name__ == 'CifarResNet'
    assert runner.model.backbone.stage_channels == (8, 16, 32)


def test_build_runner_uses_runner_type(tmp_path, monkeypatch):
    from mmengine.registry import RUNNERS
    built = []

    def fake_build(cfg):
        built.append(cfg)
        return 'custom runner'

    monkeypatch.setattr(RUNNERS, 'build', fake_build)
    cfg = Config(dict(runner_type='MyRunner', work_dir=str(tmp_path)))
    assert build_runner(cfg) == 'custom runner'
    assert built == [cfg]


@pytest.mark.parametrize('marker', [
    'last_checkpoint', 'epoch_3.pth', 'iter_500.pth',
    # exported results alone (the epoch_*.pth files deleted) are a run too
    'student_last.pth', 'student_best.pth', 'best_accuracy_top1_epoch_1.pth'
])
def test_work_dir_with_a_run_is_refused(tmp_path, marker):
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    (work_dir / marker).write_text('x')
    config = write(tmp_path, PLAIN)
    with pytest.raises(FileExistsError) as err:
        build_runner_config(config, work_dir=str(work_dir))
    message = str(err.value)
    assert message.startswith(f'Work dir {work_dir} already holds a run '
                              f'({marker})')
    for option in ('--resume', '--work-dir', '--overwrite'):
        assert option in message
    # explicitly allowed: resuming (auto or a path) or overwrite=True
    assert build_runner_config(
        config, work_dir=str(work_dir), resume='auto').resume is True
    ckpt = tmp_path / 'epoch_1.pth'
    ckpt.write_bytes(b'')
    assert build_runner_config(
        config, work_dir=str(work_dir), resume=str(ckpt)).resume is True
    cfg = build_runner_config(config, work_dir=str(work_dir), overwrite=True)
    assert cfg.work_dir == str(work_dir)


def test_work_dir_without_a_run_is_accepted(tmp_path):
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    # student_config.py is written at every run's start (a run killed before
    # its first checkpoint leaves only it)
    for name in ('epoch_1.pth.tmp', 'notes.txt', 'student.pth',
                 'student_config.py'):
        (work_dir / name).write_text('x')
    (work_dir / '20240101_000000').mkdir()
    config = write(tmp_path, PLAIN)
    assert build_runner_config(
        config, work_dir=str(work_dir)).work_dir == str(work_dir)
    assert build_runner_config(
        config, work_dir=str(tmp_path / 'new')).work_dir == str(
            tmp_path / 'new')
