"""Tune on the validation split carved from the training images (never test).

Runs the trials of ``benchmarks/tuning.py`` (HKSANC's open weights one
at a time; a grid for KD or DKD, the same number of trials) through the
repository's configs and ``tools/train.py``, seed 0, recording and skipping
finished trials like the suite, then writes ``tuning.md`` and
``tuning.json`` with the validation top-1 of every trial.

Example:
    python tools/benchmark/tune.py --trials hksanc kd --jobs 2
"""
import argparse
import json
import os
import os.path as osp
import sys

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO_ROOT)

from benchmarks.report import load_records  # noqa: E402
from benchmarks.suite import Suite  # noqa: E402
from benchmarks.tuning import (TRIAL_SETS, best_trial_lines,  # noqa
                               plan_tuning, tuning_table)

DEFAULT_RESULTS = 'docs/results/benchmark/tuning'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--trials', nargs='+', default=['hksanc', 'kd'],
                        choices=sorted(TRIAL_SETS),
                        help='trial sets to run (default: hksanc kd)')
    parser.add_argument('--jobs', type=int, default=1)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--quick', action='store_true',
                        help='one epoch per trial, into '
                        'work_dirs/benchmark-tuning-quick')
    parser.add_argument('--results-dir')
    parser.add_argument('--report-only', action='store_true')
    args = parser.parse_args(argv)
    if args.results_dir is None:
        args.results_dir = ('work_dirs/benchmark-tuning-quick/results'
                            if args.quick else DEFAULT_RESULTS)
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    os.chdir(REPO_ROOT)
    trials = [t for name in args.trials for t in TRIAL_SETS[name]]
    if not args.report_only:
        root = ('work_dirs/benchmark-tuning-quick'
                if args.quick else 'work_dirs/benchmark-tuning')
        runs = plan_tuning(trials, work_root=root, quick=args.quick,
                           adaptation_root=root if args.quick else
                           'work_dirs/benchmark')
        Suite(runs, args.results_dir, jobs=args.jobs,
              threads=args.threads).run()
    records = load_records(args.results_dir)
    table = tuning_table(records, trials) + '\n' + best_trial_lines(
        records, {name: TRIAL_SETS[name] for name in args.trials})
    os.makedirs(args.results_dir, exist_ok=True)
    with open(osp.join(args.results_dir, 'tuning.md'), 'w') as f:
        f.write(table)
    with open(osp.join(args.results_dir, 'tuning.json'), 'w') as f:
        json.dump(records, f, indent=2)
        f.write('\n')
    print(table)


if __name__ == '__main__':
    main()
