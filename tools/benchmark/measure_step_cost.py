"""Cost of one training step per benchmark method.

See docs/benchmark.md, "Cost of a training step".

Every method's model and optimizer wrapper(s) are built from its config as
``tools/train.py`` builds them; all are timed in ONE process on the SAME batch
(the first batch of the config's seeded dataloader), after warm-up, in
interleaved rounds (so drift of a shared machine hits all alike), and the
median of the steps is reported. A plain-PyTorch loop of the HKSANC step
(same modules, no Runner) shows the framework's own overhead. Peak memory is
measured per method in a fresh subprocess (RSS sampled during the steps).

Example:
    python tools/benchmark/measure_step_cost.py \
        --out docs/results/benchmark/cost.json
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile
from typing import Dict, List, Optional

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO_ROOT)

import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402

import mmhkd  # noqa: E402,F401
from benchmarks.cached_variant import (CACHED_SUFFIX,  # noqa: E402
                                       cached_config)
from benchmarks.cost_table import cost_markdown  # noqa: E402
from benchmarks.memory import PeakResidentSampler  # noqa: E402
from benchmarks.methods import METHODS, method_by_name  # noqa: E402
from benchmarks.plain_hksanc_step import plain_hksanc_step  # noqa: E402
from benchmarks.step_cost import (StepTimer, added_parameters,  # noqa
                                  build_runner_for_cost, first_batch,
                                  runner_step)
from benchmarks.step_profile import profile_parts  # noqa: E402
from mmhkd.engine.hooks import to_channels_last  # noqa: E402

PLAIN = 'hksanc-plain-pytorch'
# before/after of the fused transform + attention (same function, same
# weights): HKSANC with its student connector run module by module
UNFUSED = 'hksanc-unfused'
UNFUSED_OPTIONS = {
    'model.distiller.connectors.student_attention.fuse_transform': False
}
MIB = 1024.0 ** 2


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--methods', nargs='+',
                        default=[m.name for m in METHODS],
                        help='methods to measure (default: all)')
    parser.add_argument('--steps', type=int, default=24,
                        help='timed steps per method (median of these)')
    parser.add_argument('--warmup', type=int, default=4,
                        help='untimed steps per method first')
    parser.add_argument('--rounds', type=int, default=4,
                        help='interleaved rounds the timed steps are split in')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch intra-op threads (default 1)')
    parser.add_argument('--memory-format', default='channels_last',
                        choices=['channels_last', 'contiguous'],
                        help='layout of the models (the configs\' '
                        'ChannelsLastHook uses channels_last)')
    parser.add_argument('--profile-steps', type=int, default=8,
                        help='steps of the part-by-part profile of the '
                        'plain HKSANC step (0: none)')
    parser.add_argument('--unfused', action='store_true',
                        help=f'also time {UNFUSED!r}: HKSANC with the student '
                        'connector run module by module (transform, then '
                        'estimator) instead of the fused computation')
    parser.add_argument('--cached', nargs='*', default=[],
                        help='also time these methods distilling from a '
                        f'teacher cache (rows NAME{CACHED_SUFFIX}; the cache '
                        'is built for the config with one view per image)')
    parser.add_argument('--no-memory', action='store_true',
                        help='skip the per-method memory subprocesses')
    parser.add_argument('--out', help='write the results (JSON) here')
    parser.add_argument('--memory-of', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.steps < 1 or args.rounds < 1 or args.steps % args.rounds:
        parser.error('--steps must be a positive multiple of --rounds')
    for name in args.methods + args.cached + (
            [args.memory_of.replace(CACHED_SUFFIX, '')]
            if args.memory_of else []):
        if name not in (PLAIN, UNFUSED):
            try:
                method_by_name(name)
            except KeyError as err:
                parser.error(str(err.args[0]))
    return args


def config_of(name: str, work_dir: Optional[str] = None) -> Config:
    """The config a method (or the ``UNFUSED`` or cached variant) is built
    from; a cached variant's cache and its cost go into ``CACHE_INFO``."""
    base = name[:-len(CACHED_SUFFIX)] if name.endswith(CACHED_SUFFIX) \
        else name
    method = method_by_name('hksanc' if base == UNFUSED else base)
    cfg = Config.fromfile(osp.join(REPO_ROOT, method.config))
    if name == UNFUSED:
        cfg.merge_from_dict(UNFUSED_OPTIONS)
    if name.endswith(CACHED_SUFFIX):
        if work_dir is None:
            raise ValueError(f'{name} builds a teacher cache: give a work_dir')
        os.makedirs(work_dir, exist_ok=True)
        cfg, CACHE_INFO[name] = cached_config(cfg, work_dir)
    return cfg


CACHE_INFO: Dict[str, dict] = {}


