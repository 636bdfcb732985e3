"""Figures of the paired benchmark: the data drawn, and the tool's refusals."""
import json
import os.path as osp

import matplotlib.image as mpimg
import numpy as np
import pytest
from matplotlib.collections import PolyCollection

from benchmarks.paired import paired_results
from benchmarks.plots import (forest_rows, load_paired, method_curves,
                              plot_curves, plot_paired, reading_text)
from conftest import load_tool

EPOCHS = [2, 4, 6]
SEEDS = [0, 1, 2, 3]
OFFSETS = dict(base=80.0, ref=85.0, good=86.0, bad=84.5)


def write_results(root, reading='top1_mean_last'):
    """Records of four methods x four seeds and their paired.json."""
    rng = np.random.RandomState(0)
    runs = root / 'runs'
    runs.mkdir(parents=True)
    records = []
    for method, offset in OFFSETS.items():
        for seed in SEEDS:
            values = offset + np.cumsum(rng.uniform(0, 1, len(EPOCHS)))
            record = dict(method=method, seed=seed, top1=float(values[-1]),
                          top1_mean_last=float(values.mean()),
                          top1_per_epoch={str(e): float(v)
                                          for e, v in zip(EPOCHS, values)})
            (runs / f'{method}__seed{seed}.json').write_text(
                json.dumps(record))
            records.append(record)
    # pairs with references interleaved: the plot groups them
    paired = paired_results(
        records, {m: f'{m}.py' for m in OFFSETS}, 'ref', reading=reading,
        protocol=dict(validations=EPOCHS), teacher_top1=91.5,
        pairs_with=[('good', 'base'), ('bad', 'good'), ('ref', 'base')])
    paired['pairs'].insert(1, paired['pairs'].pop(3))  # good - base 2nd
    path = root / 'paired.json'
    path.write_text(json.dumps(paired))
    return path, runs


def pair_label(pair):
    return f"{pair['method']} - {pair['reference']} (n={pair['n']})"


def test_forest_rows_are_the_pairs_grouped_by_reference(tmp_path):
    path, _ = write_results(tmp_path)
    paired = json.loads(path.read_text())
    refs = [p['reference'] for p in paired['pairs']]
    assert refs[:3] == ['ref', 'base', 'ref']  # interleaved in the file
    rows = forest_rows(paired)
    assert [r.reference for r in rows] == ['ref'] * 3 + ['base'] * 2 + \
        ['good']
    assert sorted(r.label for r in rows) == sorted(
        pair_label(p) for p in paired['pairs'])
    assert rows[0].label == 'base - ref (n=4)'


def test_forest_plot_draws_each_mean_and_ci95_from_the_file(tmp_path):
    path, _ = write_results(tmp_path)
    paired = json.loads(path.read_text())
    first = paired['pairs'][0]  # the file's interval, even if asymmetric
    first['ci95'] = [first['mean_diff'] - 0.3, first['mean_diff'] + 0.9]
    ax = plot_paired(paired).axes[0]
    y_of = {t.get_text(): y for t, y in zip(ax.get_yticklabels(),
                                            ax.get_yticks())}
    assert set(y_of) == {pair_label(p) for p in paired['pairs']}
    means, extents = {}, {}
    for container in ax.containers:
        data_line, _, (bars,) = container.lines
        for x, y in zip(data_line.get_xdata(), data_line.get_ydata()):
            means[y] = x
        for segment in bars.get_segments():
            assert segment[0][1] == segment[1][1]  # horizontal
            extents[segment[0][1]] = sorted([segment[0][0], segment[1][0]])
    assert len(means) == len(extents) == len(paired['pairs'])
    verdicts = {p['verdict'] for p in paired['pairs']}
    assert {'better', 'worse'} <= verdicts  # both colours are exercised
    for pair in paired['pairs']:
        y = y_of[pair_label(pair)]
        assert means[y] == pytest.approx(pair['mean_diff'])
        assert extents[y] == pytest.approx(pair['ci95'])
    zero = [line for line in ax.get_lines()
            if list(line.get_xdata()) == [0, 0]]
    assert len(zero) == 1
    assert 'teacher 91.50 %' in ax.get_title()
    assert 'mean of the last 3 validations (epochs 2-6)' in ax.get_title()


def test_curves_equal_a_numpy_computation_from_the_records(tmp_path):
    path, runs = write_results(tmp_path)
    paired = load_paired(str(path))
    curves = method_curves(paired, str(runs))
    assert [c.method for c in curves] == list(OFFSETS)
    for curve in curves:
        table = np.array([[json.loads(
            (runs / f'{curve.method}__seed{s}.json').read_text())[
                'top1_per_epoch'][str(e)] for e in EPOCHS] for s in SEEDS])
        assert curve.seeds == SEEDS
        np.testing.assert_array_equal(curve.epochs, EPOCHS)
        np.testing.assert_allclose(curve.mean, table.mean(axis=0))
        np.testing.assert_allclose(curve.low, table.min(axis=0))
        np.testing.assert_allclose(curve.high, table.max(axis=0))
        assert (curve.low < curve.mean).all() and \
            (curve.mean < curve.high).all()


