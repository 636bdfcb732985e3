"""StudentExportHook: the exports and the student config of a real run.

The tiny HKSANC run of ``tests/tools/tiny_hksanc_run.py`` (trained once per
session, shared with the tool tests) ran with the distillation config's
default hooks: StudentExportHook and ``save_best='auto'``. Checked here:
the files it wrote and what they hold, the hook's re-export logic on a
stand-in runner, its registration, and that every distillation config
turns it on.
"""
import glob
import logging
import os
import os.path as osp
import sys
from typing import Dict

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub

from conftest import CONFIG_ROOT, REPO_ROOT

sys.path.insert(0, osp.join(REPO_ROOT, 'tests', 'tools'))
from tiny_hksanc_run import tiny_hksanc_run  # noqa: E402

from mmhkd.engine.hooks import StudentExportHook  # noqa: E402
from mmhkd.engine.student_config import write_student_config  # noqa: E402

FORBIDDEN = ('teacher.', 'discriminator.', 'distiller.', 'architecture.')
DISTILL_CONFIGS = sorted(
    glob.glob(osp.join(CONFIG_ROOT, 'distill', '*', '*.py')) +
    glob.glob(osp.join(CONFIG_ROOT, 'hksanc', 'hksanc_*.py')) +
    glob.glob(osp.join(CONFIG_ROOT, 'fashion-mnist-v2',
                        '*_preact-resnet29-10e_resnet20-*.py')))
OTHER_CONFIGS = sorted(
    glob.glob(osp.join(CONFIG_ROOT, 'vanilla', '*.py')) +
    glob.glob(osp.join(CONFIG_ROOT, 'hksanc', 'hksanc-adaptation_*.py')) +
    glob.glob(osp.join(CONFIG_ROOT, 'fashion-mnist-v2', 'vanilla_*.py')) +
    glob.glob(osp.join(CONFIG_ROOT, 'fashion-mnist-v2', 'adaptation_*.py')))


@pytest.fixture(scope='session')
def tiny_run(tmp_path_factory, fashion_mnist_root) -> Dict[str, str]:
    """Shared with tests/tools: trained once per session."""
    return tiny_hksanc_run(str(tmp_path_factory.getbasetemp() / 'tiny'))


def load(path: str) -> dict:
    return torch.load(path, map_location='cpu', weights_only=True)


def student_part(checkpoint: str) -> Dict[str, torch.Tensor]:
    prefix = 'architecture.'
    return {
        k[len(prefix):]: v
        for k, v in load(checkpoint)['state_dict'].items()
        if k.startswith(prefix)
    }


def assert_same(a: Dict[str, torch.Tensor], b: Dict[str, torch.Tensor]):
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_hook_writes_the_student_exports(tiny_run):
    work_dir = tiny_run['work_dir']
    last = osp.join(work_dir, 'student_last.pth')
    best = osp.join(work_dir, 'student_best.pth')
    assert osp.isfile(last) and osp.isfile(best)
    best_ckpts = glob.glob(osp.join(work_dir, 'best_accuracy_top1_*.pth'))
    assert len(best_ckpts) == 1
    for export, source in ((last, tiny_run['checkpoint']),
                           (best, best_ckpts[0])):
        exported = load(export)
        state = exported['state_dict']
        assert not [k for k in state if k.startswith(FORBIDDEN)]
        assert 'connectors' not in ' '.join(state)
        assert_same(state, student_part(source))
        assert exported['meta']['exported_from'] == osp.basename(source)
        assert set(exported) == {'state_dict', 'meta'}  # no optimizer


def test_hook_writes_the_student_config(tiny_run):
    path = osp.join(tiny_run['work_dir'], 'student_config.py')
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmpretrain'
    assert cfg.model.type == 'ImageClassifier' and '_scope_' not in cfg.model
    run_cfg = Config.fromfile(tiny_run['config'])
    architecture = run_cfg.model.architecture.to_dict()
    architecture.pop('_scope_')
    model = cfg.model.to_dict()
    assert model.pop('data_preprocessor') == \
        run_cfg.model.data_preprocessor.to_dict()
    # the architecture as distilled, its label loss switched back on
    assert architecture['head']['loss']['loss_weight'] == 0.0
    architecture['head']['loss']['loss_weight'] = 1.0
    assert Config(model).to_dict() == Config(architecture).to_dict()
    # the run's data (its cfg-options: one image per class) and evaluator
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.num_per_class == 1
        assert cfg[loader].dataset.pipeline == run_cfg[loader].dataset.pipeline
    assert cfg.test_evaluator.type == 'Accuracy'
    # the student's own optimizer and schedule, no distillation parts
    assert cfg.optim_wrapper.optimizer.type == 'SGD'
    assert [s['type'] for s in cfg.param_scheduler] == ['OneCycleLR']
    hooks = [h['type'] for h in cfg.custom_hooks]
    assert 'StudentExportHook' not in hooks and 'NonFiniteLossHook' in hooks
    for key in ('model_wrapper_cfg', 'teacher_ckpt', 'work_dir'):
        assert key not in cfg
    assert cfg.load_from is None and cfg.resume is False