def build_timers(names: List[str], work_dir: str, memory_format: str):
    """Step closures and parameter counts, method by method."""
    timers, params = [], {}
    for name in names:
        cfg = config_of(name, osp.join(work_dir, name))
        runner = build_runner_for_cost(cfg, osp.join(work_dir, name))
        if memory_format == 'channels_last':
            to_channels_last(runner.model)
        batch = first_batch(runner, cfg)
        timers.append(StepTimer(name, runner_step(runner, cfg, batch)))
        params[name] = added_parameters(runner.model)
        if name == 'hksanc':
            wrapper = runner.build_optim_wrapper(cfg.optim_wrapper)
            timers.append(
                StepTimer(PLAIN,
                          plain_hksanc_step(runner.model, wrapper, batch)))
            params[PLAIN] = dict(params[name])
    return timers, params


def memory_of(name: str, steps: int, warmup: int,
              memory_format: str) -> Dict[str, float]:
    """Peak RSS during ``steps`` steps of one method (run in this process)."""
    with tempfile.TemporaryDirectory() as work_dir:
        timers, _ = build_timers(['hksanc' if name == PLAIN else name],
                                 work_dir, memory_format)
        timer = {t.name: t for t in timers}[name]
        timer.run(warmup, record=False)
        with PeakResidentSampler() as sampler:
            timer.run(steps, record=False)
    return dict(peak_rss_mib=sampler.peak / MIB,
                step_memory_mib=sampler.increase / MIB)


def measure_memory(names: List[str], args) -> Dict[str, Dict[str, float]]:
    """One fresh subprocess per method, so earlier peaks do not count."""
    results = {}
    for name in names:
        cmd = [sys.executable, osp.abspath(__file__), '--memory-of', name,
               '--steps', str(min(args.steps, 8)), '--warmup', '2',
               '--rounds', '1', '--threads', str(args.threads),
               '--memory-format', args.memory_format]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True,
                             cwd=REPO_ROOT)
        results[name] = json.loads(out.stdout.strip().splitlines()[-1])
    return results


def with_ratios(rows: Dict[str, dict], reference: str = 'kd') -> None:
    """Add ``*_vs_kd`` ratios in place (when KD was measured)."""
    if reference not in rows:
        return
    ref = rows[reference]
    for row in rows.values():
        for key in ('ms_per_step', 'peak_rss_mib', 'step_memory_mib',
                    'added_trainable'):
            if key in row and key in ref and ref[key]:
                row[f'{key}_vs_kd'] = row[key] / ref[key]


def main(argv=None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.memory_of:
        print(json.dumps(memory_of(args.memory_of, args.steps, args.warmup,
                                   args.memory_format)))
        return
    names = list(args.methods)
    for name in args.cached:
        position = names.index(name) + 1 if name in names else len(names)
        names.insert(position, name + CACHED_SUFFIX)
    if args.unfused and 'hksanc' in names and UNFUSED not in names:
        names.insert(names.index('hksanc') + 1, UNFUSED)
    with tempfile.TemporaryDirectory() as work_dir:
        timers, params = build_timers(names, work_dir,
                                      args.memory_format)
        for timer in timers:
            timer.run(args.warmup, record=False)
        per_round = args.steps // args.rounds
        for _ in range(args.rounds):
            for timer in timers:
                timer.run(per_round)
        parts = None
        plain = [t for t in timers if t.name == PLAIN]
        if plain and args.profile_steps > 0:
            parts = profile_parts(plain[0].step, args.profile_steps, warmup=1)
    vanilla_student = params.get('vanilla', {}).get('student')
    rows = {}
    for timer in timers:
        row = dict(ms_per_step=timer.median_ms(), steps=len(timer.seconds),
                   **params[timer.name], **CACHE_INFO.get(timer.name, {}))
        if vanilla_student is not None:
            row['added_to_deployed'] = row['student'] - vanilla_student
        rows[timer.name] = row
    if not args.no_memory:
        for name, mem in measure_memory(list(rows), args).items():
            rows[name].update(mem)
    if PLAIN in rows and 'hksanc' in rows:
        rows['hksanc']['ms_vs_plain_pytorch'] = (
            rows['hksanc']['ms_per_step'] / rows[PLAIN]['ms_per_step'])
    with_ratios(rows)
    result = dict(batch_size=128, threads=args.threads,
                  memory_format=args.memory_format,
                  warmup=args.warmup, steps=args.steps, rounds=args.rounds,
                  torch=torch.__version__, methods=rows,
                  hksanc_step_parts_ms=parts)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            f.write(text + '\n')
        with open(osp.splitext(args.out)[0] + '.md', 'w') as f:
            f.write(cost_markdown(result))


if __name__ == '__main__':
    main()
