"""Plan and run the benchmark's training runs through ``tools/train.py``.

A run is one (method, seed) pair, trained by the repository's own config and
``tools/train.py`` in a subprocess; the suite only adds ``--cfg-options``.
When it finishes, its record (command, seed, final top-1, top-1 per validated
epoch, wall time) and its log are written under the results directory; a run
whose record exists is skipped, so the suite resumes after an interruption.
An interrupted run (work dir without a record) is continued with
``--resume``. HKSANC-family methods first need the teacher-attention phase
(``configs/hksanc/hksanc-adaptation*``), run once per query mode.
"""
import glob
import json
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

from .methods import METHODS, Method
from .run_record import read_val_curve

TRAIN_TOOL = 'tools/train.py'
CACHE_TOOL = 'tools/cache_teacher.py'
# ``top1_mean_last`` of a record: the mean of this many last validations
LAST_VALIDATIONS = 5
QUICK_OPTIONS = ('train_cfg.max_epochs=1', 'val_dataloader.dataset.indices=1000')
QUICK_ADAPTATION_OPTIONS = ('train_dataloader.dataset.num_per_class=20',
                            'val_dataloader.dataset.indices=1000')
# The validation split for tuning (never the test set): 500 images per class
# of the 60,000 training images are held out; the labelled subset is drawn
# from the rest, and accuracy is read on the held-out 5,000.
VALIDATION_OPTIONS = (
    'train_dataloader.dataset.holdout=exclude',
    'train_dataloader.dataset.holdout_per_class=500',
    'val_dataloader.dataset.split=train',
    'val_dataloader.dataset.holdout=only',
    'val_dataloader.dataset.holdout_per_class=500',
)


@dataclass
class Run:
    """One training run of the suite.

    Attributes:
        name: Unique name, also the file name of its record.
        config: Repository-relative config path.
        options: ``--cfg-options`` entries (``key=value``).
        work_dir: mmengine work dir (checkpoints, logs).
        needs: Names of runs that must finish first.
        method: Method name (None for a teacher-attention phase or a
            teacher cache).
        seed: Seed (None for a teacher-attention phase or a cache).
        tool: The tool run (``tools/train.py``; ``tools/cache_teacher.py``
            for a teacher cache, whose ``options`` are its arguments).
        done_file: For a step that is not a method run: the file whose
            existence marks it done (a cache's manifest must also say
            ``complete``). Default: the adaptation phase's checkpoint.
    """
    name: str
    config: str
    options: List[str]
    work_dir: str
    needs: List[str] = field(default_factory=list)
    method: Optional[str] = None
    seed: Optional[int] = None
    tool: str = TRAIN_TOOL
    done_file: Optional[str] = None

    def command(self, python: str, resume: bool) -> List[str]:
        """The command line of this run."""
        if self.tool != TRAIN_TOOL:
            return [python, self.tool, self.config, *self.options]
        cmd = [python, TRAIN_TOOL, self.config, '--work-dir', self.work_dir]
        if resume:
            cmd.append('--resume')
        if self.options:
            cmd += ['--cfg-options', *self.options]
        return cmd


def git_commit(repo_root: str) -> Optional[str]:
    """HEAD of the repository (None outside a git checkout)."""
    try:
        return subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=repo_root,
                              capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def strip_repo_root(text: str, repo_root: str) -> str:
    """``text`` with the repository's absolute path removed from every path
    under it, so that committed logs name repository-relative paths."""
    return text.replace(osp.abspath(repo_root).rstrip(os.sep) + os.sep, '')


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f'stopped by signal {signum}')


def has_checkpoint(work_dir: str) -> bool:
    """Whether an interrupted run left a checkpoint to resume from."""
    return bool(glob.glob(osp.join(work_dir, 'epoch_*.pth')))


def adaptation_checkpoint(work_dir: str) -> str:
    """Where the teacher-attention phase (1 epoch) leaves its weights."""
    return osp.join(work_dir, 'epoch_1.pth')


