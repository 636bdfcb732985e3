"""The canvas benchmark of detection and segmentation (docs/detection.md,
docs/segmentation.md): plan, records and the paired report.

Per task: the teacher (phase 1) and its attention adaptation (phase 2) by
the repository's configs, then the student without distillation
(``vanilla``), with MMRazor's CWD (``cwd``) and with HKSANC's intermediate
supervision (``hksanc-is``), each with seeds 0..n-1 (``randomness.seed``).
A run's record holds the task's metric on the 500 test canvases (bbox mAP
or mIoU, the last validation) and its mean seconds per training step. The
runs go through :class:`benchmarks.suite.Suite` (resumable, ``jobs`` at a
time); only the record differs.
"""
import os.path as osp
import statistics
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from .paired import paired_interval, verdict
from .run_record import read_launches
from .suite import Run, Suite, git_commit

METHODS = ('vanilla', 'cwd', 'hksanc-is')


@dataclass(frozen=True)
class CanvasTask:
    """One task of the canvas benchmark.

    Attributes:
        name: 'detection' or 'segmentation'.
        metric: The validation key read from mmengine's ``scalars.json``.
        teacher: Config of the teacher (phase 1).
        adaptation: Config of the teacher's attention adaptation (phase 2).
        students: Config of each method in :data:`METHODS`.
        epochs: Training epochs of teacher and students.
        adapt_epochs: Epochs of phase 2.
    """
    name: str
    metric: str
    teacher: str
    adaptation: str
    students: Dict[str, str]
    epochs: int = 12
    adapt_epochs: int = 2

    def work_dir(self, config: str) -> str:
        """The configs' own default work dir (their checkpoint paths)."""
        return osp.join('work_dirs', osp.splitext(osp.basename(config))[0])

    @property
    def teacher_ckpt(self) -> str:
        return osp.join(self.work_dir(self.teacher), f'epoch_{self.epochs}.pth')

    @property
    def adapted_ckpt(self) -> str:
        return osp.join(self.work_dir(self.adaptation),
                        f'epoch_{self.adapt_epochs}.pth')


DET = 'configs/detection/'
SEG = 'configs/segmentation/'
TASKS = {
    'detection': CanvasTask(
        name='detection', metric='coco/bbox_mAP',
        teacher=DET + 'retinanet_r34-fpn128_1xb16-12e_fashion-mnist-canvas.py',
        adaptation=(DET + 'hksanc-adaptation_retinanet_r34-fpn128_'
                    'fashion-mnist-canvas.py'),
        students={
            'vanilla': (DET + 'retinanet_r18-half-fpn64_1xb16-12e_'
                        'fashion-mnist-canvas.py'),
            'cwd': (DET + 'cwd_retinanet_r34-fpn128_r18-half-fpn64_'
                    'fashion-mnist-canvas.py'),
            'hksanc-is': (DET + 'hksanc-is_retinanet_r34-fpn128_r18-half-'
                          'fpn64_fashion-mnist-canvas.py')}),
    'segmentation': CanvasTask(
        name='segmentation', metric='mIoU',
        teacher=SEG + 'fcn_r34-d16_1xb16-12e_fashion-mnist-canvas.py',
        adaptation=SEG + 'hksanc-adaptation_fcn_r34-d16_fashion-mnist-canvas.py',
        students={
            'vanilla': SEG + 'fcn_r18-half-d16_1xb16-12e_fashion-mnist-canvas.py',
            'cwd': SEG + 'cwd_fcn_r34-d16_r18-half-d16_fashion-mnist-canvas.py',
            'hksanc-is': (SEG + 'hksanc-is_fcn_r34-d16_r18-half-d16_'
                          'fashion-mnist-canvas.py')}),
}


def method_options(task: CanvasTask, method: str, seed: int) -> List[str]:
    """``--cfg-options`` of one student run: its seed, and the teacher
    (and adapted estimators) that phases 1-2 wrote."""
    if method not in METHODS:
        raise ValueError(f'unknown canvas method {method!r}; one of {METHODS}')
    options = [f'randomness.seed={seed}']
    if method != 'vanilla':
        options.append(f'model.teacher_ckpt={task.teacher_ckpt}')
    if method == 'hksanc-is':
        options.append('model.distiller.connectors.teacher_attention.'
                       f'adapted_ckpt={task.adapted_ckpt}')
    return options


def plan_canvas_runs(task: CanvasTask, num_seeds: int = 3,
                     methods: Sequence[str] = METHODS) -> List[Run]:
    """Teacher, adaptation and every (method, seed) run of ``task``,
    seed-major."""
    teacher = Run(name=f'{task.name}-teacher', config=task.teacher,
                  options=[], work_dir=task.work_dir(task.teacher),
                  done_file=task.teacher_ckpt)
    adaptation = Run(
        name=f'{task.name}-adaptation', config=task.adaptation,
        options=[f'model.teacher_ckpt={task.teacher_ckpt}'],
        work_dir=task.work_dir(task.adaptation), needs=[teacher.name],
        done_file=task.adapted_ckpt)
    runs = [teacher, adaptation]
    for seed in range(num_seeds):
        for method in methods:
            needs = {'vanilla': [], 'cwd': [teacher.name],
                     'hksanc-is': [adaptation.name]}[method]
            runs.append(Run(
                name=f'{task.name}-{method}-seed{seed}',
                config=task.students[method],
                options=method_options(task, method, seed),
                work_dir=osp.join('work_dirs', 'canvas-benchmark', task.name,
                                  f'{method}-seed{seed}'),
                needs=needs, method=method, seed=seed))
    return runs


