"""Visualizer backends of mmhkd's runtime: local by default, TensorBoard by
the --cfg-options line documented in configs/_base_/default_runtime.py.

Built under both default scopes mmhkd's configs use: 'mmrazor'
(distillation) and 'mmpretrain' (vanilla training).
"""
import glob
import os.path as osp
import re

import pytest
import torch
from mmengine.registry import VISUALIZERS, DefaultScope

from conftest import CONFIG_ROOT, load_tool, tiny_run_options

RUNTIME = osp.join(CONFIG_ROOT, '_base_', 'default_runtime.py')
DISTILL = osp.join(CONFIG_ROOT, 'hksanc',
                   'hksanc_preact-resnet29_resnet20-half_1xb128_'
                   'fashion-mnist-1k.py')
VANILLA = osp.join(CONFIG_ROOT, 'vanilla',
                   'resnet20-half_1xb128_fashion-mnist-1k.py')


@pytest.fixture(scope='module')
def train_tool():
    return load_tool('train')


def documented_option() -> str:
    """The key=value after '--cfg-options' in the runtime's comments."""
    with open(RUNTIME) as f:
        found = re.findall(r'#\s+--cfg-options (visualizer\.\S+)', f.read())
    assert len(found) == 1, found
    return found[0]


def build_visualizer(cfg, name: str, save_dir: str):
    """As Runner.build_visualizer does, under the config's default scope."""
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        return VISUALIZERS.build(
            dict(cfg.visualizer, name=name, save_dir=save_dir))


@pytest.mark.parametrize('config,scope', [(DISTILL, 'mmrazor'),
                                          (VANILLA, 'mmpretrain')],
                         ids=['mmrazor', 'mmpretrain'])
def test_local_by_default_tensorboard_by_option(train_tool, tmp_path, config,
                                                scope):
    pytest.importorskip('tensorboard')
    cfg = train_tool.build_runner_config(config)
    assert cfg.default_scope == scope
    local = build_visualizer(cfg, f'local_{scope}', str(tmp_path / 'local'))
    assert list(local._vis_backends) == ['LocalVisBackend']
    local.add_scalars({'loss': 1.0}, step=1)
    assert osp.isfile(tmp_path / 'local' / 'vis_data' / 'scalars.json')

    args = train_tool.parse_args([config, '--cfg-options',
                                  documented_option()])
    cfg = train_tool.build_runner_config(config, cfg_options=args.cfg_options)
    tb = build_visualizer(cfg, f'tb_{scope}', str(tmp_path / 'tb'))
    assert list(tb._vis_backends) == ['TensorboardVisBackend']
    tb.add_scalars({'loss': 1.0}, step=1)
    tb.close()
    assert glob.glob(str(tmp_path / 'tb' / 'vis_data' / 'events.out.*'))


def test_documented_config_for_both_backends(train_tool, tmp_path):
    pytest.importorskip('tensorboard')
    child = tmp_path / 'both.py'
    child.write_text(
        f'_base_ = [{DISTILL!r}]\n'
        "visualizer = dict(vis_backends=[dict(type='LocalVisBackend'),\n"
        "    dict(type='TensorboardVisBackend')])\n")
    cfg = train_tool.build_runner_config(str(child))
    both = build_visualizer(cfg, 'both', str(tmp_path / 'both'))
    assert list(both._vis_backends) == ['LocalVisBackend',
                                        'TensorboardVisBackend']


def test_list_of_dicts_is_not_a_command_line_value(train_tool):
    """Why the runtime documents the '.0.type=' form (mmengine DictAction)."""
    args = train_tool.parse_args([
        VANILLA, '--cfg-options', "visualizer.vis_backends=[dict(type="
        "'LocalVisBackend'),dict(type='TensorboardVisBackend')]"
    ])
    assert all(isinstance(v, str)
               for v in args.cfg_options['visualizer.vis_backends'])


def test_tiny_run_writes_tensorboard_events(train_tool, tmp_path,
                                            fashion_mnist_root):
    pytest.importorskip('tensorboard')
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    options = tiny_run_options('fashion-mnist')
    options.update({'train_cfg.max_epochs': 1, 'train_cfg.val_interval': 1})
    work_dir = str(tmp_path / 'tb_run')
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        train_tool.main([VANILLA, '--work-dir', work_dir, '--cfg-options',
                         documented_option()] +
                        [f'{k}={v}' for k, v in options.items()])
    finally:
        torch.set_num_threads(threads)
    events = glob.glob(osp.join(work_dir, '*', 'vis_data', 'events.out.*'))
    assert len(events) == 1
    accumulator = EventAccumulator(events[0])
    accumulator.Reload()
    tags = accumulator.Tags()['scalars']
    assert 'loss' in tags and 'accuracy/top1' in tags
    assert len(accumulator.Scalars('loss')) == 3  # 10 images, batch 4
    assert not glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