def test_curves_figure_draws_means_bands_and_teacher(tmp_path):
    path, runs = write_results(tmp_path)
    paired = load_paired(str(path))
    curves = method_curves(paired, str(runs))
    ax = plot_curves(paired, curves).axes[0]
    lines = {line.get_gid(): line for line in ax.get_lines()}
    bands = {c.get_gid(): c for c in ax.collections
             if isinstance(c, PolyCollection)}
    for curve in curves:
        line = lines[f'mean-{curve.method}']
        np.testing.assert_allclose(line.get_xdata(), curve.epochs)
        np.testing.assert_allclose(line.get_ydata(), curve.mean)
        vertices = bands[f'band-{curve.method}'].get_paths()[0].vertices
        for e, low, high in zip(curve.epochs, curve.low, curve.high):
            at = vertices[np.isclose(vertices[:, 0], e), 1]
            assert at.min() == pytest.approx(low)
            assert at.max() == pytest.approx(high)
    assert list(lines['teacher'].get_ydata()) == [91.5, 91.5]
    assert lines['teacher'].get_linestyle() == '--'
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    # highest mean at the last epoch first
    order = sorted(curves, key=lambda c: -c.mean[-1])
    assert [c.method for c in order] != list(OFFSETS)  # not the file's
    assert legend[:4] == [f'{c.method} (4 seeds)' for c in order]
    assert 'teacher 91.50 %' in legend


def test_reading_text_follows_the_protocol():
    assert reading_text(dict(protocol=dict(
        reading='top1', validations=[52, 60]))) == \
        'top-1 at the last validation (epoch 60)'
    assert reading_text(dict(protocol=dict(
        reading='top1_mean_last', validations=[52, 54, 56, 58, 60]))) == \
        'mean of the last 5 validations (epochs 52-60)'


def test_tool_writes_both_figures_and_refuses_to_overwrite(tmp_path):
    path, runs = write_results(tmp_path)
    out = tmp_path / 'figures'
    tool = load_tool('benchmark/plot_paired')
    args = ['--paired', str(path), '--runs', str(runs), '--out-dir',
            str(out), '--dpi', '40']
    written = tool.main(args)
    assert written == [str(out / 'benchmark_v2_paired.png'),
                       str(out / 'benchmark_v2_curves.png')]
    for png in written:
        assert mpimg.imread(png)[..., :3].std() > 0.05
    before = (out / 'benchmark_v2_curves.png').read_bytes()
    (out / 'benchmark_v2_paired.png').unlink()  # only the curves are left
    with pytest.raises(FileExistsError) as error:
        tool.main(args)
    message = str(error.value)
    assert str(out / 'benchmark_v2_curves.png') in message
    assert '--force' in message
    assert not (out / 'benchmark_v2_paired.png').exists()  # nothing written
    assert (out / 'benchmark_v2_curves.png').read_bytes() == before
    tool.main(args + ['--force', '--dpi', '30'])
    assert (out / 'benchmark_v2_curves.png').read_bytes() != before


def test_missing_paired_json_names_the_report_command(tmp_path):
    tool = load_tool('benchmark/plot_paired')
    missing = tmp_path / 'nowhere' / 'paired.json'
    with pytest.raises(FileNotFoundError) as error:
        tool.main(['--paired', str(missing), '--out-dir', str(tmp_path)])
    assert str(missing) in str(error.value)
    assert ('python tools/benchmark/run_paired_suite.py --report-only'
            in str(error.value))
    assert not list(tmp_path.glob('*.png'))


def test_missing_record_is_named_and_nothing_is_written(tmp_path):
    path, runs = write_results(tmp_path)
    (runs / 'bad__seed2.json').unlink()
    out = tmp_path / 'figures'
    tool = load_tool('benchmark/plot_paired')
    with pytest.raises(FileNotFoundError) as error:
        tool.main(['--paired', str(path), '--runs', str(runs), '--out-dir',
                   str(out)])
    message = str(error.value)
    assert str(runs / 'bad__seed2.json') in message
    assert 'python tools/benchmark/run_paired_suite.py --seeds 4' in message
    assert 'python tools/benchmark/run_paired_suite.py --report-only' in \
        message
    assert not out.exists()


def test_records_that_disagree_with_paired_json_are_refused(tmp_path):
    path, runs = write_results(tmp_path)
    record = json.loads((runs / 'ref__seed1.json').read_text())
    record['top1_mean_last'] += 0.5  # records rerun after the report
    (runs / 'ref__seed1.json').write_text(json.dumps(record))
    with pytest.raises(ValueError, match='--report-only'):
        method_curves(load_paired(str(path)), str(runs))
    record['top1_mean_last'] -= 0.5
    record['top1_per_epoch'].pop('4')
    (runs / 'ref__seed1.json').write_text(json.dumps(record))
    with pytest.raises(ValueError, match='same epochs for every seed'):
        method_curves(load_paired(str(path)), str(runs))


def test_defaults_are_the_committed_results(tmp_path):
    tool = load_tool('benchmark/plot_paired')
    args = tool.parse_args([])
    root = tool.REPO_ROOT
    assert osp.abspath(args.paired) == osp.join(
        root, 'docs', 'results', 'benchmark', 'paired.json')
    assert osp.samefile(args.runs,
                        osp.join(root, 'docs/results/benchmark/v2/runs'))
    assert osp.samefile(args.out_dir, osp.join(root, 'docs/figures'))


COMMITTED_REPORTS = [
    ('docs/results/benchmark/paired.json', 'docs/results/benchmark/v2/runs'),
    ('docs/results/benchmark/v2/before-tuning/paired.json',
     'docs/results/benchmark/v2/before-tuning/runs'),
]


@pytest.mark.parametrize('paired_path, runs', COMMITTED_REPORTS)
def test_committed_reports_agree_with_their_records(paired_path, runs):
    root = load_tool('benchmark/plot_paired').REPO_ROOT
    paired = load_paired(osp.join(root, paired_path))
    curves = method_curves(paired, osp.join(root, runs))
    assert [c.method for c in curves] == list(paired['methods'])
    for curve in curves:
        top1 = paired['methods'][curve.method]['top1']
        # the reading is the mean of the validations the curve shows
        assert curve.mean.mean() == pytest.approx(np.mean(top1))
