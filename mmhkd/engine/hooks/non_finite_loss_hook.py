"""Stop training before broken weights are saved as a "good" checkpoint.

A diverged run otherwise keeps training on NaN weights and the
``CheckpointHook`` (priority ``VERY_LOW``) writes them over the run's
checkpoints. Worse, the update that breaks the weights can still have a
finite loss (a learning rate multiplied by 1e40 gives finite weights of
about 1e38): the epoch's checkpoint would hold weights that lead to a
non-finite loss at the next step. :class:`NonFiniteLossHook` (priority
``LOW``: after the ``LoggerHook``, before the ``CheckpointHook``) therefore
judges the weights by what they do, three ways:

1. every training iteration's logged values must be finite;
2. every iteration, the norm of the trainable weights must stay finite
   (and, when ``max_norm_growth`` is set, grow by at most that factor in
   one update: off by default, since smoke tests with random teachers
   legitimately make 1000x jumps in their first steps);
3. before every checkpoint that ``CheckpointHook`` writes (each epoch, or
   each ``interval`` iterations), the model's prediction on the last
   training batch, in eval mode without gradient, must be finite.

The message names the failure, the iteration, the last checkpoint on disk
(which the hook kept from being overwritten) and how to go on: ``--resume``
restores the optimizer and scheduler, learning rate included, so the advice
is a new run from those weights (``load_from``) with other settings.
"""
import glob
import math
import os.path as osp
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


def trainable_norm(model: torch.nn.Module) -> float:
    """L2 norm of all trainable parameters (inf or nan when broken)."""
    total = 0.0
    with torch.no_grad():
        for param in model.parameters():
            if param.requires_grad:
                total += float(param.detach().double().pow(2).sum())
    return math.sqrt(total) if math.isfinite(total) else total


def non_finite_predictions(outputs) -> bool:
    """Whether any score of ``val_step`` outputs is NaN or infinite."""
    for sample in outputs or []:
        for name in ('pred_score', 'pred_label'):
            value = getattr(sample, name, None)
            if isinstance(value, torch.Tensor) and value.is_floating_point() \
                    and not bool(torch.isfinite(value).all()):
                return True
        if isinstance(sample, torch.Tensor) and sample.is_floating_point() \
                and not bool(torch.isfinite(sample).all()):
            return True
    return False


def last_checkpoint_on_disk(work_dir: str) -> Optional[str]:
    """The newest ``epoch_*.pth`` / ``iter_*.pth`` of ``work_dir``."""
    found = glob.glob(osp.join(work_dir, 'epoch_*.pth')) + glob.glob(
        osp.join(work_dir, 'iter_*.pth'))
    return max(found, key=osp.getmtime) if found else None


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Raise ``FloatingPointError`` before non-finite or diverged weights
    can be checkpointed.

    Args:
        max_norm_growth (float, optional): Largest factor by which one
            update may grow the norm of the trainable weights; None (the
            default) checks only that it stays finite.
    """

    priority = 'LOW'  # after LoggerHook, before CheckpointHook (VERY_LOW)

    def __init__(self, max_norm_growth: Optional[float] = None) -> None:
        if max_norm_growth is not None and not max_norm_growth > 1.0:
            raise ValueError('NonFiniteLossHook: max_norm_growth must be > 1,'
                             f' got {max_norm_growth!r}')
        self.max_norm_growth = max_norm_growth
        self._norm: Optional[float] = None
        self._last_batch = None

    def before_train(self, runner) -> None:
        self._norm = trainable_norm(runner.model)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        """Check this iteration's logged values and the update's size; then
        the weights themselves when a checkpoint is due.

        Raises:
            FloatingPointError: Naming what is broken and the iteration.
        """
        self._last_batch = data_batch
        where = (f'iteration {runner.iter + 1} (epoch {runner.epoch + 1}, '
                 f'batch {batch_idx + 1})')
        bad = non_finite_terms(outputs)
        if bad:
            self._stop(runner, f'Non-finite loss at {where}: '
                       f'{", ".join(bad)}.')
        norm = trainable_norm(runner.model)
        before, self._norm = self._norm, norm
        if not math.isfinite(norm):
            self._stop(runner, f'Non-finite weights after the update of '
                       f'{where} (norm of the trainable weights: {norm}).')
        if (self.max_norm_growth and before
                and norm > self.max_norm_growth * before):
            self._stop(runner, f'Diverging update at {where}: the norm of '
                       f'the trainable weights grew from {before:.4g} to '
                       f'{norm:.4g} (more than max_norm_growth='
                       f'{self.max_norm_growth:g} times) although the loss '
                       'was still finite.')
        if self._checkpoint_due(runner, after_epoch=False):
            self._check_predictions(runner, where)

    def after_train_epoch(self, runner) -> None:
        """Before the epoch's checkpoint: the weights must predict finite
        scores on the last training batch."""
        if self._checkpoint_due(runner, after_epoch=True):
            self._check_predictions(runner, f'the end of epoch '
                                    f'{runner.epoch + 1}')

    def _checkpoint_due(self, runner, after_epoch: bool) -> bool:
        hook = next((h for h in runner.hooks
                     if type(h).__name__ == 'CheckpointHook'), None)
        if hook is None:
            return after_epoch
        if hook.by_epoch != after_epoch:
            return False
        count = runner.epoch + 1 if after_epoch else runner.iter + 1
        return hook.interval > 0 and count % hook.interval == 0 or (
            after_epoch and runner.epoch + 1 == runner.max_epochs)

    def _check_predictions(self, runner, where: str) -> None:
        if self._last_batch is None:
            return
        model = runner.model
        was_training = model.training
        try:
            with torch.no_grad():
                outputs = model.val_step(self._last_batch)
        finally:
            model.train(was_training)
        if non_finite_predictions(outputs):
            self._stop(runner, f'Non-finite predictions at {where}: the '
                       'weights give NaN or infinite scores on the last '
                       'training batch, although every loss was finite.')

    @staticmethod
    def _stop(runner, what: str) -> None:
        last = last_checkpoint_on_disk(runner.work_dir)
        if last is None:
            kept = (f'No checkpoint had been written to {runner.work_dir}; '
                    'nothing was overwritten.')
            advice = ('Lower the learning rate or the weight of the '
                      'offending term and start again.')
        else:
            kept = (f'Training stopped before these weights could be '
                    f'checkpointed: {last} is the last checkpoint, and the '
                    'last weights that trained normally.')
            advice = (
                '--resume would restore the optimizer and scheduler '
                '(learning rate included) and meet the same failure. Start '
                'a new run from those weights with other settings instead: '
                f'python tools/train.py CONFIG --work-dir NEW_DIR '
                f'--cfg-options load_from={last} and a lower learning rate '
                '(e.g. optim_wrapper...lr=...) or a lower weight of the '
                'offending term.')
        raise FloatingPointError(f'{what} {kept} {advice}')
