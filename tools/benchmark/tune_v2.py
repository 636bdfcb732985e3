"""Tune the v2 benchmark's methods with equal budgets (never on the test set).

Runs the trial sets of ``benchmarks/tuning_v2.py`` (8 trials each, 2
seeds per trial) on the validation split through the v2 configs and
``tools/train.py``, recording and skipping finished runs like the suite,
then writes ``tuning.md`` (validation top-1 per trial and seed, the best
trial of each set) beside the records.

Example:
    python tools/benchmark/tune_v2.py --trials hksanc kd dkd --jobs 2
"""
import argparse
import os
import os.path as osp
import sys

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO_ROOT)

from benchmarks.paired import read_records  # noqa: E402
from benchmarks.suite import Suite  # noqa: E402
from benchmarks.tuning_v2 import (V2_SHIPPED_TRIALS, V2_TRIAL_SETS,  # noqa: E402
                                  plan_v2_tuning, tuning_markdown,
                                  tuning_results_dir)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--trials', nargs='+', default=sorted(V2_TRIAL_SETS),
                        choices=sorted(V2_TRIAL_SETS))
    parser.add_argument('--jobs', type=int, default=1)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--quick', action='store_true',
                        help='one epoch per run, into '
                        'work_dirs/benchmark-v2-tuning-quick')
    parser.add_argument('--results-dir')
    parser.add_argument('--report-only', action='store_true')
    args = parser.parse_args(argv)
    if args.results_dir is None:
        args.results_dir = (osp.join('work_dirs', 'benchmark-v2-tuning-quick',
                                     'results') if args.quick else
                            tuning_results_dir())
    return args


def main(argv=None) -> str:
    args = parse_args(argv)
    os.chdir(REPO_ROOT)
    sets = {name: V2_TRIAL_SETS[name] for name in args.trials}
    if not args.report_only:
        trials = [t for name in args.trials for t in sets[name]]
        work_root = ('work_dirs/benchmark-v2-tuning-quick' if args.quick
                     else 'work_dirs/benchmark-v2-tuning')
        Suite(plan_v2_tuning(trials, work_root=work_root, quick=args.quick),
              args.results_dir, jobs=args.jobs, threads=args.threads).run()
    text = tuning_markdown(read_records(args.results_dir), sets,
                           shipped=V2_SHIPPED_TRIALS)
    os.makedirs(args.results_dir, exist_ok=True)
    path = osp.join(args.results_dir, 'tuning.md')
    with open(path, 'w') as f:
        f.write(text)
    print(text)
    return path


if __name__ == '__main__':
    main()
