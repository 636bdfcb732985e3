"""Figures of the paired v2 benchmark (docs/benchmark.md, v2 results).

Two figures, drawn from ``paired.json`` and the run records it was made of:

- :func:`plot_paired`: every pair's mean paired difference with its 95 %
  interval ("forest plot"), grouped by reference;
- :func:`plot_curves`: every method's validation top-1 against the epoch,
  the mean over its seeds with a min-max band.

The data each figure shows comes from :func:`forest_rows` and
:func:`method_curves`, which tests check without looking at pixels.
Figures are :class:`matplotlib.figure.Figure` objects on the Agg canvas,
not attached to pyplot, so nothing needs a display.
"""
import json
import os.path as osp
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

REPORT_COMMAND = 'python tools/benchmark/run_paired_suite.py --report-only'
RUNS_COMMAND = 'python tools/benchmark/run_paired_suite.py'
VERDICT_COLOURS = {'better': '#2a7f3f', 'worse': '#b2302b', 'tie': '#6b6b6b'}
DPI = 110


@dataclass(frozen=True)
class ForestRow:
    """One pair of the forest plot.

    Attributes:
        method: The method's name.
        reference: The reference's name.
        n: Number of paired seeds.
        mean: Mean paired difference (method - reference), points.
        low: Lower end of its 95 % interval.
        high: Upper end of its 95 % interval.
        verdict: 'better', 'worse' or 'tie'.
    """
    method: str
    reference: str
    n: int
    mean: float
    low: float
    high: float
    verdict: str

    @property
    def label(self) -> str:
        """``'METHOD - REFERENCE (n=N)'``."""
        return f'{self.method} - {self.reference} (n={self.n})'


@dataclass(frozen=True)
class MethodCurve:
    """A method's validation top-1 over its seeds.

    Attributes:
        method: The method's name.
        seeds: The seeds whose records were read.
        epochs: Validated epochs, ascending.
        mean: Mean top-1 over the seeds at each epoch.
        low: Minimum over the seeds at each epoch.
        high: Maximum over the seeds at each epoch.
    """
    method: str
    seeds: List[int]
    epochs: np.ndarray
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray


