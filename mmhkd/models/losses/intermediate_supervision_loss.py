"""Intermediate supervision loss of KSANC / HKSANC."""
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmrazor.registry import MODELS

from .squared_error import check_reduction, squared_error
from .weights import check_loss_weight

STANDARDIZE_EPS = 1e-5


def standardize_over_batch(x: torch.Tensor,
                           eps: float = STANDARDIZE_EPS) -> torch.Tensor:
    """Per-channel standardisation over the batch: ``(x - mean_N) / std_N``.

    Removes each channel's batch mean (what a bias can absorb) and puts every
    channel on unit scale, as PKD (Cao et al. 2022) and DIST (Huang et al.
    2022) do before comparing features. ``std`` is the biased batch standard
    deviation; ``eps`` is added to the variance.
    """
    if x.shape[0] < 2:
        raise ValueError('standardize=True needs at least 2 samples per '
                         f'batch to estimate the batch statistics, got '
                         f'shape {tuple(x.shape)}')
    x = x.flatten(1)
    mean = x.mean(dim=0, keepdim=True)
    var = x.var(dim=0, unbiased=False, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps)


@MODELS.register_module()
class IntermediateSupervisionLoss(nn.Module):
    """``L_is = sum_i w_i ||s_S^i - s_T^i||_2^2`` over the squeezed
    descriptors of the supervised stages (KSANC arXiv 1904.05100,
    intermediate supervision; the per-stage weights are ours), times
    ``loss_weight``. Teacher descriptors are detached.

    Three readings of the distance (docs/method.md, "Intermediate
    supervision"):

    * raw (default): the paper's squared distance.
    * ``normalize=True``: both descriptors are L2-normalised per sample, so
      the per-sample distance is ``2 - 2 cos(s_S, s_T)`` (summed over
      channels; the default reduction becomes ``'sum'``).
    * ``standardize=True`` (ours): each channel is standardised over the
      batch on each side first (:func:`standardize_over_batch`). The batch
      mean (most of a descriptor's energy, and what a bias absorbs) no longer
      counts, and every channel weighs the same; with ``reduction='mean'``
      the stage loss is ``2 - 2 * mean_channels(Pearson correlation over the
      batch)``. Combined with ``normalize``, standardisation comes first.

    Args:
        loss_weight (float): Weight of the loss (the paper's lambda_3), >= 0.
            Default 1.0.
        stage_weights (Sequence[float], optional): One non-negative weight
            per stage; ``None`` (default) weighs every stage 1, as the
            paper's unweighted sum does.
        normalize (bool): L2-normalise each descriptor (per sample) before
            the distance. Default False, the paper's raw distance.
        standardize (bool): Standardise each channel over the batch on both
            sides before the distance. Default False.
        reduction (str, optional): ``'mean'``: mean over channels and batch,
            which keeps stages of different widths on one scale. ``'sum'``:
            sum over channels, mean over batch (the paper's squared norm
            literally). ``None`` (default) means ``'sum'`` with
            ``normalize=True`` (the sum of ``2 - 2 cos``, in [0, 4]) and
            ``'mean'`` otherwise.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 stage_weights: Optional[Sequence[float]] = None,
                 normalize: bool = False,
                 standardize: bool = False,
                 reduction: Optional[str] = None) -> None:
        super().__init__()
        check_loss_weight('IntermediateSupervisionLoss', loss_weight)
        if reduction is None:
            reduction = 'sum' if normalize else 'mean'
        check_reduction(reduction)
        if stage_weights is not None:
            stage_weights = [float(w) for w in stage_weights]
            if not stage_weights or any(w < 0 for w in stage_weights):
                raise ValueError('stage_weights must be a non-empty sequence '
                                 f'of non-negative numbers, got '
                                 f'{stage_weights!r}')
        self.loss_weight = loss_weight
        self.stage_weights = stage_weights
        self.normalize = normalize
        self.standardize = standardize
        self.reduction = reduction

    def stage_distance(self, student: torch.Tensor,
                       teacher: torch.Tensor) -> torch.Tensor:
        """The unweighted distance of one stage's (N, F) descriptors."""
        teacher = teacher.detach()
        if self.standardize:
            student = standardize_over_batch(student)
            teacher = standardize_over_batch(teacher)
        if self.normalize:
            student = F.normalize(student.flatten(1), dim=1)
            teacher = F.normalize(teacher.flatten(1), dim=1)
        return squared_error(student, teacher, self.reduction)

    def forward(self, student_descriptors: Sequence[torch.Tensor],
                teacher_descriptors: Sequence[torch.Tensor]) -> torch.Tensor:
        """Return ``loss_weight * L_is``.

        Args:
            student_descriptors (Sequence[Tensor]): (N, F_i) per stage.
            teacher_descriptors (Sequence[Tensor]): Same shapes, same order.
        """
        num = len(student_descriptors)
        if num == 0 or num != len(teacher_descriptors):
            raise ValueError(
                f'got {num} student and {len(teacher_descriptors)} teacher '
                'descriptors; need the same, non-zero number of stages')
        weights = self.stage_weights or [1.0] * num
        if len(weights) != num:
            raise ValueError(f'stage_weights has {len(weights)} entries but '
                             f'{num} stages were given')
        total = student_descriptors[0].new_zeros(())
        for i, (s, t, w) in enumerate(
                zip(student_descriptors, teacher_descriptors, weights)):
            if s.shape != t.shape:
                raise ValueError(
                    f'stage {i}: student descriptor shape {tuple(s.shape)} '
                    f'differs from teacher descriptor shape {tuple(t.shape)}')
            total = total + w * self.stage_distance(s, t)
        return self.loss_weight * total
