"""Aggregation of run records: statistics, regime check, table, files."""
import json

import numpy as np
import pytest

from benchmarks.report import (markdown_table, regime_check, summarise,
                               write_report)


def record(method, seed, top1, curve=None):
    return dict(name=f'{method}__seed{seed}', method=method, seed=seed,
                top1=top1, wall_s=60.0 * (seed + 1),
                top1_per_epoch=curve or {'10': top1 - 5, '60': top1})


RECORDS = [record('vanilla', 0, 83.0), record('vanilla', 1, 83.5),
           record('vanilla', 2, 82.9), record('kd', 0, 86.2),
           record('kd', 1, 86.6), record('kd', 2, 86.0),
           record('hksanc', 0, 87.45)]


def test_summary_against_numpy():
    summary = summarise(RECORDS)
    for method in ('vanilla', 'kd'):
        values = [r['top1'] for r in RECORDS if r['method'] == method]
        assert summary[method]['mean'] == pytest.approx(np.mean(values))
        assert summary[method]['std'] == pytest.approx(
            np.std(values, ddof=1))
    assert summary['hksanc']['std'] is None  # one seed: no spread
    assert summary['kd']['gain_over_vanilla'] == pytest.approx(
        np.mean([86.2, 86.6, 86.0]) - np.mean([83.0, 83.5, 82.9]))
    assert summary['vanilla']['wall_min_mean'] == pytest.approx(2.0)


def test_regime_check_needs_three_stds():
    summary = summarise(RECORDS)
    check = regime_check(summary)
    std = max(np.std([83.0, 83.5, 82.9], ddof=1),
              np.std([86.2, 86.6, 86.0], ddof=1))
    assert check['max_std'] == pytest.approx(std)
    assert check['passes'] is True
    noisy = RECORDS[:3] + [record('kd', 0, 84.0), record('kd', 1, 86.0)]
    assert regime_check(summarise(noisy))['passes'] is False
    assert regime_check(summarise(RECORDS[:3])) == dict(available=False)


def test_table_rows_follow_method_order():
    lines = markdown_table(summarise(RECORDS)).splitlines()
    assert lines[2].startswith('| Vanilla student | 3 | 83.13 |')
    assert lines[3].startswith('| KD | 3 | 86.27 |')
    assert '| HKSANC (global query) | 1 | 87.45 | - | +4.32 |' in lines[4]


def test_write_report_files(tmp_path):
    (tmp_path / 'runs').mkdir()
    for r in RECORDS:
        with open(tmp_path / 'runs' / f"{r['name']}.json", 'w') as f:
            json.dump(r, f)
    path = write_report(str(tmp_path))
    text = open(path).read()
    assert 'Regime check' in text and 'passes' in text
    data = json.load(open(tmp_path / 'results.json'))
    assert len(data['runs']) == len(RECORDS)
    assert (tmp_path / 'top1_per_method.png').stat().st_size > 1000
    assert (tmp_path / 'top1_vs_epoch.png').stat().st_size > 1000


def test_no_records_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match='run tools/benchmark/'
                       'run_suite.py first'):
        write_report(str(tmp_path))
