"""Tuning trials on a validation split carved from the training images.

BENCHMARK.md / issue 6: HKSANC's open weights are tuned on held-out TRAINING
images (``VALIDATION_OPTIONS``: 500 per class held out, the labelled 1,000
drawn from the rest), never on the test set; the strongest baseline gets the
same number of trials. Each trial is one seed (0) of a method's own config
with a few ``--cfg-options`` changed, one setting at a time from the
defaults (HKSANC) or on a small grid (KD, DKD).
"""
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

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
