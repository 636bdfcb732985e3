"""Training curves of one or more runs, overlaid, in one figure.

Panels (empty ones are left out), all against the training iteration:

1. ``student losses``: ``loss`` (the student's total) and every other loss
   term that is not the discriminator's (``distill.*``, ``loss_cls`` ...);
2. ``discriminator losses``: ``disc.loss*``;
3. ``discriminator accuracies``: ``disc.acc_*`` (fractions in [0, 1]);
4. ``validation``: the validation metrics (``accuracy/top1``, in %),
   placed on the iteration axis as :mod:`.scalar_logs` explains;
5. ``other``: keys asked for with ``keys`` that fit none of the above
   (e.g. ``student.lr``).

In a panel with several keys each key has its colour and each run its line
style (solid, dashed, dotted, dash-dot, then repeating); with one key each
run has its colour. Legend entries read ``key [run]`` when several runs
are drawn.
"""
import fnmatch
import math
from typing import Dict, List, Optional, Sequence, Tuple

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .scalar_logs import RunScalars

STUDENT_LOSSES = 'student losses'
DISC_LOSSES = 'discriminator losses'
DISC_ACCURACIES = 'discriminator accuracies'
VALIDATION = 'validation'
OTHER = 'other'
PANEL_ORDER = (STUDENT_LOSSES, DISC_LOSSES, DISC_ACCURACIES, VALIDATION,
               OTHER)
LINE_STYLES = ('-', '--', ':', '-.')
PANEL_INCHES = (6.0, 3.5)
DPI = 100


def panel_of(key: str, split: str) -> str:
    """The panel a key is drawn in (``split`` is 'train' or 'val')."""
    if split == 'val':
        return VALIDATION
    if key.startswith('disc.acc'):
        return DISC_ACCURACIES
    if key.startswith('disc.') and 'loss' in key:
        return DISC_LOSSES
    if 'loss' in key and not key.startswith('disc.'):
        return STUDENT_LOSSES
    return OTHER


def select_keys(runs: Sequence[RunScalars],
                keys: Optional[Sequence[str]] = None
                ) -> Dict[str, List[Tuple[str, str]]]:
    """Group the keys to draw by panel.

    Args:
        runs (Sequence[RunScalars]): The runs.
        keys (Sequence[str], optional): ``fnmatch`` patterns (e.g.
            ``'distill.*'``, ``'accuracy/top1'``, ``'student.lr'``); a key is
            drawn when it matches one. ``None``: every key of the first four
            panels.

    Returns:
        dict: panel -> ``[(key, split), ...]`` in first-seen order, panels
        in :data:`PANEL_ORDER`, empty panels left out.
    """
    found: Dict[Tuple[str, str], None] = {}
    for run in runs:
        for split, run_keys in (('train', run.train_keys()),
                                ('val', run.val_keys())):
            for key in run_keys:
                found[(key, split)] = None
    panels: Dict[str, List[Tuple[str, str]]] = {p: [] for p in PANEL_ORDER}
    for key, split in found:
        panel = panel_of(key, split)
        if keys is None:
            wanted = panel != OTHER
        else:
            wanted = any(fnmatch.fnmatchcase(key, p) for p in keys)
        if wanted:
            panels[panel].append((key, split))
    return {p: entries for p, entries in panels.items() if entries}


def figure_size(num_panels: int, panel_inches: Tuple[float, float] =
                PANEL_INCHES) -> Tuple[int, int, Tuple[float, float]]:
    """Grid ``(rows, columns, figsize)`` for ``num_panels`` panels."""
    columns = 1 if num_panels == 1 else 2
    rows = math.ceil(num_panels / columns)
    return rows, columns, (columns * panel_inches[0], rows * panel_inches[1])


def plot_curves(runs: Sequence[RunScalars],
                keys: Optional[Sequence[str]] = None,
                log_losses: bool = False,
                panel_inches: Tuple[float, float] = PANEL_INCHES,
                dpi: int = DPI) -> Figure:
    """Draw the runs' curves, overlaid, one panel per group of keys.

    Args:
        runs (Sequence[RunScalars]): From
            :func:`~mmhkd.visualization.scalar_logs.load_run`.
        keys (Sequence[str], optional): Patterns of the keys to draw (see
            :func:`select_keys`).
        log_losses (bool): Log-scale y axis for the loss panels.
        panel_inches (tuple[float, float]): Size of one panel in inches.
        dpi (int): Dots per inch of the figure (pass it to ``savefig``).

    Returns:
        Figure: Not attached to pyplot. Its axes are titled with the panel
        names; unused grid cells are removed.

    Raises:
        ValueError: No run, or no key to draw.
    """
    if not runs:
        raise ValueError('no run to plot')
    panels = select_keys(runs, keys)
    if not panels:
        available = sorted({k for r in runs
                            for k in r.train_keys() + r.val_keys()})
        raise ValueError(f'no key to plot for patterns {keys}; the logs '
                         f'have {available}')
    rows, columns, figsize = figure_size(len(panels), panel_inches)
    fig = Figure(figsize=figsize, dpi=dpi, layout='constrained')
    axes = fig.subplots(rows, columns, squeeze=False).flatten()
    for ax in axes[len(panels):]:
        ax.remove()
    for ax, (panel, entries) in zip(axes, panels.items()):
        _draw_panel(ax, panel, entries, runs)
        if log_losses and panel in (STUDENT_LOSSES, DISC_LOSSES):
            ax.set_yscale('log')
    return fig


def _draw_panel(ax, panel: str, entries: List[Tuple[str, str]],
                runs: Sequence[RunScalars]) -> None:
    colours = [f'C{i % 10}' for i in range(max(len(entries), len(runs)))]
    for k, (key, split) in enumerate(entries):
        for r, run in enumerate(runs):
            iters, values = run.series(key, split)
            if len(iters) == 0:
                continue
            label = key if len(runs) == 1 else f'{key} [{run.name}]'
            ax.plot(
                iters,
                values,
                color=colours[k if len(entries) > 1 else r],
                linestyle=LINE_STYLES[r % len(LINE_STYLES)],
                marker='o' if split == 'val' else None,
                markersize=3,
                linewidth=1.2,
                label=label)
    ax.set_title(panel)
    ax.set_xlabel('iteration')
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if panel == DISC_ACCURACIES:
        ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
