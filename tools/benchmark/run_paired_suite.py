"""Run the v2 Fashion-MNIST benchmark, paired by seed, and write paired.json.

Phase 2 on the v2 teacher, one teacher cache per distillation method, then
every method (``benchmarks/protocol_v2.py``) with seeds 0..n-1 through
``tools/train.py``. Finished runs are recorded under ``--results-dir`` and
skipped on restart; an interrupted run resumes from its last checkpoint.
Then ``paired.json`` and ``paired.md``: each method against the reference
(tuned KD), each ablation against HKSANC, KD against vanilla, with the 95 %
interval of the mean paired difference (docs/benchmark.md).

``--peak-lr X`` runs every method with the students' one-cycle peak
learning rate X instead of the protocol's 0.1 (runs in
``<work-root>/peak-lr-X/``, sharing phase 2 and the caches; records and
``paired.json`` in ``<results-dir>/peak-lr-X/``).

Examples:
    python tools/benchmark/run_paired_suite.py --jobs 2 --seeds 5
    python tools/benchmark/run_paired_suite.py --seeds 5 --peak-lr 0.05
    python tools/benchmark/run_paired_suite.py --quick   # a few minutes
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO_ROOT)

from benchmarks.paired import (READINGS, paired_markdown,  # noqa: E402
                               paired_results, read_records)
from benchmarks.protocol_v2 import (REFERENCE, V2_METHODS,  # noqa
                                    V2_TEACHER, V2_VIEWS, paired_method,
                                    plan_v2_runs)
from benchmarks.peak_lr import regime_root  # noqa: E402
from benchmarks.suite import Suite  # noqa: E402

RESULTS = 'docs/results/benchmark/v2'
QUICK_ROOT = 'work_dirs/benchmark-v2-quick'
TEACHER_METRICS = ('checkpoints/logs/preact-resnet29-10e_1xb128_'
                   'fashion-mnist.test_metrics.json')
ABLATION_PAIRS = (('hksanc-no-is', 'hksanc'), ('hksanc-no-adv', 'hksanc'),
                  ('hksanc-no-category', 'hksanc'), ('kd-tuned', 'vanilla'),
                  ('hksanc', 'vanilla'), ('hksanc', 'dkd-tuned'))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--methods', nargs='+',
                        default=[m.name for m in V2_METHODS])
    parser.add_argument('--seeds', type=int,
                        help='seeds 0..n-1 for every method (default 5; 1 '
                        'with --quick); the report reads these seeds only')
    parser.add_argument('--jobs', type=int, default=1)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--reading', choices=READINGS,
                        default='top1_mean_last',
                        help='top-1 of the last validation, or the mean of '
                        'the last five (epochs 52-60; the default)')
    parser.add_argument('--quick', action='store_true',
                        help=f'one epoch per run, one seed unless --seeds, '
                        f'into {QUICK_ROOT}')
    parser.add_argument('--peak-lr', type=float,
                        help="the students' one-cycle peak learning rate "
                        "(default: the protocol's 0.1)")
    parser.add_argument('--work-root')
    parser.add_argument('--results-dir')
    parser.add_argument('--report-only', action='store_true')
    parser.add_argument('--out', help='the paired results (JSON; a .md '
                        'beside it); default: paired.json beside the '
                        'results dir')
    args = parser.parse_args(argv)
    for name in args.methods:
        try:
            paired_method(name)
        except KeyError as err:
            parser.error(str(err.args[0]))
    if args.seeds is None:
        args.seeds = 1 if args.quick else 5
    if args.seeds < 1:
        parser.error('--seeds must be >= 1')
    if args.work_root is None:
        args.work_root = QUICK_ROOT if args.quick else 'work_dirs/benchmark-v2'
    if args.results_dir is None:
        args.results_dir = (osp.join(QUICK_ROOT, 'results') if args.quick
                            else RESULTS)
    if args.peak_lr is not None:
        if not args.peak_lr > 0:
            parser.error(f'--peak-lr must be positive, got {args.peak_lr}')
        args.results_dir = regime_root(args.results_dir, args.peak_lr)
        if args.out is None:
            # never the default regime's paired.json
            args.out = osp.join(args.results_dir, 'paired.json')
    return args


def teacher_top1():
    if not osp.isfile(TEACHER_METRICS):
        return None
    with open(TEACHER_METRICS) as f:
        return json.load(f).get('accuracy/top1')


def write_paired(results_dir: str, methods, reading: str,
                 out: str = None, num_seeds: int = None,
                 peak_lr: float = None) -> str:
    """``paired.json`` and ``paired.md`` (default: beside the records'
    folder) from the records of seeds below ``num_seeds`` (all if None)."""
    configs = {m.name: m.config for m in methods}
    pairs = [p for p in ABLATION_PAIRS if p[0] in configs and p[1] in configs]
    records = [r for r in read_records(results_dir)
               if num_seeds is None or int(r['seed']) < num_seeds]
    protocol = dict(teacher=V2_TEACHER, views=V2_VIEWS, labelled=1000,
                    student='resnet20-half', epochs=60,
                    validations=[52, 54, 56, 58, 60],
                    command='python tools/benchmark/run_paired_suite.py')
    if peak_lr is not None:
        protocol['student_peak_lr'] = peak_lr
        protocol['command'] += f' --peak-lr {peak_lr:g}'
    result = paired_results(
        records, configs, REFERENCE if REFERENCE in
        configs else methods[0].name, reading=reading, protocol=protocol,
        teacher_top1=teacher_top1(), pairs_with=pairs)
    path = out or osp.join(osp.dirname(osp.abspath(results_dir)),
                           'paired.json')
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(result, f, indent=2)
        f.write('\n')
    with open(osp.splitext(path)[0] + '.md', 'w') as f:
        f.write(paired_markdown(result, {m.name: m.label for m in methods}))
    return path


def main(argv=None) -> None:
    args = parse_args(argv)
    os.chdir(REPO_ROOT)
    methods = [paired_method(n) for n in args.methods]
    if not args.report_only:
        runs = plan_v2_runs(methods, num_seeds=args.seeds,
                            work_root=args.work_root, quick=args.quick,
                            peak_lr=args.peak_lr)
        start = time.time()
        Suite(runs, args.results_dir, jobs=args.jobs,
              threads=args.threads).run()
        print(f'[suite] wall time {(time.time() - start) / 60:.1f} min',
              flush=True)
    print('[suite] ' + write_paired(args.results_dir, methods, args.reading,
                                    args.out, args.seeds, args.peak_lr))


if __name__ == '__main__':
    main()
