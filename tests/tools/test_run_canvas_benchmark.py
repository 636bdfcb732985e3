"""tools/benchmark/run_canvas_benchmark.py: the report from run records."""
import json

from conftest import load_tool


def test_report_only_reads_records_and_writes_json_and_markdown(tmp_path):
    runs = tmp_path / 'runs'
    runs.mkdir()
    values = {'vanilla': [40.0, 42.0], 'hksanc-is': [44.0, 45.0]}
    for method, per_seed in values.items():
        for seed, value in enumerate(per_seed):
            (runs / f'segmentation-{method}-seed{seed}.json').write_text(
                json.dumps(dict(task='segmentation', method=method,
                                seed=seed, value=value, sec_per_step=0.5)))
    tool = load_tool('benchmark/run_canvas_benchmark')
    tool.main(['segmentation', '--report-only', '--results-dir',
               str(tmp_path)])
    report = json.loads((tmp_path / 'report.json').read_text())
    assert report['metric'] == 'mIoU'
    assert report['methods']['cwd']['seeds'] == []
    (pair,) = report['pairs']
    assert (pair['method'], pair['n'], pair['mean_diff']) == \
        ('hksanc-is', 2, 3.5)
    assert '| hksanc-is | 2 | +3.5000 |' in (tmp_path / 'report.md').read_text()
