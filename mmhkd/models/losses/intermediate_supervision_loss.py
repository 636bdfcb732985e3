"""Intermediate supervision loss of KSANC / HKSANC."""
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmrazor.registry import MODELS

from .squared_error import check_reduction, squared_error


@MODELS.register_module()
class IntermediateSupervisionLoss(nn.Module):
    """``L_is = sum_i w_i ||s_S^i - s_T^i||_2^2`` over the squeezed
    descriptors of the supervised stages (KSANC arXiv 1904.05100,
    intermediate supervision; the per-stage weights are ours), times
    ``loss_weight``. Teacher descriptors are detached.

    The defaults below are placeholders: the descriptors' scale follows the
    features' (pre-activation residual streams can be large), so the
    default weights, reduction and normalisation are to be set by
    measurement, not taken from the paper's silence.

    Args:
        loss_weight (float): Weight of the loss (the paper's lambda_3).
            Default 1.0.
        stage_weights (Sequence[float], optional): One non-negative weight
            per stage; ``None`` (default) weighs every stage 1, as the
            paper's unweighted sum does.
        normalize (bool): L2-normalise each descriptor (per sample) before
            the distance, making the loss scale-free. Default False, the
            paper's raw distance.
        reduction (str): ``'mean'`` (default): mean over channels and
            batch, which keeps stages of different widths on one scale.
            ``'sum'``: sum over channels, mean over batch (the paper's
            squared norm literally).
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 stage_weights: Optional[Sequence[float]] = None,
                 normalize: bool = False,
                 reduction: str = 'mean') -> None:
        super().__init__()
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
        self.reduction = reduction

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
            t = t.detach()
            if self.normalize:
                s = F.normalize(s.flatten(1), dim=1)
                t = F.normalize(t.flatten(1), dim=1)
            total = total + w * squared_error(s, t, self.reduction)
        return self.loss_weight * total
