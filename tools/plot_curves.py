#!/usr/bin/env python
"""Plot the loss, discriminator and validation curves of training runs.

Example (two runs overlaid, one PNG)::

    python tools/plot_curves.py work_dirs/run_a work_dirs/run_b \\
        --out curves.png

Reads ``<work_dir>/<timestamp>/vis_data/scalars.json`` (written by mmengine's
LocalVisBackend, the default of mmhkd's configs) and draws ONE figure with
one panel per group: student losses (``loss``, ``distill.*``), the
discriminator's losses (``disc.loss*``) and accuracies (``disc.acc_*``), and
validation metrics (``accuracy/top1``), against the training iteration
(validation at epoch e is placed at the last iteration logged in epoch e).
Runs are named after their work dir. Several ``<timestamp>`` folders (a
resumed run) are concatenated unless ``--timestamps latest``.
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmhkd.visualization.curves import DPI, plot_curves  # noqa: E402
from mmhkd.visualization.scalar_logs import (TIMESTAMP_MODES,  # noqa: E402
                                             load_run)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Plot losses, discriminator accuracies and validation '
        'top-1 of one or more runs from their scalars.json logs')
    parser.add_argument('work_dirs', nargs='+', metavar='WORK_DIR',
                        help='work dirs of the runs to overlay')
    parser.add_argument(
        '--out',
        help='PNG file (ends in .png) or folder (curves.png inside); '
        'default <first WORK_DIR>/curves.png')
    parser.add_argument(
        '--keys', nargs='+',
        help='only these keys (fnmatch patterns, e.g. "distill.*" '
        '"accuracy/top1" "student.lr"); default: every loss, disc.acc_* '
        'and validation metric')
    parser.add_argument('--timestamps', choices=TIMESTAMP_MODES,
                        default='all',
                        help='all: concatenate every <timestamp> folder '
                        '(resumed runs); latest: the newest only')
    parser.add_argument('--log-losses', action='store_true',
                        help='log-scale y axis for the loss panels')
    parser.add_argument('--dpi', type=int, default=DPI)
    return parser.parse_args(argv)


def output_path(out: Optional[str], work_dirs: List[str]) -> str:
    """Resolve ``--out`` to a PNG path (its folder is created)."""
    if out is None:
        path = osp.join(work_dirs[0], 'curves.png')
    elif out.lower().endswith('.png'):
        path = out
    else:
        path = osp.join(out, 'curves.png')
    folder = osp.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    return path


def main(argv: Optional[List[str]] = None) -> str:
    """Write the PNG; return its path."""
    args = parse_args(argv)
    runs = [load_run(d, args.timestamps) for d in args.work_dirs]
    names = [run.name for run in runs]
    if len(set(names)) < len(names):  # same folder name in different places
        for run, work_dir in zip(runs, args.work_dirs):
            run.name = osp.normpath(work_dir)
    fig = plot_curves(runs, args.keys, args.log_losses, dpi=args.dpi)
    path = output_path(args.out, args.work_dirs)
    fig.savefig(path, dpi=args.dpi)
    print(path)
    return path


if __name__ == '__main__':
    main()
