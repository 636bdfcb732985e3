"""Aggregate the suite's run records into results.json, results.md, plots.

Reads ``<results_dir>/runs/*.json`` (one per finished run, written by
:class:`~benchmarks.suite.Suite`) and writes, in ``results_dir``:
``results.json`` (per run and per method), ``results.md`` (the table of the
README) and two plots: ``top1_per_method.png`` (mean with +-1 std error bars)
and ``top1_vs_epoch.png`` (mean top-1 of the validated epochs).
"""
import glob
import json
import os.path as osp
import statistics
from typing import Dict, List

from .methods import METHODS


def load_records(results_dir: str) -> List[dict]:
    """Every run record, sorted by method order then seed."""
    order = {m.name: i for i, m in enumerate(METHODS)}
    records = []
    for path in glob.glob(osp.join(results_dir, 'runs', '*.json')):
        with open(path) as f:
            records.append(json.load(f))
    return sorted(records,
                  key=lambda r: (order.get(r['method'], 99), r['seed']))


def summarise(records: List[dict]) -> Dict[str, dict]:
    """Mean, sample std (n >= 2) and gain over the vanilla mean per method."""
    by_method: Dict[str, List[dict]] = {}
    for record in records:
        by_method.setdefault(record['method'], []).append(record)
    summary = {}
    for name, runs in by_method.items():
        top1 = [r['top1'] for r in runs]
        summary[name] = dict(
            seeds=[r['seed'] for r in runs], top1=top1,
            mean=statistics.fmean(top1),
            std=statistics.stdev(top1) if len(top1) > 1 else None,
            wall_min_mean=statistics.fmean(r['wall_s'] for r in runs) / 60)
    vanilla = summary.get('vanilla')
    for row in summary.values():
        row['gain_over_vanilla'] = (row['mean'] - vanilla['mean']
                                    if vanilla else None)
    return summary


def regime_check(summary: Dict[str, dict]) -> dict:
    """docs/benchmark.md, v1 "Regime": KD must beat vanilla by >= 3 seed
    standard deviations (the larger of the two methods' sample stds)."""
    kd, vanilla = summary.get('kd'), summary.get('vanilla')
    if not kd or not vanilla or kd['std'] is None or vanilla['std'] is None:
        return dict(available=False)
    std = max(kd['std'], vanilla['std'])
    gap = kd['mean'] - vanilla['mean']
    return dict(available=True, kd_minus_vanilla=gap, max_std=std,
                gap_in_stds=gap / std if std > 0 else float('inf'),
                passes=gap >= 3 * std)


def _fmt(value, digits=2, signed=False) -> str:
    if value is None:
        return '-'
    return f'{value:+.{digits}f}' if signed else f'{value:.{digits}f}'


def markdown_table(summary: Dict[str, dict]) -> str:
    """The results table (method order of :data:`METHODS`)."""
    lines = ['| method | seeds | top-1 % mean | std | gain over vanilla | '
             'per seed | min per run |', '|---|---|---|---|---|---|---|']
    for method in METHODS:
        row = summary.get(method.name)
        if row is None:
            continue
        per_seed = ', '.join(f'{v:.2f}' for v in row['top1'])
        lines.append(
            f"| {method.label} | {len(row['seeds'])} | {_fmt(row['mean'])} |"
            f" {_fmt(row['std'])} | {_fmt(row['gain_over_vanilla'], signed=True)}"
            f" | {per_seed} | {row['wall_min_mean']:.1f} |")
    return '\n'.join(lines) + '\n'


def plot(records: List[dict], summary: Dict[str, dict],
         results_dir: str) -> List[str]:
    """Bar chart with error bars, and mean top-1 against epoch."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    methods = [m for m in METHODS if m.name in summary]
    paths = []
    fig, ax = plt.subplots(figsize=(9, 4))
    means = [summary[m.name]['mean'] for m in methods]
    stds = [summary[m.name]['std'] or 0.0 for m in methods]
    ax.bar(range(len(methods)), means, yerr=stds, capsize=4,
           color='#4c72b0')
    ax.set_xticks(range(len(methods)))
    ax.set_xticklabels([m.label for m in methods], rotation=35, ha='right',
                       fontsize=8)
    low = min(m - s for m, s in zip(means, stds))
    ax.set_ylim(max(0, low - 2), max(m + s for m, s in zip(means, stds)) + 1)
    ax.set_ylabel('test top-1 %, mean +- std')
    fig.tight_layout()
    paths.append(osp.join(results_dir, 'top1_per_method.png'))
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4))
    for method in methods:
        curves = [r['top1_per_epoch'] for r in records
                  if r['method'] == method.name]
        epochs = sorted({int(e) for c in curves for e in c})
        mean = [statistics.fmean(c[str(e)] for c in curves if str(e) in c)
                for e in epochs]
        ax.plot(epochs, mean, marker='o', markersize=3, label=method.label)
    ax.set_xlabel('epoch')
    ax.set_ylabel('top-1 % (mean over seeds)')
    ax.legend(fontsize=7)
    fig.tight_layout()
    paths.append(osp.join(results_dir, 'top1_vs_epoch.png'))
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    return paths


def write_report(results_dir: str) -> str:
    """Write results.json, results.md and the plots; return results.md."""
    records = load_records(results_dir)
    if not records:
        raise FileNotFoundError(
            f'no run records in {osp.join(results_dir, "runs")}; run '
            'tools/benchmark/run_suite.py first')
    summary = summarise(records)
    regime = regime_check(summary)
    with open(osp.join(results_dir, 'results.json'), 'w') as f:
        json.dump(dict(methods=summary, regime=regime, runs=records), f,
                  indent=2)
        f.write('\n')
    text = markdown_table(summary)
    if regime['available']:
        text += ('\nRegime check (KD must beat vanilla by 3 seed std): '
                 'KD - vanilla = '
                 f"{regime['kd_minus_vanilla']:+.2f} points = "
                 f"{regime['gap_in_stds']:.1f} x the larger seed std "
                 f"({regime['max_std']:.2f}); needs >= 3: "
                 f"{'passes' if regime['passes'] else 'FAILS'}.\n")
    path = osp.join(results_dir, 'results.md')
    with open(path, 'w') as f:
        f.write(text)
    plot(records, summary, results_dir)
    return path
