"""Run the canvas detection / segmentation benchmark and write its report.

Teacher (phase 1) and attention adaptation (phase 2) where their
checkpoints are missing, then vanilla student, MMRazor's CWD and HKSANC's
intermediate supervision with seeds 0..n-1, through ``tools/train.py``
(``benchmarks/canvas.py``). Records and logs go to
``docs/results/<task>/canvas-benchmark/``; finished runs are skipped and an
interrupted one resumes. Then ``report.json`` and ``report.md`` there: the
metric per seed, the paired difference of each distilled student against
the vanilla student with its 95 % interval, and the cost per step.

Examples:
    python tools/benchmark/run_canvas_benchmark.py detection --jobs 2
    python tools/benchmark/run_canvas_benchmark.py segmentation --report-only
"""
import argparse
import json
import os
import os.path as osp
import sys

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO_ROOT)

from benchmarks.canvas import (METHODS, TASKS, CanvasSuite,  # noqa: E402
                               canvas_markdown, canvas_report,
                               plan_canvas_runs)
from benchmarks.paired import read_records  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('task', choices=sorted(TASKS))
    parser.add_argument('--seeds', type=int, default=3)
    parser.add_argument('--methods', nargs='+', choices=METHODS,
                        default=list(METHODS))
    parser.add_argument('--jobs', type=int, default=1)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--results-dir',
                        help='default docs/results/<task>/canvas-benchmark')
    parser.add_argument('--report-only', action='store_true')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    task = TASKS[args.task]
    results = osp.join(REPO_ROOT, args.results_dir or osp.join(
        'docs', 'results', task.name, 'canvas-benchmark'))
    if not args.report_only:
        runs = plan_canvas_runs(task, args.seeds, args.methods)
        CanvasSuite(task, runs=runs, results_dir=results, jobs=args.jobs,
                    threads=args.threads, repo_root=REPO_ROOT).run()
    report = canvas_report(read_records(results), task)
    os.makedirs(results, exist_ok=True)
    with open(osp.join(results, 'report.json'), 'w') as f:
        json.dump(report, f, indent=2)
        f.write('\n')
    markdown = canvas_markdown(report)
    with open(osp.join(results, 'report.md'), 'w') as f:
        f.write(markdown)
    print(markdown)


if __name__ == '__main__':
    main()
