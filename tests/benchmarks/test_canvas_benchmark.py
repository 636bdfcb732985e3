"""The canvas detection / segmentation benchmark: plan, records, report."""
import json
import math
import statistics

import pytest
from mmengine.config import Config
from scipy import stats

from benchmarks.canvas import (METHODS, TASKS, CanvasSuite, canvas_markdown,
                               canvas_report, method_options,
                               plan_canvas_runs, read_canvas_run)
from benchmarks.suite import Run
from conftest import write_mmengine_launch


@pytest.mark.parametrize('task_name', sorted(TASKS))
def test_plan_orders_phases_and_seeds(task_name):
    task = TASKS[task_name]
    runs = plan_canvas_runs(task, num_seeds=3)
    names = [r.name for r in runs]
    assert names[:2] == [f'{task_name}-teacher', f'{task_name}-adaptation']
    assert names[2:] == [f'{task_name}-{m}-seed{s}'
                         for s in range(3) for m in METHODS]
    by_name = {r.name: r for r in runs}
    assert by_name[f'{task_name}-adaptation'].needs == [f'{task_name}-teacher']
    assert by_name[f'{task_name}-vanilla-seed1'].needs == []
    assert by_name[f'{task_name}-cwd-seed1'].needs == [f'{task_name}-teacher']
    assert by_name[f'{task_name}-hksanc-is-seed2'].needs == [
        f'{task_name}-adaptation']
    assert len({r.work_dir for r in runs}) == len(runs)


@pytest.mark.parametrize('task_name', sorted(TASKS))
def test_checkpoint_paths_are_the_configs_defaults(task_name):
    """The paths the plan passes are the ones the configs name, so the
    README's commands and the benchmark use the same teacher."""
    task = TASKS[task_name]
    for method in ('cwd', 'hksanc-is'):
        cfg = Config.fromfile(task.students[method])
        assert cfg.model.teacher_ckpt == task.teacher_ckpt
    cfg = Config.fromfile(task.students['hksanc-is'])
    adapted = cfg.model.distiller.connectors.teacher_attention.adapted_ckpt
    assert adapted == task.adapted_ckpt
    assert Config.fromfile(task.adaptation).model.teacher_ckpt == \
        task.teacher_ckpt


def test_method_options():
    task = TASKS['detection']
    assert method_options(task, 'vanilla', 4) == ['randomness.seed=4']
    assert method_options(task, 'cwd', 1) == [
        'randomness.seed=1', f'model.teacher_ckpt={task.teacher_ckpt}']
    assert method_options(task, 'hksanc-is', 0)[-1] == (
        'model.distiller.connectors.teacher_attention.adapted_ckpt='
        f'{task.adapted_ckpt}')
    with pytest.raises(ValueError, match="unknown canvas method 'kd'"):
        method_options(task, 'kd', 0)


def test_read_run_merges_launches_and_averages_step_time(tmp_path):
    write_mmengine_launch(tmp_path, '20261203_100000', [
        {'lr': 0.02, 'time': 1.0, 'loss': 2.0, 'step': 25},
        {'lr': 0.02, 'time': 2.0, 'loss': 1.0, 'step': 50},
        {'coco/bbox_mAP': 0.25, 'step': 4},
    ], 'first')
    write_mmengine_launch(tmp_path, '20261203_110000', [
        {'lr': 0.002, 'time': 4.5, 'loss': 0.5, 'step': 75},
        {'coco/bbox_mAP': 0.5, 'coco/bbox_mAP_50': 0.7, 'step': 8},
    ], 'second')
    curve, sec, logs = read_canvas_run(str(tmp_path), 'coco/bbox_mAP')
    assert curve == {4: 0.25, 8: 0.5}
    assert sec == pytest.approx(7.5 / 3)
    assert [open(p).read() for p in logs] == ['first', 'second']


def test_record_holds_metric_cost_and_stripped_log(tmp_path):
    task = TASKS['segmentation']
    work = tmp_path / 'work_dirs' / 'run'
    write_mmengine_launch(work, '20261203_100000', [
        {'lr': 0.01, 'time': 0.5, 'step': 25},
        {'mIoU': 40.0, 'step': 4}, {'mIoU': 55.5, 'step': 12},
    ], f'loaded {tmp_path}/data/x.png')
    run = Run(name='segmentation-cwd-seed1', config=task.students['cwd'],
              options=['randomness.seed=1'], work_dir='work_dirs/run',
              method='cwd', seed=1)
    suite = CanvasSuite(task, runs=[run],
                        results_dir=str(tmp_path / 'results'),
                        repo_root=str(tmp_path))
    suite.write_record(run, ['/somewhere/python', 'tools/train.py', 'c.py'],
                       12.34)
    record = json.loads(
        (tmp_path / 'results' / 'runs' / f'{run.name}.json').read_text())
    assert (record['value'], record['last_epoch'], record['sec_per_step']) == \
        (55.5, 12, 0.5)
    assert record['command'] == 'python tools/train.py c.py'
    assert (record['task'], record['method'], record['seed']) == \
        ('segmentation', 'cwd', 1)
    log = (tmp_path / 'results' / 'logs' / f'{run.name}.log').read_text()
    assert log == 'loaded data/x.png'


def test_record_without_metric_is_an_error(tmp_path):
    task = TASKS['detection']
    write_mmengine_launch(tmp_path / 'w', '20261203_100000',
                 [{'lr': 0.01, 'time': 0.5, 'step': 25}], 'x')
    run = Run(name='r', config='c.py', options=[], work_dir='w',
              method='vanilla', seed=0)
    suite = CanvasSuite(task, runs=[run], results_dir='results',
                        repo_root=str(tmp_path))
    with pytest.raises(RuntimeError, match='without a coco/bbox_mAP'):
        suite.write_record(run, ['python'], 1.0)


def test_report_pairs_by_seed_against_vanilla():
    values = {'vanilla': [0.50, 0.52, 0.47], 'cwd': [0.55, 0.56, 0.52],
              'hksanc-is': [0.49, 0.56, 0.47]}
    cost = {'vanilla': 0.4, 'cwd': 0.9, 'hksanc-is': 1.0}
    records = [dict(task='detection', method=m, seed=s, value=v,
                    sec_per_step=cost[m] + 0.01 * s)
               for m, vs in values.items() for s, v in enumerate(vs)]
    records.append(dict(task='segmentation', method='cwd', seed=0, value=9.0,
                        sec_per_step=1.0))
    report = canvas_report(records, TASKS['detection'])
    assert report['methods']['cwd']['values'] == values['cwd']
    pairs = {p['method']: p for p in report['pairs']}
    for name in ('cwd', 'hksanc-is'):
        diffs = [a - b for a, b in zip(values[name], values['vanilla'])]
        mean = statistics.mean(diffs)
        half = (stats.t.ppf(0.975, len(diffs) - 1) *
                statistics.stdev(diffs) / math.sqrt(len(diffs)))
        assert pairs[name]['mean_diff'] == pytest.approx(mean)
        assert pairs[name]['ci95'] == pytest.approx([mean - half,
                                                     mean + half], abs=1e-3)
        assert pairs[name]['cost_ratio'] == pytest.approx(
            (cost[name] + 0.01) / (cost['vanilla'] + 0.01))
    assert pairs['cwd']['verdict'] == 'better'
    assert pairs['hksanc-is']['verdict'] == 'tie'
    text = canvas_markdown(report)
    assert '| cwd | 3 | 0.550, 0.560, 0.520 | 0.543 | 0.910 |' in text
    assert '| cwd | 3 | +0.0467 |' in text