def load_paired(path: str) -> dict:
    """Read ``paired.json``; a missing file names the command that makes it.

    Raises:
        FileNotFoundError: ``path`` does not exist.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path} not found; write it from the run records with '
            f'`{REPORT_COMMAND}` (add --out {path} for another place).')
    with open(path) as f:
        return json.load(f)


def reading_text(paired: dict) -> str:
    """What the compared top-1 is, from ``paired['protocol']``."""
    protocol = paired.get('protocol', {})
    reading = protocol.get('reading', 'top1')
    validations = protocol.get('validations') or []
    if reading == 'top1_mean_last':
        if validations:
            return (f'mean of the last {len(validations)} validations '
                    f'(epochs {_epoch_span(validations)})')
        return 'mean of the last validations'
    if validations:
        return f'top-1 at the last validation (epoch {max(validations)})'
    return 'top-1 at the last validation'


def teacher_text(paired: dict) -> str:
    """``'teacher 93.76 %'``, or ``'teacher: not recorded'``."""
    top1 = paired.get('teacher_top1')
    return 'teacher: not recorded' if top1 is None else f'teacher {top1:.2f} %'


def forest_rows(paired: dict) -> List[ForestRow]:
    """The pairs of ``paired.json``, grouped by reference.

    References keep the order of their first pair in the file, and the
    pairs of a reference keep their order.
    """
    rows = [ForestRow(p['method'], p['reference'], int(p['n']),
                      float(p['mean_diff']), float(p['ci95'][0]),
                      float(p['ci95'][1]), p.get('verdict', 'tie'))
            for p in paired['pairs']]
    references = list(dict.fromkeys(r.reference for r in rows))
    return [r for ref in references for r in rows if r.reference == ref]


def record_path(runs_dir: str, method: str, seed: int) -> str:
    """``<runs_dir>/<method>__seed<seed>.json`` (the suite's names)."""
    return osp.join(runs_dir, f'{method}__seed{seed}.json')


def method_curves(paired: dict, runs_dir: str) -> List[MethodCurve]:
    """Mean, min and max validation top-1 over seeds, per method.

    Reads the record of every method and seed listed in
    ``paired['methods']``, in that order.

    Raises:
        FileNotFoundError: A record is missing (its path and the command
            that makes it are named).
        ValueError: A record is of another method or seed, the seeds of a
            method validated different epochs, or a record's reading differs
            from the value in ``paired.json`` (rewrite it with
            ``--report-only``).
    """
    reading = paired.get('protocol', {}).get('reading', 'top1')
    curves = []
    for method, row in paired['methods'].items():
        seeds = [int(s) for s in row['seeds']]
        if not seeds:
            continue
        epochs: Optional[List[int]] = None
        values = []
        for seed, top1 in zip(seeds, row['top1']):
            path = record_path(runs_dir, method, seed)
            record = _read_record(path, method, seed, max(seeds) + 1)
            per_epoch = {int(e): float(v)
                         for e, v in record['top1_per_epoch'].items()}
            if epochs is None:
                epochs = sorted(per_epoch)
            elif sorted(per_epoch) != epochs:
                raise ValueError(
                    f'{path} validated epochs {sorted(per_epoch)}, seed '
                    f'{seeds[0]} of {method} epochs {epochs}; the curve '
                    'needs the same epochs for every seed.')
            if reading in record and abs(record[reading] - top1) > 1e-6:
                raise ValueError(
                    f'{path} has {reading} = {record[reading]}, the paired '
                    f'results {top1}: they were made from other records; '
                    f'rewrite them with `{REPORT_COMMAND}`.')
            values.append([per_epoch[e] for e in epochs])
        table = np.asarray(values, dtype=float)  # seeds x epochs
        curves.append(MethodCurve(method, seeds, np.asarray(epochs),
                                  table.mean(axis=0), table.min(axis=0),
                                  table.max(axis=0)))
    return curves


def plot_paired(paired: dict, dpi: int = DPI) -> Figure:
    """Forest plot of the paired differences of ``paired.json``.

    One row per pair (mean difference, 95 % interval as an error bar,
    coloured by verdict), grouped by reference with a heading per group;
    a vertical line at zero; the interval's numbers at the right.

    Returns:
        Figure: One axes; row ``i`` of :func:`forest_rows` is drawn at
        ``y = -position`` where positions skip one slot per group heading.
    """
    rows = forest_rows(paired)
    if not rows:
        raise ValueError('paired.json has no pairs to plot')
    positions, headings = _row_positions(rows)
    height = 1.2 + 0.32 * (len(rows) + len(headings))
    fig = _agg_figure((8.0, height), dpi)
    ax = fig.add_subplot()
    y = -np.asarray(positions, dtype=float)
    for verdict, colour in VERDICT_COLOURS.items():
        index = [i for i, r in enumerate(rows) if r.verdict == verdict]
        if not index:
            continue
        means = np.array([rows[i].mean for i in index])
        errors = np.array([[rows[i].mean - rows[i].low for i in index],
                           [rows[i].high - rows[i].mean for i in index]])
        ax.errorbar(means, y[index], xerr=errors, fmt='o', color=colour,
                    ecolor=colour, elinewidth=2, capsize=4, markersize=5,
                    label=verdict, gid=f'pairs-{verdict}')
    ax.axvline(0.0, color='black', linewidth=0.8, zorder=0)
    ax.set_yticks(y, [r.label for r in rows], fontsize=8)
    for position, reference in headings:
        ax.text(0.0, -position, f'against {reference}', fontsize=8.5,
                fontweight='bold', va='center', ha='left',
                transform=ax.get_yaxis_transform())
    for yy, row in zip(y, rows):
        ax.annotate(f'{row.mean:+.2f} [{row.low:+.2f}, {row.high:+.2f}]',
                    xy=(1.0, yy), xycoords=('axes fraction', 'data'),
                    xytext=(6, 0), textcoords='offset points', va='center',
                    fontsize=7.5, color=VERDICT_COLOURS.get(row.verdict))
    ax.set_ylim(-max(positions) - 0.7, 0.6)
    low = min(r.low for r in rows)
    high = max(r.high for r in rows)
    pad = 0.06 * (max(high, 0.0) - min(low, 0.0))
    ax.set_xlim(min(low, 0.0) - pad, max(high, 0.0) + pad)
    ax.set_xlabel('paired difference of top-1, points (method - reference; '
                  'error bar: 95 % interval)', fontsize=8)
    ax.grid(axis='x', alpha=0.3)
    ax.tick_params(axis='y', length=0)
    fig.legend(title='verdict', fontsize=7.5, title_fontsize=7.5,
               loc='outside lower center', ncols=3)
    ax.set_title(f'Paired differences by seed; {reading_text(paired)}; '
                 f'{teacher_text(paired)}', fontsize=9)
    return fig


def plot_curves(paired: dict, curves: Sequence[MethodCurve],
                dpi: int = DPI) -> Figure:
    """Validation top-1 against epoch, one line per method.

    Each line is the mean over the method's seeds, with a shaded band from
    the minimum to the maximum over them; the teacher's top-1 is a dashed
    line. The legend, outside the axes at the right, lists the methods from
    the highest mean at the last epoch to the lowest.
    """
    if not curves:
        raise ValueError('no method curve to plot')
    fig = _agg_figure((9.0, 6.0), dpi)
    ax = fig.add_subplot()
    for i, curve in enumerate(curves):
        colour = f'C{i % 10}'
        ax.fill_between(curve.epochs, curve.low, curve.high, color=colour,
                        alpha=0.12, linewidth=0, gid=f'band-{curve.method}')
        ax.plot(curve.epochs, curve.mean, color=colour, marker='o',
                markersize=4, linewidth=1.6, gid=f'mean-{curve.method}',
                label=f'{curve.method} ({len(curve.seeds)} seeds)')
    handles, labels = ax.get_legend_handles_labels()
    order = np.argsort([-c.mean[-1] for c in curves], kind='stable')
    handles = [handles[i] for i in order]  # top to bottom at the last epoch
    labels = [labels[i] for i in order]
    teacher = paired.get('teacher_top1')
    if teacher is not None:
        ax.axhline(teacher, color='black', linestyle='--', linewidth=1.0,
                   gid='teacher')
        handles.append(Line2D([], [], color='black', linestyle='--'))
        labels.append(teacher_text(paired))
    handles.append(Line2D([], [], color='grey', linewidth=6, alpha=0.3))
    labels.append('min-max over seeds')
    ax.legend(handles, labels, fontsize=8, loc='upper left',
              bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    epochs = sorted({int(e) for c in curves for e in c.epochs})
    if len(epochs) <= 12:
        ax.set_xticks(epochs)
    ax.set_xlabel('epoch (validations of the protocol)')
    ax.set_ylabel('test top-1 %')
    ax.grid(alpha=0.3)
    ax.set_title('Validation top-1, mean over seeds (band: min-max)\n'
                 f'the paired results read the {reading_text(paired)}',
                 fontsize=9)
    return fig


def _agg_figure(figsize: Tuple[float, float], dpi: int) -> Figure:
    """A figure on matplotlib's Agg canvas, not attached to pyplot."""
    fig = Figure(figsize=figsize, dpi=dpi, layout='constrained')
    FigureCanvasAgg(fig)
    return fig


def _read_record(path: str, method: str, seed: int,
                 num_seeds: int) -> dict:
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'run record {path} not found (method {method}, seed {seed}, '
            f'listed in paired.json). The suite writes it: '
            f'`{RUNS_COMMAND} --seeds {num_seeds}` runs what is missing '
            f'(finished runs are skipped) and rewrites paired.json; '
            f'`{REPORT_COMMAND}` rewrites paired.json from the records '
            'that exist.')
    with open(path) as f:
        record = json.load(f)
    if record.get('method') != method or int(record.get('seed', -1)) != seed:
        raise ValueError(f'{path} holds method {record.get("method")!r} seed '
                         f'{record.get("seed")}, not {method!r} seed {seed}')
    return record


def _epoch_span(epochs: Sequence[int]) -> str:
    epochs = sorted(int(e) for e in epochs)
    if len(epochs) == 1:
        return str(epochs[0])
    return f'{epochs[0]}-{epochs[-1]}'


def _row_positions(rows: Sequence[ForestRow]
                   ) -> Tuple[List[float], List[Tuple[float, str]]]:
    """Slot of each row, and ``(slot, reference)`` of each group heading."""
    positions: List[float] = []
    headings: List[Tuple[float, str]] = []
    slot = 0.0
    previous = None
    for row in rows:
        if row.reference != previous:
            if previous is not None:
                slot += 0.4  # a little air between groups
            headings.append((slot, row.reference))
            slot += 1
            previous = row.reference
        positions.append(slot)
        slot += 1
    return positions, headings