def read_canvas_run(work_dir: str, metric: str
                    ) -> Tuple[Dict[int, float], Optional[float], List[str]]:
    """A finished run's metric per validated epoch, its mean seconds per
    training step, and its text logs (every launch, oldest first).

    Training lines of mmengine's per-launch ``scalars.json`` carry ``time``
    (seconds of the step), validation lines the metric with ``step`` =
    epoch (:func:`benchmarks.run_record.read_launches`).
    """
    entries, logs = read_launches(work_dir)
    curve = {int(e['step']): float(e[metric]) for e in entries if metric in e}
    step_times = [float(e['time']) for e in entries
                  if metric not in e and 'time' in e and 'lr' in e]
    sec = statistics.mean(step_times) if step_times else None
    return curve, sec, logs


class CanvasSuite(Suite):
    """:class:`Suite` whose records hold a canvas task's metric and cost.

    Args:
        task: The task whose metric the records read.
        **kwargs: :class:`Suite`'s arguments.
    """

    def __init__(self, task: CanvasTask, **kwargs) -> None:
        super().__init__(**kwargs)
        self.task = task

    def write_record(self, run: Run, command: List[str], wall_s: float,
                     commit: Optional[str] = None) -> dict:
        """Write ``runs/<name>.json`` and the run's logs (``commit``: as
        :meth:`Suite.write_record`)."""
        work_dir = osp.join(self.repo_root, run.work_dir)
        curve, sec, logs = read_canvas_run(work_dir, self.task.metric)
        if not curve:
            raise RuntimeError(f'run {run.name} finished without a '
                               f'{self.task.metric} in {work_dir}')
        last = max(curve)
        record = dict(name=run.name, task=self.task.name, method=run.method,
                      seed=run.seed, config=run.config, options=run.options,
                      command=' '.join(['python'] + command[1:]),
                      metric=self.task.metric, value=curve[last],
                      last_epoch=last,
                      per_epoch={str(k): v for k, v in sorted(curve.items())},
                      sec_per_step=sec, wall_s=round(wall_s, 1),
                      commit=commit or git_commit(self.repo_root),
                      finished=time.strftime('%Y-%m-%d %H:%M:%S'))
        self.save_record(run, record, logs)
        print(f'[suite] done  {run.name}: {self.task.metric} '
              f'{record["value"]:.4f} ({wall_s / 60:.1f} min)', flush=True)
        return record


def canvas_report(records: Sequence[dict], task: CanvasTask) -> dict:
    """Per method: seeds, values and mean seconds per step; per distilled
    method: the paired difference against ``vanilla`` with its 95 %
    interval, and the cost per step relative to ``vanilla``."""
    by_method: Dict[str, Dict[int, dict]] = {}
    for record in records:
        if record.get('task') == task.name:
            by_method.setdefault(record['method'], {})[
                int(record['seed'])] = record
    methods = {}
    for name in METHODS:
        runs = by_method.get(name, {})
        seeds = sorted(runs)
        costs = [runs[s]['sec_per_step'] for s in seeds]
        methods[name] = dict(
            config=task.students[name], seeds=seeds,
            values=[runs[s]['value'] for s in seeds],
            sec_per_step=statistics.mean(costs) if costs else None)
    pairs = []
    for name in METHODS[1:]:
        common = sorted(set(methods[name]['seeds']) &
                        set(methods['vanilla']['seeds']))
        if len(common) < 2:
            continue
        mean, std, low, high = paired_interval(
            [by_method[name][s]['value'] for s in common],
            [by_method['vanilla'][s]['value'] for s in common])
        pairs.append(dict(method=name, reference='vanilla', n=len(common),
                          mean_diff=mean, std_diff=std, ci95=[low, high],
                          verdict=verdict(low, high),
                          cost_ratio=(methods[name]['sec_per_step'] /
                                      methods['vanilla']['sec_per_step'])))
    return dict(task=task.name, metric=task.metric,
                teacher_config=task.teacher, methods=methods, pairs=pairs)


def canvas_markdown(report: dict) -> str:
    """The report as two markdown tables."""
    metric = report['metric']
    lines = [f'### {report["task"]}: {metric} on the 500 test canvases', '',
             f'| method | seeds | {metric} per seed | mean | s / step |',
             '|---|---|---|---|---|']
    for name, m in report['methods'].items():
        if not m['seeds']:
            continue
        values = ', '.join(f'{v:.3f}' for v in m['values'])
        lines.append(f'| {name} | {len(m["seeds"])} | {values} | '
                     f'{statistics.mean(m["values"]):.3f} | '
                     f'{m["sec_per_step"]:.3f} |')
    lines += ['', '| method - vanilla | n | mean | 95 % interval | verdict | '
              'cost per step |', '|---|---|---|---|---|---|']
    for p in report['pairs']:
        lines.append(f'| {p["method"]} | {p["n"]} | {p["mean_diff"]:+.4f} | '
                     f'[{p["ci95"][0]:+.4f}, {p["ci95"][1]:+.4f}] | '
                     f'{p["verdict"]} | {p["cost_ratio"]:.2f}x |')
    return '\n'.join(lines) + '\n'
