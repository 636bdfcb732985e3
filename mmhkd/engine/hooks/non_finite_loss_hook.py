"""Stop training at the first NaN or infinite loss, before it is saved.

A diverged run otherwise keeps training on NaN weights and the
``CheckpointHook`` (priority ``VERY_LOW``) writes them over the run's
checkpoints. :class:`NonFiniteLossHook` checks the logged values of every
training iteration (``outputs`` of ``after_train_iter``: the log-vars dict of
``train_step``) at priority ``LOW``: after the ``LoggerHook``
(``BELOW_NORMAL``, so the bad iteration is logged when it falls on the
logging interval) and before the ``CheckpointHook`` of that iteration or
epoch. The last good checkpoint is left as it was.
"""
import math
from typing import Dict, List, Optional

import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


def non_finite_terms(outputs: Optional[Dict[str, object]]) -> List[str]:
    """``'name=value'`` of every NaN or infinite number in ``outputs``."""
    bad = []
    for name, value in (outputs or {}).items():
        if isinstance(value, torch.Tensor):
            if value.is_floating_point() and not bool(
                    torch.isfinite(value.detach()).all()):
                shown = (f'{value.item()}' if value.numel() == 1 else
                         'tensor with non-finite entries')
                bad.append(f'{name}={shown}')
        elif isinstance(value, float) and not math.isfinite(value):
            bad.append(f'{name}={value}')
    return bad


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Raise ``FloatingPointError`` when a logged training value is NaN/inf.

    The message names every non-finite term, the iteration (1-based, as
    logged) and the epoch, and says that the checkpoints were not touched.
    """

    priority = 'LOW'  # after LoggerHook, before CheckpointHook (VERY_LOW)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        """Check this iteration's logged values.

        Raises:
            FloatingPointError: Naming the non-finite terms and the
                iteration.
        """
        bad = non_finite_terms(outputs)
        if not bad:
            return
        raise FloatingPointError(
            f'Non-finite loss at iteration {runner.iter + 1} (epoch '
            f'{runner.epoch + 1}, batch {batch_idx + 1}): {", ".join(bad)}. '
            'Training stopped before this iteration could be checkpointed; '
            f'the checkpoints in {runner.work_dir} are those of the last '
            'good save. Lower the learning rate or the weight of that term, '
            'then resume from the last checkpoint (--resume).')
