"""Discriminator on logits with a teacher/student unit and a category head.

KSANC (arXiv 1904.05100), framework figure, "Discriminator" inset:
``BN -> FC -> BN, ReLU -> FC -> BN, ReLU -> FC``, whose output holds one
teacher/student unit and C category units (AC-GAN style).
"""
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmrazor.registry import MODELS


def _check_positive(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f'{name} must be a positive int, got {value!r}')


@MODELS.register_module()
class LogitDiscriminator(BaseModule):
    """Teacher/student discriminator with an AC-GAN category head (KSANC).

    Output column 0 is the teacher/student unit, a logit (positive means
    "teacher"); columns ``1:`` are the C category logits.

    Args:
        num_classes (int): Number of categories C.
        hidden_channels (int): Width of both hidden layers. Default 256
            (ours: the paper does not give it; 256 is wider than C for
            CIFAR-100 yet small next to the student).
        in_channels (int, optional): Input width; ``None`` (default) means
            ``num_classes``, the width of the logits it judges.
        init_cfg (dict, optional): mmengine initialisation config.
    """

    def __init__(self,
                 num_classes: int,
                 hidden_channels: int = 256,
                 in_channels: Optional[int] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        in_channels = num_classes if in_channels is None else in_channels
        _check_positive('num_classes', num_classes)
        _check_positive('hidden_channels', hidden_channels)
        _check_positive('in_channels', in_channels)
        self.num_classes = num_classes
        self.hidden_channels = hidden_channels
        self.in_channels = in_channels
        self.layers = nn.Sequential(
            nn.BatchNorm1d(in_channels),
            nn.Linear(in_channels, hidden_channels),
            nn.BatchNorm1d(hidden_channels),
            nn.ReLU(),
            nn.Linear(hidden_channels, hidden_channels),
            nn.BatchNorm1d(hidden_channels),
            nn.ReLU(),
            nn.Linear(hidden_channels, 1 + num_classes),
        )

    def forward(self, logits: torch.Tensor) -> torch.Tensor:
        """Score logits.

        Args:
            logits (Tensor): (N, in_channels) teacher or student logits.

        Returns:
            Tensor: (N, 1 + num_classes) scores; see :meth:`split_outputs`.
        """
        if logits.dim() != 2 or logits.shape[1] != self.in_channels:
            raise ValueError(
                f'LogitDiscriminator expects (N, {self.in_channels}) '
                f'logits (in_channels={self.in_channels}), got shape '
                f'{tuple(logits.shape)}')
        return self.layers(logits)

    @staticmethod
    def split_outputs(
            out: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Split scores into the adversarial logit (N,) and class logits
        (N, C)."""
        if out.dim() != 2 or out.shape[1] < 2:
            raise ValueError('discriminator scores must be (N, 1 + C) with '
                             f'C >= 1, got shape {tuple(out.shape)}')
        return out[:, 0], out[:, 1:]

    def weight_matrices(self) -> List[torch.Tensor]:
        """The Linear layers' weight matrices, the ``omega_D`` that the
        paper's regulariser ``mu (|omega_D| + ||omega_D||^2)`` penalises
        (biases and BN affine parameters are left out, ours)."""
        return [m.weight for m in self.layers if isinstance(m, nn.Linear)]