def plan_runs(methods: Sequence[Method] = METHODS,
              work_root: str = 'work_dirs/benchmark',
              num_seeds: Optional[int] = None,
              quick: bool = False,
              extra_options: Sequence[str] = (),
              name_suffix: str = '',
              adaptation_root: Optional[str] = None) -> List[Run]:
    """The runs of the suite, seed-major (every method's seed 0 first).

    Args:
        methods: Methods to run.
        work_root: Parent of the runs' work dirs.
        num_seeds: Override every method's number of seeds.
        quick: A few iterations per method (see ``QUICK_OPTIONS``).
        extra_options: More ``--cfg-options`` for every method run (e.g. the
            validation split of the tuning stage).
        name_suffix: Appended to run names (tuning trials).
        adaptation_root: Parent of the teacher-attention phases' work dirs
            (default ``work_root``); tuning shares the benchmark's.
    """
    quick_opts = list(QUICK_OPTIONS) if quick else []
    adaptations: Dict[str, Run] = {}
    for method in methods:
        if method.adaptation and method.adaptation not in adaptations:
            tag = ('adaptation-hierarchical'
                   if 'hierarchical' in method.adaptation else
                   'adaptation-global')
            adaptations[method.adaptation] = Run(
                name=tag, config=method.adaptation,
                options=list(QUICK_ADAPTATION_OPTIONS) if quick else [],
                work_dir=osp.join(adaptation_root or work_root, tag))
    runs: List[Run] = list(adaptations.values())
    most = max((num_seeds or m.num_seeds) for m in methods)
    for seed in range(most):
        for method in methods:
            if seed >= (num_seeds or method.num_seeds):
                continue
            name = f'{method.name}{name_suffix}__seed{seed}'
            options = [f'randomness.seed={seed}',
                       f'train_dataloader.sampler.seed={seed}', *quick_opts,
                       *extra_options]
            needs = []
            if method.adaptation:
                phase = adaptations[method.adaptation]
                options.append('model.teacher_attention_ckpt=' +
                               adaptation_checkpoint(phase.work_dir))
                needs.append(phase.name)
            runs.append(Run(name=name, config=method.config,
                            options=options,
                            work_dir=osp.join(work_root, name),
                            needs=needs, method=method.name, seed=seed))
    return runs


