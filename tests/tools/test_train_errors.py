"""Misconfigured runs through tools/train.py fail early and clearly.

* data files missing: ``DataFileError`` naming the file and the set-up
  command;
* student stage widths that do not match the recorded features: the
  connector's ``ValueError`` in the first iteration, nothing saved;
* a work dir that holds a run: ``FileExistsError`` before anything is built,
  unless ``--resume`` or ``--overwrite``.
"""
import os
import os.path as osp
from typing import Dict, List

import pytest
from mmengine.hooks import Hook

from conftest import CONFIG_ROOT, tiny_run_options
from mmhkd.datasets import DataFileError
from tiny_hksanc_run import DISTILL, load_tool, save_random_teacher

VANILLA_STUDENT = osp.join(CONFIG_ROOT, 'vanilla',
                           'resnet20-half_1xb128_fashion-mnist-1k.py')


@pytest.fixture(scope='module')
def train_tool():
    return load_tool('train')


pytestmark = pytest.mark.usefixtures('one_thread')


def argv(config: str, work_dir: str, options: Dict[str, object],
         *extra: str) -> List[str]:
    return [config, '--work-dir', work_dir, *extra, '--cfg-options'
            ] + [f'{k}={v}' for k, v in options.items()]


def test_missing_data_files_name_file_and_setup(train_tool, tmp_path):
    empty = tmp_path / 'no_data'
    empty.mkdir()
    options = tiny_run_options('fashion-mnist')
    options['train_dataloader.dataset.data_root'] = str(empty)
    work_dir = str(tmp_path / 'work')
    with pytest.raises(DataFileError) as err:
        train_tool.main(argv(VANILLA_STUDENT, work_dir, options))
    message = str(err.value)
    assert f'Data file not found: {empty}{os.sep}train-' in message
    assert 'apt-get install -y dataset-fashion-mnist' in message
    assert not [f for f in os.listdir(work_dir) if f.endswith('.pth')]


class IterationCounter(Hook):

    def __init__(self) -> None:
        self.started = 0
        self.finished = 0

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self.started += 1

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        self.finished += 1


def test_stage_widths_not_matching_fail_in_first_iteration(
        train_tool, fashion_mnist_root, tmp_path, monkeypatch):
    teacher = save_random_teacher(str(tmp_path / 'teacher.pth'))
    options = tiny_run_options('fashion-mnist')
    options.update({
        'model.teacher_ckpt': teacher,
        'model.teacher_attention_ckpt': None,
        # the half-width student's stages are 8/16/32 wide
        'model.distiller.connectors.student_attention.stage_channels':
        '[8,16,64]',
    })
    counter = IterationCounter()
    original = train_tool.build_runner

    def build_and_count(cfg):
        runner = original(cfg)
        runner.register_hook(counter)
        return runner

    monkeypatch.setattr(train_tool, 'build_runner', build_and_count)
    work_dir = str(tmp_path / 'work')
    with pytest.raises(ValueError,
                       match=r'^stage 2: recorded feature has 32 channels '
                       r'but stage_channels\[2\] = 64$'):
        train_tool.main(argv(DISTILL, work_dir, options))
    assert (counter.started, counter.finished) == (1, 0)
    assert not [f for f in os.listdir(work_dir) if f.endswith('.pth')]


def test_work_dir_holding_a_run_is_not_overwritten(train_tool, tmp_path,
                                                   monkeypatch):
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    (work_dir / 'epoch_2.pth').write_bytes(b'finished run')
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'epoch_2.pth'))
    built = []
    monkeypatch.setattr(train_tool, 'build_runner', built.append)
    with pytest.raises(FileExistsError) as err:
        train_tool.main([VANILLA_STUDENT, '--work-dir', str(work_dir)])
    message = str(err.value)
    assert f'Work dir {work_dir} already holds a run' in message
    assert 'epoch_2.pth' in message and 'last_checkpoint' in message
    assert '--resume' in message and '--overwrite' in message
    assert built == []
    assert (work_dir / 'epoch_2.pth').read_bytes() == b'finished run'
    # allowed explicitly (the Runner is not built here)
    monkeypatch.setattr(train_tool, 'build_runner',
                        lambda cfg: built.append(cfg) or _NoTrain())
    train_tool.main([VANILLA_STUDENT, '--work-dir', str(work_dir),
                     '--overwrite'])
    train_tool.main([VANILLA_STUDENT, '--work-dir', str(work_dir),
                     '--resume'])
    assert [cfg.get('resume', False) for cfg in built] == [False, True]


class _NoTrain:

    def train(self) -> None:
        pass
