"""Tuning of the v2 benchmark: equal budgets, two seeds per trial, on a
validation split carved from the training images (never the test set).

Every trial set has 8 trials; each trial runs seeds 0 and 1 of its method's
v2 config with a few ``--cfg-options`` changed, on the view pool of 1,000
labelled images drawn from the 55,000 training images left after 500 per
class are held out, and is read on those 5,000 held-out images (validations
at epochs 52-60, mean of the five). The distillation methods read teacher
caches built for that training set; phase 2 is the benchmark's (nothing in
it is tuned). The HKSANC trials keep the teacher side fixed, so they share
one cache: the options that change it (``pool_source='features'``, needing
its own phase 2) or need the teacher's maps (``attention_map_loss``, not in
the cache) are left to a later round.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from .paired import paired_interval
from .protocol_v2 import paired_method, plan_v2_runs
from .suite import Run
from .tuning import Trial

_LOSSES = 'model.distiller.distill_losses'
_IS = f'{_LOSSES}.loss_is'
# the validation split (FashionMNISTIdx options of the pool's inner dataset)
V2_VALIDATION_OPTIONS = (
    'train_dataloader.dataset.dataset.holdout=exclude',
    'train_dataloader.dataset.dataset.holdout_per_class=500',
    'val_dataloader.dataset.split=train',
    'val_dataloader.dataset.holdout=only',
    'val_dataloader.dataset.holdout_per_class=500',
)
TUNING_SEEDS = 2


V2_HKSANC_TRIALS: Tuple[Trial, ...] = (
    # the shipped defaults when tuned (lambda1 = 1; lambda1-3 won and is
    # the default since)
    Trial('defaults', 'hksanc',
          (f'{_LOSSES}.loss_backbone.loss_weight=1.0', )),
    Trial('standardize', 'hksanc', (f'{_IS}.standardize=True', )),
    Trial('cosine', 'hksanc', (f'{_IS}.normalize=True', )),
    Trial('lambda1-3', 'hksanc',
          (f'{_LOSSES}.loss_backbone.loss_weight=3.0', )),
    Trial('lambda3-0.3', 'hksanc', (f'{_IS}.loss_weight=0.3', )),
    Trial('warmup-ramp', 'hksanc', ('model.intermediate_warmup_iters=80',
                                    'model.intermediate_ramp_iters=80')),
    Trial('kd-backbone-ce', 'hksanc', (
        f'{_LOSSES}.loss_backbone.mode=kd',
        f'{_LOSSES}.loss_backbone.temperature=4.0',
        'model.calculate_student_loss=True',
        'model.architecture.head.loss.loss_weight=0.5')),
    Trial('standardize-warmup', 'hksanc', (
        f'{_IS}.standardize=True', 'model.intermediate_warmup_iters=80',
        'model.intermediate_ramp_iters=80')),
)
V2_KD_TRIALS: Tuple[Trial, ...] = tuple(
    Trial(f'tau{tau}-kd{w}', 'kd-tuned',
          (f'{_LOSSES}.loss_kl.tau={tau}', f'{_LOSSES}.loss_kl.loss_weight={w}',
           f'model.architecture.head.loss.loss_weight={round(1 - w, 2)}'))
    for tau in (1, 2, 4, 8) for w in (0.9, 0.5))
V2_DKD_TRIALS: Tuple[Trial, ...] = tuple(
    Trial(f'tau{tau}-beta{beta}', 'dkd',
          (f'{_LOSSES}.loss_dkd.tau={tau}', f'{_LOSSES}.loss_dkd.beta={beta}'))
    for tau in (2, 4) for beta in (1, 2, 4, 8))
V2_TRIAL_SETS: Dict[str, Tuple[Trial, ...]] = dict(
    hksanc=V2_HKSANC_TRIALS, kd=V2_KD_TRIALS, dkd=V2_DKD_TRIALS)
# the trial of each set that is the setting its v2 config had when tuned
V2_SHIPPED_TRIALS: Dict[str, str] = dict(
    hksanc='defaults', kd='tau4-kd0.5', dkd='tau4-beta8')


def run_name(trial: Trial, seed: int) -> str:
    """The run of ``trial`` with ``seed``."""
    return f'{trial.method}--{trial.name}__seed{seed}'


def plan_v2_tuning(trials: Sequence[Trial],
                   num_seeds: int = TUNING_SEEDS,
                   work_root: str = 'work_dirs/benchmark-v2-tuning',
                   adaptation_dir: str = 'work_dirs/benchmark-v2/adaptation',
                   quick: bool = False) -> List[Run]:
    """Phase 2 (shared), the validation-split caches, then the trials'
    runs, seed-major."""
    runs: Dict[str, Run] = {}
    for trial in trials:
        for run in plan_v2_runs(
                [paired_method(trial.method)], num_seeds=num_seeds,
                work_root=work_root, quick=quick,
                data_options=V2_VALIDATION_OPTIONS,
                extra_options=trial.options, name_suffix=f'--{trial.name}',
                adaptation_dir=adaptation_dir):
            runs.setdefault(run.name, run)
    steps = [r for r in runs.values() if r.method is None]
    trial_runs = sorted((r for r in runs.values() if r.method is not None),
                        key=lambda r: r.seed)
    return steps + trial_runs


def trial_scores(records: Sequence[dict], trials: Sequence[Trial],
                 reading: str = 'top1_mean_last'
                 ) -> Dict[str, Dict[int, float]]:
    """Validation top-1 of every trial by seed."""
    by_name = {r['name']: r for r in records}
    scores = {}
    for trial in trials:
        seeds = {}
        for seed in range(TUNING_SEEDS):
            record = by_name.get(run_name(trial, seed))
            if record is not None:
                seeds[seed] = float(record[reading])
        scores[trial.name] = seeds
    return scores


def option_label(option: str) -> str:
    """``a.b.c.key=value`` as ``c.key=value`` (the value kept whole)."""
    key, sep, value = option.partition('=')
    return '.'.join(key.split('.')[-2:]) + sep + value


def tuning_markdown(records: Sequence[dict],
                    trial_sets: Dict[str, Sequence[Trial]],
                    reading: str = 'top1_mean_last',
                    shipped: Optional[Dict[str, str]] = None) -> str:
    """Per set: each trial's validation top-1 per seed and mean, the winner
    (best mean over both seeds) and its paired difference to the set's
    shipped trial (``shipped[set]``; default: the set's first trial)."""
    lines = []
    for set_name, trials in trial_sets.items():
        scores = trial_scores(records, trials, reading)
        lines += [f'### {set_name}', '',
                  '| trial | changed | seed 0 | seed 1 | mean |',
                  '|---|---|---|---|---|']
        complete = {}
        for trial in trials:
            seeds = scores[trial.name]
            values = [f'{seeds[s]:.2f}' if s in seeds else '-'
                      for s in range(TUNING_SEEDS)]
            mean = '-'
            if len(seeds) == TUNING_SEEDS:
                complete[trial.name] = sum(seeds.values()) / TUNING_SEEDS
                mean = f'{complete[trial.name]:.2f}'
            changed = ', '.join(f'`{option_label(o)}`'
                                for o in trial.options) or 'no change'
            lines.append(f'| {trial.name} | {changed} | {" | ".join(values)} '
                         f'| {mean} |')
        if complete:
            best = max(complete, key=complete.get)
            first = (shipped or {}).get(set_name, trials[0].name)
            line = (f'\nBest mean of the {len(complete)}/{len(trials)} '
                    f'complete trials: **{best}** ({complete[best]:.2f})')
            if best != first and first in complete:
                mean, _, low, high = paired_interval(
                    [scores[best][s] for s in range(TUNING_SEEDS)],
                    [scores[first][s] for s in range(TUNING_SEEDS)])
                line += (f'; against {first}: {mean:+.2f} '
                         f'[{low:+.2f}, {high:+.2f}] (2 seeds)')
            lines.append(line + '.')
        lines.append('')
    return '\n'.join(lines)


def tuning_results_dir(root: str = 'docs/results/benchmark/v2') -> str:
    """Where the tuning records go."""
    return osp.join(root, 'tuning')
