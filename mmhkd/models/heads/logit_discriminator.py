"""Discriminator on logits with a teacher/student unit and a category head.

KSANC (arXiv 1904.05100), framework figure, "Discriminator" inset:
``BN -> FC -> BN, ReLU -> FC -> BN, ReLU -> FC``, whose output holds one
teacher/student unit and C category units (AC-GAN style). The normalisation
is an option (ours): the figure's BatchNorm, spectral normalisation of the
FC layers (Miyato et al. 2018) or none.
"""
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmrazor.registry import MODELS
from torch.nn.utils.parametrizations import spectral_norm

NORMS = ('batch', 'spectral', 'none')


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
        norm (str): ``'batch'`` (default, the paper's figure): BatchNorm
            before the first FC and after each hidden FC; D's output for a
            sample then depends on the rest of its batch. ``'spectral'``:
            no BatchNorm, spectral normalisation of every FC (a
            Lipschitz-bounded D, ours). ``'none'``: plain FC/ReLU layers.
        init_cfg (dict, optional): mmengine initialisation config.
    """

    def __init__(self,
                 num_classes: int,
                 hidden_channels: int = 256,
                 in_channels: Optional[int] = None,
                 norm: str = 'batch',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        in_channels = num_classes if in_channels is None else in_channels
        _check_positive('num_classes', num_classes)
        _check_positive('hidden_channels', hidden_channels)
        _check_positive('in_channels', in_channels)
        self.num_classes = num_classes
        self.hidden_channels = hidden_channels
        self.in_channels = in_channels
        if norm not in NORMS:
            raise ValueError(f'norm={norm!r} is not supported; allowed: '
                             f'{NORMS}')
        self.norm = norm
        self.layers = nn.Sequential(*self._build_layers(
            in_channels, hidden_channels, 1 + num_classes, norm))

    @staticmethod
    def _build_layers(in_channels: int, hidden: int, out_channels: int,
                      norm: str) -> List[nn.Module]:
        widths = [(in_channels, hidden), (hidden, hidden),
                  (hidden, out_channels)]
        layers: List[nn.Module] = []
        if norm == 'batch':
            layers.append(nn.BatchNorm1d(in_channels))
        for i, (c_in, c_out) in enumerate(widths):
            fc = nn.Linear(c_in, c_out)
            layers.append(spectral_norm(fc) if norm == 'spectral' else fc)
            if i < len(widths) - 1:
                if norm == 'batch':
                    layers.append(nn.BatchNorm1d(c_out))
                layers.append(nn.ReLU())
        return layers

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
        (biases and BN affine parameters are left out, ours). With
        ``norm='spectral'`` these are the unnormalised weights."""
        matrices = []
        for m in self.layers:
            if isinstance(m, nn.Linear):
                parametrized = getattr(m, 'parametrizations', None)
                matrices.append(parametrized.weight.original
                                if parametrized is not None else m.weight)
        return matrices
