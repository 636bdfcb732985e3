"""Step timing, parameter counts and the cost tool's output."""
import json
import statistics

import pytest
import torch

from benchmarks.step_cost import (StepTimer, added_parameters,
                                  count_parameters)
from conftest import load_tool


pytestmark = pytest.mark.usefixtures('restore_default_scope')


def test_timer_median_of_recorded_steps_only():
    calls = []
    timer = StepTimer('t', lambda: calls.append(1))
    timer.run(3, record=False)
    timer.run(5)
    assert len(calls) == 8 and len(timer.seconds) == 5
    assert timer.median_ms() == pytest.approx(
        1000 * statistics.median(timer.seconds), rel=1e-6)


def test_timer_without_steps_is_an_error():
    with pytest.raises(ValueError, match='t: no step was recorded'):
        StepTimer('t', lambda: None).median_ms()


def test_parameter_counts():
    student = torch.nn.Linear(3, 2)  # 8
    model = torch.nn.Module()
    model.architecture = student
    model.extra = torch.nn.Linear(2, 2)  # 6, trainable
    model.frozen = torch.nn.Linear(4, 1)  # 5, frozen
    model.frozen.requires_grad_(False)
    assert count_parameters(model) == 19
    assert count_parameters(model, trainable_only=True) == 14
    assert count_parameters(None) == 0
    assert added_parameters(model) == dict(student=8, added_trainable=6,
                                           added_to_deployed=0)


@pytest.fixture(scope='module')
def cost_tool():
    return load_tool('benchmark/measure_step_cost')


def test_tool_measures_two_methods_with_ratios(cost_tool, tmp_path,
                                               fashion_mnist_root):
    out = tmp_path / 'cost.json'
    cost_tool.main(['--methods', 'vanilla', 'kd', '--steps', '2',
                    '--rounds', '1', '--warmup', '1', '--no-memory',
                    '--out', str(out)])
    rows = json.load(open(out))['methods']
    assert set(rows) == {'vanilla', 'kd'}
    assert rows['kd']['ms_per_step_vs_kd'] == 1.0
    assert rows['vanilla']['ms_per_step_vs_kd'] == pytest.approx(
        rows['vanilla']['ms_per_step'] / rows['kd']['ms_per_step'])
    for row in rows.values():
        assert row['steps'] == 2
        assert row['added_trainable'] == 0  # KD adds no module
        assert row['added_to_deployed'] == 0
        assert row['student'] == rows['vanilla']['student'] > 0


def test_memory_of_one_method(cost_tool, fashion_mnist_root):
    mem = cost_tool.memory_of('vanilla', steps=1, warmup=1,
                              memory_format='contiguous')
    assert mem['peak_rss_mib'] > mem['step_memory_mib'] >= 0


@pytest.mark.parametrize('argv, message', [
    (['--steps', '5', '--rounds', '2'], 'multiple of --rounds'),
    (['--methods', 'crd'], "unknown method 'crd'"),
])
def test_bad_arguments(cost_tool, capsys, argv, message):
    with pytest.raises(SystemExit):
        cost_tool.parse_args(argv)
    assert message in capsys.readouterr().err


def test_unfused_variant_runs_the_student_connector_module_by_module(
        cost_tool):
    connectors = {
        name: cost_tool.config_of(name).model.distiller.connectors
        for name in ('hksanc', 'hksanc-unfused')
    }
    assert connectors['hksanc-unfused'].student_attention.fuse_transform \
        is False
    assert connectors['hksanc'].student_attention.get('fuse_transform',
                                                      True) is True
    args = cost_tool.parse_args(['--methods', 'kd', 'hksanc', '--unfused'])
    assert args.unfused


def test_cached_variant_reads_a_cache_and_builds_no_teacher(
        cost_tool, tmp_path, fashion_mnist_root, monkeypatch):
    from mmengine.config import Config

    from benchmarks.cached_variant import cached_config
    from benchmarks.step_cost import (build_runner_for_cost,
                                      first_batch, runner_step)
    cfg = Config.fromfile(cost_tool.osp.join(
        cost_tool.REPO_ROOT, cost_tool.method_by_name('hksanc').config))
    cfg.train_dataloader.dataset.num_per_class = 1
    cfg.train_dataloader.batch_size = 4
    cached, info = cached_config(cfg, str(tmp_path))
    assert info['cache_images'] == 10
    assert info['cache_bytes_per_view'] == 458 * 4
    assert cached.model.teacher_cache == str(tmp_path / 'teacher_cache.npy')
    assert cached.model.teacher_attention_ckpt == str(tmp_path /
                                                      'attention.pth')
    assert cached.train_dataloader.dataset.type == 'ViewPoolDataset'
    runner = build_runner_for_cost(cached, str(tmp_path / 'run'))
    assert runner.model.teacher is None
    batch = first_batch(runner, cached)
    before = {k: v.clone() for k, v in
              runner.model.architecture.state_dict().items()}
    runner_step(runner, cached, batch)()
    after = runner.model.architecture.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before
               if after[k].is_floating_point())
    args = cost_tool.parse_args(['--methods', 'kd', '--cached', 'kd'])
    assert args.cached == ['kd']
