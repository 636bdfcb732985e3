"""tools/benchmark/probe_is_v2.py: the paired report from run records."""
import json

import pytest

from conftest import load_tool


def test_report_pairs_every_is_form_with_no_is(tmp_path):
    runs = tmp_path / 'runs'
    runs.mkdir()
    top1 = {'no-is': [88.0, 87.0], 'fused': [88.5, 87.0],
            'features-std': [89.0, 88.0]}
    for arm, values in top1.items():
        for seed, value in enumerate(values):
            (runs / f'{arm}__seed{seed}.json').write_text(json.dumps(dict(
                method=arm, seed=seed, top1=value, top1_mean_last=value)))
    tool = load_tool('benchmark/probe_is_v2')
    result = tool.main(['--report-only', '--results-dir', str(tmp_path)])
    pairs = {(p['method'], p['reference']): p for p in result['pairs']}
    assert set(pairs) == {('fused', 'no-is'), ('features-std', 'no-is'),
                          ('features-std', 'fused')}
    assert pairs[('features-std', 'no-is')]['mean_diff'] == pytest.approx(1.0)
    assert pairs[('fused', 'no-is')]['mean_diff'] == pytest.approx(0.25)
    assert result['methods']['features']['top1'] == []
    assert json.loads((tmp_path / 'paired.json').read_text()) == result
    assert "IS, pool_source='features', standardised" in \
        (tmp_path / 'paired.md').read_text()


def test_report_of_a_peak_lr_regime_reads_its_own_folder(tmp_path):
    runs = tmp_path / 'peak-lr-0.05' / 'runs'
    runs.mkdir(parents=True)
    for arm, values in {'no-is': [88.0, 87.0], 'fused': [89.0, 88.5]}.items():
        for seed, value in enumerate(values):
            (runs / f'{arm}__seed{seed}.json').write_text(json.dumps(dict(
                method=arm, seed=seed, top1=value, top1_mean_last=value)))
    tool = load_tool('benchmark/probe_is_v2')
    result = tool.main(['--report-only', '--results-dir', str(tmp_path),
                        '--peak-lr', '0.05'])
    assert result['protocol']['student_peak_lr'] == 0.05
    pairs = {(p['method'], p['reference']): p for p in result['pairs']}
    assert pairs[('fused', 'no-is')]['mean_diff'] == pytest.approx(1.25)
    assert (tmp_path / 'peak-lr-0.05' / 'paired.json').exists()
    assert not (tmp_path / 'paired.json').exists()
