"""Tuning trials on a validation split carved from the training images.

docs/benchmark.md (v1 "Tuning"): HKSANC's open weights are tuned on
held-out TRAINING images (``VALIDATION_OPTIONS``: 500 per class held out, the
labelled 1,000 drawn from the rest), never on the test set; the strongest
baseline gets the same number of trials. Each trial is one seed (0) of a
method's own config with a few ``--cfg-options`` changed, one setting at a
time from the defaults (HKSANC) or on a small grid (KD, DKD).
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from .methods import method_by_name
from .suite import VALIDATION_OPTIONS, Run, plan_runs


@dataclass(frozen=True)
class Trial:
    """One tuning trial: ``method``'s config with ``options`` changed."""
    name: str
    method: str
    options: Tuple[str, ...] = ()


_LOSSES = 'model.distiller.distill_losses'
HKSANC_TRIALS: Tuple[Trial, ...] = (
    Trial('defaults', 'hksanc'),
    Trial('lambda1-3', 'hksanc', (f'{_LOSSES}.loss_backbone.loss_weight=3.0', )),
    Trial('lambda2-0.3', 'hksanc',
          ('model.adversarial_loss.loss_weight=0.3', )),
    Trial('lambda3-3', 'hksanc', (f'{_LOSSES}.loss_is.loss_weight=3.0', )),
    Trial('mu-1e-4', 'hksanc',
          ('model.adversarial_loss.regularization_weight=0.0001', )),
    Trial('hidden-128', 'hksanc', ('model.discriminator.hidden_channels=128', )),
    Trial('d-every-2nd-step', 'hksanc', ('model.discriminator_interval=2', )),
    Trial('hierarchical-query', 'hksanc-hierarchical'),
)
KD_TRIALS: Tuple[Trial, ...] = tuple(
    Trial(f'tau{tau}-kd{w}', 'kd',
          (f'{_LOSSES}.loss_kl.tau={tau}', f'{_LOSSES}.loss_kl.loss_weight={w}',
           f'model.architecture.head.loss.loss_weight={round(1 - w, 2)}'))
    for tau in (1, 2, 4, 8) for w in (0.9, 0.5))
DKD_TRIALS: Tuple[Trial, ...] = tuple(
    Trial(f'tau{tau}-beta{beta}', 'dkd',
          (f'{_LOSSES}.loss_dkd.tau={tau}', f'{_LOSSES}.loss_dkd.beta={beta}'))
    for tau in (2, 4) for beta in (1, 2, 4, 8))
TRIAL_SETS: Dict[str, Tuple[Trial, ...]] = dict(
    hksanc=HKSANC_TRIALS, kd=KD_TRIALS, dkd=DKD_TRIALS)
# the benchmark's tuned methods: trial set and winning trial (its best
# validation top-1, tuning.md); configs/tuned/ holds their configs
TUNED_METHODS: Dict[str, Tuple[str, str]] = {
    'kd-tuned': ('kd', 'tau4-kd0.5'),
    'hksanc-tuned': ('hksanc', 'lambda1-3'),
}
# the trial of each set that is the method's config as shipped
DEFAULT_TRIALS: Dict[str, str] = dict(hksanc='defaults', kd='tau4-kd0.9',
                                      dkd='tau4-beta8')


def plan_tuning(trials: Sequence[Trial],
                work_root: str = 'work_dirs/benchmark-tuning',
                quick: bool = False,
                adaptation_root: str = 'work_dirs/benchmark') -> List[Run]:
    """Runs of the trials on the validation split (seed 0), phases first.

    The teacher-attention phases (nothing in them is tuned) are shared with
    the benchmark's (``adaptation_root``).
    """
    runs: Dict[str, Run] = {}
    for trial in trials:
        for run in plan_runs([method_by_name(trial.method)],
                             work_root=work_root, num_seeds=1, quick=quick,
                             extra_options=(*VALIDATION_OPTIONS,
                                            *trial.options),
                             name_suffix=f'--{trial.name}',
                             adaptation_root=adaptation_root):
            runs.setdefault(run.name, run)
    phases = [r for r in runs.values() if r.method is None]
    return phases + [r for r in runs.values() if r.method is not None]


def trial_of(run_name: str, trials: Sequence[Trial]) -> Trial:
    """The trial a run (``<method>--<trial>__seed0``) belongs to."""
    for trial in trials:
        if run_name == f'{trial.method}--{trial.name}__seed0':
            return trial
    raise KeyError(f'{run_name} is not a run of these trials')


def tuning_table(records: Sequence[dict], trials: Sequence[Trial]) -> str:
    """Markdown: trial, method, changed options, validation top-1."""
    by_name = {r['name']: r for r in records}
    lines = ['| trial | method | changed | validation top-1 % |',
             '|---|---|---|---|']
    for trial in trials:
        record = by_name.get(f'{trial.method}--{trial.name}__seed0')
        value = f"{record['top1']:.2f}" if record else 'not run'
        changed = ', '.join(f'`{o}`' for o in trial.options) or 'defaults'
        lines.append(f'| {trial.name} | {trial.method} | {changed} | '
                     f'{value} |')
    return '\n'.join(lines) + '\n'


def best_trial(records: Sequence[dict], trials: Sequence[Trial]
               ) -> Optional[Tuple[Trial, float]]:
    """The trial with the highest validation top-1 (the first on ties).

    Returns:
        The trial and its top-1, or None if none of them has run.
    """
    by_name = {r['name']: r['top1'] for r in records}
    best = None
    for trial in trials:
        top1 = by_name.get(f'{trial.method}--{trial.name}__seed0')
        if top1 is not None and (best is None or top1 > best[1]):
            best = (trial, top1)
    return best


def best_trial_lines(records: Sequence[dict],
                     trial_sets: Dict[str, Sequence[Trial]]) -> str:
    """One Markdown line per trial set: its best trial against its defaults
    (:data:`DEFAULT_TRIALS`)."""
    by_name = {r['name']: r['top1'] for r in records}
    lines = []
    for set_name, trials in trial_sets.items():
        found = best_trial(records, trials)
        if found is None:
            continue
        trial, top1 = found
        ran = sum(f'{t.method}--{t.name}__seed0' in by_name for t in trials)
        versus = ''
        for t in trials:
            if t.name == DEFAULT_TRIALS.get(set_name) and \
                    f'{t.method}--{t.name}__seed0' in by_name:
                versus = (f'; the shipped defaults ({t.name}): '
                          f"{by_name[f'{t.method}--{t.name}__seed0']:.2f}")
        lines.append(f'- {set_name}: best of {ran}/{len(trials)} trials on '
                     f'the validation split is **{trial.name}** '
                     f'({top1:.2f}{versus})')
    return '\n'.join(lines) + ('\n' if lines else '')