class Suite:
    """Runs a plan, ``jobs`` at a time, skipping runs already recorded.

    Args:
        runs: The plan (:func:`plan_runs`).
        results_dir: Where records (``runs/<name>.json``) and logs
            (``logs/<name>.log``) go.
        jobs: Runs at once.
        threads: ``OMP_NUM_THREADS`` of every run.
        python: Interpreter for ``tools/train.py``.
        repo_root: Directory the commands run in.
    """

    def __init__(self, runs: Sequence[Run], results_dir: str, jobs: int = 1,
                 threads: int = 1, python: str = sys.executable,
                 repo_root: str = '.') -> None:
        names = [r.name for r in runs]
        if len(set(names)) != len(names):
            raise ValueError(f'run names are not unique: {names}')
        self.runs = list(runs)
        self.results_dir = results_dir
        self.jobs = max(1, jobs)
        self.threads = threads
        self.python = python
        self.repo_root = repo_root

    def record_path(self, run: Run) -> str:
        return osp.join(self.results_dir, 'runs', f'{run.name}.json')

    def log_path(self, run: Run) -> str:
        return osp.join(self.results_dir, 'logs', f'{run.name}.log')

    def is_done(self, run: Run) -> bool:
        """A run is done when its record exists (adaptation: checkpoint;
        teacher cache: a complete manifest)."""
        if run.method is None:
            marker = osp.join(self.repo_root, run.done_file or
                              adaptation_checkpoint(run.work_dir))
            if not osp.isfile(marker):
                return False
            if marker.endswith('.manifest.json'):
                with open(marker) as f:
                    return bool(json.load(f).get('complete'))
            return True
        return osp.isfile(self.record_path(run))

    def _start(self, run: Run) -> subprocess.Popen:
        work_dir = osp.join(self.repo_root, run.work_dir)
        resume = run.tool == TRAIN_TOOL and has_checkpoint(work_dir)
        if osp.isdir(work_dir) and not resume and run.tool == TRAIN_TOOL:
            # died before its first checkpoint: nothing to keep
            shutil.rmtree(work_dir)
        os.makedirs(work_dir, exist_ok=True)
        env = dict(os.environ, OMP_NUM_THREADS=str(self.threads),
                   MKL_NUM_THREADS=str(self.threads))
        cmd = run.command(self.python, resume)
        stdout = open(osp.join(work_dir, 'suite_stdout.log'), 'a')
        print(f'[suite] start {run.name}: {" ".join(cmd)}', flush=True)
        proc = subprocess.Popen(cmd, cwd=self.repo_root, env=env,
                                stdout=stdout, stderr=subprocess.STDOUT)
        proc.run_started = time.time()  # type: ignore[attr-defined]
        # the code the run executes is the code checked out now, not at
        # its end (later commits may land while it trains)
        proc.run_commit = git_commit(  # type: ignore[attr-defined]
            self.repo_root)
        proc.run_command = cmd  # type: ignore[attr-defined]
        proc.run_stdout = stdout  # type: ignore[attr-defined]
        return proc

    def _finish(self, run: Run, proc: subprocess.Popen) -> None:
        proc.run_stdout.close()
        if proc.returncode != 0:
            raise RuntimeError(
                f'run {run.name} failed (exit {proc.returncode}); see '
                f'{osp.join(run.work_dir, "suite_stdout.log")}. Rerun the '
                'suite to continue it from its last checkpoint.')
        if run.method is None:
            return
        self.write_record(run, proc.run_command,
                          time.time() - proc.run_started, proc.run_commit)

    def write_record(self, run: Run, command: List[str], wall_s: float,
                     commit: Optional[str] = None) -> dict:
        """Write ``runs/<name>.json`` and copy the run's newest log;
        ``commit``: the one checked out when the run (or its last resume)
        started (default: the current one)."""
        work_dir = osp.join(self.repo_root, run.work_dir)
        curve, log_files = read_val_curve(work_dir)
        if not curve:
            raise RuntimeError(f'run {run.name} finished without a '
                               f'validation result in {work_dir}')
        last_epoch = max(curve)
        last = sorted(curve)[-LAST_VALIDATIONS:]
        record = dict(name=run.name, method=run.method, seed=run.seed,
                      config=run.config, options=run.options,
                      command=' '.join(['python'] + command[1:]),
                      top1=curve[last_epoch], last_epoch=last_epoch,
                      top1_mean_last=sum(curve[e] for e in last) / len(last),
                      mean_last_epochs=last,
                      top1_per_epoch={str(k): v
                                      for k, v in sorted(curve.items())},
                      wall_s=round(wall_s, 1),
                      commit=commit or git_commit(self.repo_root),
                      finished=time.strftime('%Y-%m-%d %H:%M:%S'))
        self.save_record(run, record, log_files)
        print(f'[suite] done  {run.name}: top-1 {record["top1"]:.2f} '
              f'({wall_s / 60:.1f} min)', flush=True)
        return record

    def save_record(self, run: Run, record: dict,
                    log_files: Sequence[str]) -> None:
        """Write ``record`` to ``runs/<name>.json`` and the run's logs,
        oldest first, to ``logs/<name>.log`` (repository paths made
        relative)."""
        os.makedirs(osp.dirname(self.record_path(run)), exist_ok=True)
        os.makedirs(osp.dirname(self.log_path(run)), exist_ok=True)
        with open(self.log_path(run), 'w') as out:
            for log in log_files:
                with open(log) as f:
                    out.write(strip_repo_root(f.read(), self.repo_root))
        with open(self.record_path(run), 'w') as f:
            json.dump(record, f, indent=2)
            f.write('\n')

    def run(self, poll_s: float = 2.0) -> None:
        """Run every pending run; raise on the first failure.

        Stopping the suite (Ctrl-C, or SIGTERM) stops its running runs too;
        they continue from their last checkpoint when the suite is rerun.
        """
        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            self._run(poll_s)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    def _run(self, poll_s: float) -> None:
        pending = [r for r in self.runs if not self.is_done(r)]
        skipped = len(self.runs) - len(pending)
        print(f'[suite] {len(self.runs)} runs, {skipped} already done, '
              f'{len(pending)} to run, {self.jobs} at a time', flush=True)
        running: Dict[str, tuple] = {}
        done = {r.name for r in self.runs if self.is_done(r)}
        try:
            while pending or running:
                for name, (run, proc) in list(running.items()):
                    if proc.poll() is not None:
                        del running[name]
                        self._finish(run, proc)
                        done.add(name)
                ready = [r for r in pending if all(n in done for n in r.needs)]
                while ready and len(running) < self.jobs:
                    run = ready.pop(0)
                    pending.remove(run)
                    running[run.name] = (run, self._start(run))
                if running:
                    time.sleep(poll_s)
                elif pending:
                    raise RuntimeError('runs wait for runs that are not in '
                                       f'the plan: {[r.name for r in pending]}')
        finally:
            for run, proc in running.values():
                proc.terminate()
                proc.wait()
