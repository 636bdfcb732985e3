"""A term that ties the student's attention maps to the teacher's (ours).

In KSANC/HKSANC (arXiv 1904.05100) only the squeezed descriptors are
compared; nothing asks the student to look where the teacher looks. This
loss does, with ``KL(M_T || M_S)`` per supervised stage.
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmrazor.registry import MODELS

from .weights import check_loss_weight

MAP_EPS = 1e-12


def resize_map(attention: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """Resize a (N, 1, H, W) map that sums to 1 to ``size`` by area, keeping
    the sum 1 (mass of the covered positions, renormalised)."""
    if tuple(attention.shape[2:]) == tuple(size):
        return attention
    resized = F.adaptive_avg_pool2d(attention, size)
    return resized / resized.flatten(1).sum(1).view(-1, 1, 1, 1)


def map_kl(student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """``mean_N KL(M_T || M_S)`` for (N, 1, H, W) maps that sum to 1; the
    teacher's is detached (and resized to the student's H x W if needed)."""
    teacher = resize_map(teacher.detach(), student.shape[2:]).flatten(1)
    student = student.flatten(1)
    return (teacher * (torch.log(teacher + MAP_EPS) -
                       torch.log(student + MAP_EPS))).sum(1).mean()


@MODELS.register_module()
class AttentionMapLoss(nn.Module):
    """``L_map = sum_i w_i KL(M_T^i || M_S^i)`` over the supervised stages.

    The maps are the attention estimators' outputs,
    ``M = softmax_HW(conv1x1(act(L + proj(g))))``, which sum to 1 over
    H x W; a teacher map of another resolution is resized to the student's
    by area (:func:`resize_map`). Teacher maps are detached.

    Args:
        loss_weight (float): Weight of the loss, >= 0. Default 1.0.
        stage_weights (Sequence[float], optional): One non-negative weight
            per stage; ``None`` (default) weighs every stage 1.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 stage_weights: Optional[Sequence[float]] = None) -> None:
        super().__init__()
        check_loss_weight('AttentionMapLoss', loss_weight)
        if stage_weights is not None:
            stage_weights = [float(w) for w in stage_weights]
            if not stage_weights or any(w < 0 for w in stage_weights):
                raise ValueError('stage_weights must be a non-empty sequence '
                                 f'of non-negative numbers, got '
                                 f'{stage_weights!r}')
        self.loss_weight = loss_weight
        self.stage_weights = stage_weights

    def forward(self, student_maps: Sequence[torch.Tensor],
                teacher_maps: Sequence[torch.Tensor]) -> torch.Tensor:
        """Return ``loss_weight * L_map``.

        Args:
            student_maps (Sequence[Tensor]): (N, 1, H_i, W_i) per stage, with
                gradient.
            teacher_maps (Sequence[Tensor]): (N, 1, H'_i, W'_i), same order.
        """
        num = len(student_maps)
        if num == 0 or num != len(teacher_maps):
            raise ValueError(
                f'got {num} student and {len(teacher_maps)} teacher maps; '
                'need the same, non-zero number of stages')
        weights = self.stage_weights or [1.0] * num
        if len(weights) != num:
            raise ValueError(f'stage_weights has {len(weights)} entries but '
                             f'{num} stages were given')
        total = student_maps[0].new_zeros(())
        for i, (s, t, w) in enumerate(zip(student_maps, teacher_maps,
                                          weights)):
            if s.dim() != 4 or t.dim() != 4 or s.shape[:2] != t.shape[:2]:
                raise ValueError(
                    f'stage {i}: maps must be (N, 1, H, W) with the same N, '
                    f'got {tuple(s.shape)} and {tuple(t.shape)}')
            total = total + w * map_kl(s, t)
        return self.loss_weight * total
