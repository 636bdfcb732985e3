#!/usr/bin/env python
"""Draw the paired v2 benchmark: paired differences and validation curves.

Example (the committed figures, from the committed results)::

    python tools/benchmark/plot_paired.py
    # -> docs/figures/benchmark_v2_paired.png, benchmark_v2_curves.png
    python tools/benchmark/plot_paired.py --paired other/paired.json \\
        --runs other/runs --out-dir work_dirs/figures --force

Reads ``--paired`` (``paired.json``, written by
``python tools/benchmark/run_paired_suite.py --report-only``) and, for every
method and seed it lists, the run record ``--runs/<method>__seed<k>.json``.
Writes two PNGs into ``--out-dir``:

- ``benchmark_v2_paired.png``: each pair's mean paired difference with its
  95 % interval, grouped by reference, a line at zero;
- ``benchmark_v2_curves.png``: each method's validation top-1 against the
  epoch, mean over its seeds with a min-max band, and the teacher's top-1.

An existing figure is not replaced without ``--force``; nothing is written
unless both can be.
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO_ROOT)

from benchmarks.plots import (DPI, load_paired, method_curves,  # noqa: E402
                              plot_curves, plot_paired)

PAIRED = 'docs/results/benchmark/paired.json'
RUNS = 'docs/results/benchmark/v2/runs'
OUT_DIR = 'docs/figures'
PAIRED_PNG = 'benchmark_v2_paired.png'
CURVES_PNG = 'benchmark_v2_curves.png'


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Plot the paired differences and the validation curves '
        'of the v2 benchmark from paired.json and its run records')
    parser.add_argument('--paired',
                        help=f'paired results (default: {PAIRED} of this '
                        'repository)')
    parser.add_argument('--runs',
                        help=f'folder of the run records (default: {RUNS} '
                        'of this repository)')
    parser.add_argument('--out-dir',
                        help=f'folder of the two PNGs (default: {OUT_DIR} '
                        'of this repository; created if missing)')
    parser.add_argument('--force', action='store_true',
                        help='overwrite existing figures')
    parser.add_argument('--dpi', type=int, default=DPI)
    args = parser.parse_args(argv)
    # defaults name the repository's files from any working directory
    for name, default in (('paired', PAIRED), ('runs', RUNS),
                          ('out_dir', OUT_DIR)):
        if getattr(args, name) is None:
            setattr(args, name, osp.relpath(osp.join(REPO_ROOT, default)))
    return args


def main(argv: Optional[List[str]] = None) -> List[str]:
    """Write both figures; return their paths (paired, curves)."""
    args = parse_args(argv)
    paths = [osp.join(args.out_dir, PAIRED_PNG),
             osp.join(args.out_dir, CURVES_PNG)]
    if not args.force:
        for path in paths:
            if osp.exists(path):
                raise FileExistsError(f'{path} exists; pass --force to '
                                      'overwrite it.')
    paired = load_paired(args.paired)
    curves = method_curves(paired, args.runs)  # every record read first
    figures = [plot_paired(paired, args.dpi),
               plot_curves(paired, curves, args.dpi)]
    os.makedirs(args.out_dir, exist_ok=True)
    for fig, path in zip(figures, paths):
        fig.savefig(path, dpi=args.dpi)
        print(path)
    return paths


if __name__ == '__main__':
    main()
