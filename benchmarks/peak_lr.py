"""The student's one-cycle peak learning rate as ``--cfg-options``.

The v2 protocol trains every student with mmengine's ``OneCycleLR``
(peak 0.1, docs/benchmark.md). A regime with another peak sets it for
every method alike; where the key lives depends on the method's config:

- a plain or MMRazor config: one optimizer (``optim_wrapper.optimizer``)
  and ``param_scheduler`` as one scheduler or a list;
- an HKSANC config: a student and a discriminator optimizer
  (``optim_wrapper.student.optimizer``, ``param_scheduler.student``); the
  discriminator's schedule is left as it is.
"""
import os.path as osp
from typing import List, Optional

from mmengine.config import Config

ONE_CYCLE = 'OneCycleLR'


def regime_dir(peak_lr: Optional[float]) -> str:
    """The sub-folder of a regime's runs and records ('' for the v2 one)."""
    return '' if peak_lr is None else f'peak-lr-{peak_lr:g}'


def regime_root(root: str, peak_lr: Optional[float]) -> str:
    """``root`` for the v2 regime, ``root/peak-lr-<value>`` for another."""
    return root if peak_lr is None else osp.join(root, regime_dir(peak_lr))


def _one_cycle_key(schedulers, prefix: str, config: str) -> str:
    """The ``eta_max`` key of the one ``OneCycleLR`` in ``schedulers``."""
    if isinstance(schedulers, dict):
        if schedulers.get('type') == ONE_CYCLE:
            return f'{prefix}.eta_max'
        schedulers = []
    found = [i for i, s in enumerate(schedulers)
             if isinstance(s, dict) and s.get('type') == ONE_CYCLE]
    if len(found) != 1:
        raise ValueError(f'{config}: expected one {ONE_CYCLE} in {prefix}, '
                         f'found {len(found)}; a peak learning rate applies '
                         'only to the one-cycle schedule of the v2 protocol')
    return f'{prefix}.{found[0]}.eta_max'


def peak_lr_options(config: str, peak_lr: float) -> List[str]:
    """``--cfg-options`` that give ``config``'s student a one-cycle peak of
    ``peak_lr`` (its optimizer's ``lr`` and the scheduler's ``eta_max``).

    Raises:
        ValueError: ``peak_lr`` is not positive, or the config has no single
            ``OneCycleLR`` for the student.
    """
    if not peak_lr > 0:
        raise ValueError(f'peak_lr must be a positive learning rate, got '
                         f'{peak_lr!r}')
    cfg = Config.fromfile(config)
    schedulers = cfg.param_scheduler
    if isinstance(schedulers, dict) and 'student' in schedulers:
        optimizer = 'optim_wrapper.student.optimizer.lr'
        eta_max = _one_cycle_key(schedulers['student'],
                                 'param_scheduler.student', config)
    else:
        optimizer = 'optim_wrapper.optimizer.lr'
        eta_max = _one_cycle_key(schedulers, 'param_scheduler', config)
    return [f'{optimizer}={peak_lr:g}', f'{eta_max}={peak_lr:g}']
