"""tools/benchmark/run_suite.py: arguments, quick-mode folders, report."""
import json

import pytest

from benchmarks.methods import METHODS
from conftest import load_tool


@pytest.fixture(scope='module')
def suite_tool():
    return load_tool('benchmark/run_suite')


def test_defaults_keep_quick_runs_apart(suite_tool):
    full = suite_tool.parse_args([])
    quick = suite_tool.parse_args(['--quick'])
    assert full.results_dir == 'docs/results/benchmark'
    assert full.work_root == 'work_dirs/benchmark'
    assert quick.results_dir == 'work_dirs/benchmark-quick/results'
    assert quick.work_root == 'work_dirs/benchmark-quick'
    assert quick.seeds == 1 and full.seeds is None
    assert suite_tool.parse_args(['--quick', '--seeds', '2']).seeds == 2
    assert full.methods == [m.name for m in METHODS]


@pytest.mark.parametrize('argv, message', [
    (['--methods', 'kd', 'crd'], "unknown method 'crd'"),
    (['--seeds', '0'], '--seeds must be >= 1'),
])
def test_bad_arguments(suite_tool, capsys, argv, message):
    with pytest.raises(SystemExit):
        suite_tool.parse_args(argv)
    assert message in capsys.readouterr().err


def test_report_only_reads_records(suite_tool, tmp_path):
    (tmp_path / 'runs').mkdir()
    for seed, top1 in enumerate([80.0, 81.0]):
        with open(tmp_path / 'runs' / f'vanilla__seed{seed}.json', 'w') as f:
            json.dump(dict(name=f'vanilla__seed{seed}', method='vanilla',
                           seed=seed, top1=top1, wall_s=60.0,
                           top1_per_epoch={'60': top1}), f)
    suite_tool.main(['--report-only', '--results-dir', str(tmp_path)])
    summary = json.load(open(tmp_path / 'results.json'))['methods']
    assert summary['vanilla']['mean'] == 80.5
    assert '| Vanilla student | 2 | 80.50 |' in open(
        tmp_path / 'results.md').read()
