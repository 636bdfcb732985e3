"""Probe which form of intermediate supervision adds to HKSANC (validation).

Runs ``benchmarks/is_probe_v2.py``'s plan (phase 2 with
``pool_source='features'``, the teacher caches of the validation split,
then HKSANC without IS and with three IS forms, seeds 0..n-1) through
``tools/train.py``, recording and skipping finished runs like the suite,
then writes ``paired.json`` and ``paired.md`` beside the records: each IS
form paired by seed with HKSANC without IS, validation top-1 (mean of the
validations at epochs 52-60 on the 5,000 held-out training images).

``--peak-lr X`` runs the arms with the student's one-cycle peak learning
rate X instead of the protocol's 0.1 (runs in ``<work-root>/peak-lr-X``,
records and report in ``<results-dir>/peak-lr-X``).

Example:
    python tools/benchmark/probe_is_v2.py --seeds 6 --arms no-is fused features-std
    python tools/benchmark/probe_is_v2.py --seeds 6 --arms no-is fused --peak-lr 0.05
"""
import argparse
import json
import os
import os.path as osp
import sys

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO_ROOT)

from benchmarks.is_probe_v2 import (ARMS, LABELS, REFERENCE,  # noqa: E402
                                    RESULTS, WORK_ROOT, plan_is_probe,
                                    probe_configs)
from benchmarks.paired import (paired_markdown, paired_results,  # noqa: E402
                               read_records)
from benchmarks.peak_lr import regime_root  # noqa: E402
from benchmarks.suite import Suite  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seeds', type=int, default=4)
    parser.add_argument('--arms', nargs='+', choices=list(ARMS),
                        default=list(ARMS))
    parser.add_argument('--jobs', type=int, default=1)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--work-root', default=WORK_ROOT)
    parser.add_argument('--results-dir', default=RESULTS)
    parser.add_argument('--peak-lr', type=float, default=None,
                        help="the student's one-cycle peak learning rate "
                        '(default: the protocol\'s 0.1)')
    parser.add_argument('--report-only', action='store_true')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    os.chdir(REPO_ROOT)
    results_dir = regime_root(args.results_dir, args.peak_lr)
    if not args.report_only:
        Suite(plan_is_probe(args.seeds, args.work_root, args.arms,
                            args.peak_lr),
              results_dir, jobs=args.jobs, threads=args.threads).run()
    protocol = dict(split='validation: 5,000 held-out training images',
                    seeds=args.seeds)
    if args.peak_lr is not None:
        protocol['student_peak_lr'] = args.peak_lr
    result = paired_results(
        read_records(results_dir), probe_configs(), REFERENCE,
        reading='top1_mean_last', protocol=protocol,
        pairs_with=[('features-std', 'fused'), ('features', 'fused')])
    os.makedirs(results_dir, exist_ok=True)
    with open(osp.join(results_dir, 'paired.json'), 'w') as f:
        json.dump(result, f, indent=2)
        f.write('\n')
    markdown = paired_markdown(result, LABELS)
    with open(osp.join(results_dir, 'paired.md'), 'w') as f:
        f.write(markdown)
    print(markdown)
    return result


if __name__ == '__main__':
    main()