class FakeRunner:
    """What the hook reads from a Runner."""

    def __init__(self, work_dir: str, cfg: Config) -> None:
        self.work_dir = work_dir
        self.cfg = cfg
        self.message_hub = MessageHub.get_instance('student_export_test')
        self.logger = logging.getLogger('student_export_test')


def test_hook_exports_each_new_save_once(tiny_run, tmp_path):
    runner = FakeRunner(str(tmp_path), Config())
    hook = StudentExportHook()
    runner.message_hub.update_info('last_ckpt', tiny_run['checkpoint'])
    runner.message_hub.update_info('best_ckpt', None)
    hook.before_train(runner)  # present before training: not exported
    hook.after_train_epoch(runner)
    last = tmp_path / 'student_last.pth'
    assert not last.exists()
    assert not (tmp_path / 'student_config.py').exists()  # no model in cfg

    ckpt = str(tmp_path / 'epoch_2.pth')
    torch.save(load(tiny_run['checkpoint']), ckpt)
    runner.message_hub.update_info('last_ckpt', ckpt)
    hook.after_train_iter(runner, 0)
    assert_same(load(str(last))['state_dict'], student_part(ckpt))
    os.utime(last, ns=(0, 0))
    hook.after_val_epoch(runner, {})
    assert os.stat(last).st_mtime_ns == 0  # unchanged checkpoint: no export
    assert not (tmp_path / 'student_best.pth').exists()

    # the same file saved again (best re-save) is exported again
    state = load(ckpt)
    key = next(k for k in state['state_dict']
               if k.startswith('architecture.head'))
    state['state_dict'][key] = state['state_dict'][key] + 1
    torch.save(state, ckpt)
    runner.message_hub.update_info('best_ckpt', ckpt)
    hook.after_val_epoch(runner, {})
    assert_same(load(str(last))['state_dict'], student_part(ckpt))
    assert_same(load(str(tmp_path / 'student_best.pth'))['state_dict'],
                student_part(ckpt))


def test_failed_export_warns_and_training_goes_on(tiny_run, tmp_path,
                                                 caplog):
    runner = FakeRunner(str(tmp_path), Config(dict(model=dict(
        architecture=None))))
    hook = StudentExportHook()
    runner.message_hub.update_info('last_ckpt', None)
    runner.message_hub.update_info('best_ckpt', None)
    with caplog.at_level(logging.WARNING, logger='student_export_test'):
        hook.before_train(runner)  # no student config dict: warned
        runner.message_hub.update_info('last_ckpt', tiny_run['teacher'])
        hook.after_train_epoch(runner)  # no architecture.* keys: warned
    assert 'could not write' in caplog.text
    assert "could not export" in caplog.text
    assert 'tools/export_student.py' in caplog.text
    assert os.listdir(tmp_path) == []


def test_hooks_build_in_every_scope():
    from mmengine.registry import DefaultScope
    from mmrazor.registry import HOOKS as RAZOR_HOOKS
    from mmpretrain.registry import HOOKS as PRETRAIN_HOOKS
    for scope, registry in (('mmrazor', RAZOR_HOOKS),
                            ('mmpretrain', PRETRAIN_HOOKS)):
        with DefaultScope.overwrite_default_scope(scope):
            for name in ('StudentExportHook', 'NonFiniteLossHook'):
                assert type(registry.build(dict(type=name))).__name__ == name


@pytest.mark.parametrize('path', DISTILL_CONFIGS,
                         ids=lambda p: osp.basename(p))
def test_distillation_configs_export_the_student(path, tmp_path):
    cfg = Config.fromfile(path)
    hooks = [h['type'] for h in cfg.custom_hooks]
    assert hooks == ['ChannelsLastHook', 'RNGStateHook', 'NonFiniteLossHook',
                     'PairedInitHook',
                     'StudentExportHook']
    assert cfg.default_hooks.checkpoint.save_best == 'auto'
    # its student config builds the plain classifier in mmpretrain's scope
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS
    student_cfg = Config.fromfile(
        write_student_config(cfg, str(tmp_path / 'student_config.py')))
    with DefaultScope.overwrite_default_scope(student_cfg.default_scope):
        student = MODELS.build(student_cfg.model)
    assert type(student).__name__ == 'ImageClassifier'
    assert student_cfg.optim_wrapper.optimizer.type == 'SGD'


def test_distillation_configs_are_all_found():
    assert len(DISTILL_CONFIGS) == 30 and len(OTHER_CONFIGS) == 20


@pytest.mark.parametrize('path', OTHER_CONFIGS,
                         ids=lambda p: osp.basename(p))
def test_other_configs_check_losses_only(path):
    hooks = [h['type'] for h in Config.fromfile(path).custom_hooks]
    assert hooks == ['ChannelsLastHook', 'RNGStateHook', 'NonFiniteLossHook',
                     'PairedInitHook']
