"""tools/benchmark/run_paired_suite.py: paired.json from run records."""
import json

import pytest

from conftest import load_tool


def write_record(folder, method, seed, top1, mean_last):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f'{method}__seed{seed}.json').write_text(json.dumps(dict(
        method=method, seed=seed, top1=top1, top1_mean_last=mean_last)))


def test_report_only_writes_the_documented_schema(tmp_path):
    runs = tmp_path / 'v2' / 'runs'
    values = dict(vanilla=[83.0, 82.0, 84.0], **{'kd-tuned': [86.0, 85.0,
                                                               87.0]},
                  hksanc=[87.0, 85.5, 88.0])
    for method, top1 in values.items():
        for seed, value in enumerate(top1):
            write_record(runs, method, seed, value, value - 0.5)
    out = tmp_path / 'paired.json'
    tool = load_tool('benchmark/run_paired_suite')
    tool.main(['--report-only', '--results-dir', str(tmp_path / 'v2'),
               '--methods', 'vanilla', 'kd-tuned', 'hksanc', '--reading',
               'top1', '--out', str(out)])
    result = json.loads(out.read_text())
    assert set(result) == {'protocol', 'teacher_top1', 'methods', 'pairs'}
    assert result['protocol']['reading'] == 'top1'
    assert result['methods']['hksanc']['seeds'] == [0, 1, 2]
    assert result['methods']['hksanc']['top1'] == values['hksanc']
    assert result['methods']['vanilla']['config'].startswith(
        'configs/fashion-mnist-v2/')
    pairs = {(p['method'], p['reference']): p for p in result['pairs']}
    assert set(pairs) == {('vanilla', 'kd-tuned'), ('hksanc', 'kd-tuned'),
                          ('kd-tuned', 'vanilla'), ('hksanc', 'vanilla')}
    hksanc = pairs[('hksanc', 'kd-tuned')]
    assert hksanc['n'] == 3
    assert hksanc['mean_diff'] == pytest.approx((1.0 + 0.5 + 1.0) / 3)
    low, high = hksanc['ci95']
    assert low < hksanc['mean_diff'] < high
    assert (tmp_path / 'paired.md').read_text().startswith('| method |')


def test_unknown_method_is_refused(capsys):
    tool = load_tool('benchmark/run_paired_suite')
    with pytest.raises(SystemExit):
        tool.parse_args(['--methods', 'crd'])
    assert "unknown v2 method 'crd'" in capsys.readouterr().err


def test_a_peak_lr_regime_reports_into_its_own_folder(tmp_path):
    results = tmp_path / 'v2'
    for method, top1 in {'kd-tuned': [86.0, 85.0],
                         'hksanc': [87.0, 86.5]}.items():
        for seed, value in enumerate(top1):
            write_record(results / 'peak-lr-0.05' / 'runs', method, seed,
                         value, value)
    tool = load_tool('benchmark/run_paired_suite')
    tool.main(['--report-only', '--results-dir', str(results),
               '--methods', 'kd-tuned', 'hksanc', '--peak-lr', '0.05',
               '--seeds', '2'])
    result = json.loads(
        (results / 'peak-lr-0.05' / 'paired.json').read_text())
    assert result['protocol']['student_peak_lr'] == 0.05
    assert result['protocol']['command'].endswith('--peak-lr 0.05')
    assert result['methods']['hksanc']['top1'] == [87.0, 86.5]
    # the default regime's report beside the records is not touched
    assert not (tmp_path / 'paired.json').exists()


def test_a_peak_lr_must_be_positive(capsys):
    tool = load_tool('benchmark/run_paired_suite')
    with pytest.raises(SystemExit):
        tool.parse_args(['--peak-lr', '0'])
    assert '--peak-lr must be positive, got 0.0' in capsys.readouterr().err
