"""Run the Fashion-MNIST benchmark (v1 of docs/benchmark.md), one command.

Every method (vanilla, KD, DKD, AT, FitNets, ANC-style, HKSANC global and
hierarchical, three HKSANC ablations) with its seeds, each run through the
repository's config and ``tools/train.py``. Finished runs are recorded under
``--results-dir`` and skipped on restart; an interrupted run resumes from its
last checkpoint. Then the report (results.json, results.md, plots) is made.

Examples:
    # the full suite (2 runs at a time, one thread each), then the report
    python tools/benchmark/run_suite.py --jobs 2
    # every method for a few iterations, into work_dirs/benchmark-quick
    python tools/benchmark/run_suite.py --quick
"""
import argparse
import os
import os.path as osp
import sys
import time

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO_ROOT)

from benchmarks.methods import METHODS, method_by_name  # noqa: E402
from benchmarks.report import write_report  # noqa: E402
from benchmarks.suite import Suite, plan_runs  # noqa: E402

DEFAULT_RESULTS = 'docs/results/benchmark'
QUICK_ROOT = 'work_dirs/benchmark-quick'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--methods', nargs='+',
                        default=[m.name for m in METHODS],
                        help='methods to run (default: all)')
    parser.add_argument('--seeds', type=int,
                        help="number of seeds for every method (default: "
                        "each method's own, docs/benchmark.md)")
    parser.add_argument('--jobs', type=int, default=1,
                        help='runs at once (default 1; 2 on this 2-core '
                        'machine with --threads 1)')
    parser.add_argument('--threads', type=int, default=1,
                        help='OMP_NUM_THREADS of every run (default 1)')
    parser.add_argument('--quick', action='store_true',
                        help='every method for one epoch (8 iterations), one '
                        'seed unless --seeds, with validation on 1,000 '
                        f'images, into {QUICK_ROOT}')
    parser.add_argument('--work-root', help='parent of the runs\' work dirs '
                        '(default work_dirs/benchmark)')
    parser.add_argument('--results-dir',
                        help=f'records, logs and report (default '
                        f'{DEFAULT_RESULTS}; with --quick '
                        f'{QUICK_ROOT}/results)')
    parser.add_argument('--report-only', action='store_true',
                        help='only rebuild the report from the records')
    args = parser.parse_args(argv)
    for name in args.methods:
        try:
            method_by_name(name)
        except KeyError as err:
            parser.error(str(err.args[0]))
    if args.seeds is not None and args.seeds < 1:
        parser.error('--seeds must be >= 1')
    if args.quick and args.seeds is None:
        args.seeds = 1
    if args.work_root is None:
        args.work_root = QUICK_ROOT if args.quick else 'work_dirs/benchmark'
    if args.results_dir is None:
        args.results_dir = (osp.join(QUICK_ROOT, 'results')
                            if args.quick else DEFAULT_RESULTS)
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    os.chdir(REPO_ROOT)
    methods = [method_by_name(n) for n in args.methods]
    if not args.report_only:
        runs = plan_runs(methods, work_root=args.work_root,
                         num_seeds=args.seeds, quick=args.quick)
        start = time.time()
        Suite(runs, args.results_dir, jobs=args.jobs,
              threads=args.threads).run()
        print(f'[suite] wall time {(time.time() - start) / 60:.1f} min',
              flush=True)
    report = write_report(args.results_dir)
    print(f'[suite] report: {report}')


if __name__ == '__main__':
    main()
