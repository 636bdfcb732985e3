"""Basic-block ResNets for 32x32 inputs (He et al., CVPR 2016, Sec. 4.2).

ResNet-(6n+2): a 3x3 stem without pooling, then three stages of ``n`` basic
blocks at 32x32, 16x16 and 8x8 (16/32/64 channels for ResNet-20/32/44/56/110).
The classic nets use parameter-free identity shortcuts ("option A": stride-2
subsampling and zero channel padding); the wide CIFAR-100 benchmark nets of
RepDistiller (``resnet8x4``, ``resnet32x4``: stem 32, stages 64/128/256) use
1x1 conv + BN projections ("option B").
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS

SHORTCUTS = ('identity', 'projection')


class PaddedIdentityShortcut(nn.Module):
    """Option-A shortcut: subsample by ``stride`` and zero-pad channels.

    Args:
        in_channels (int): Input width.
        out_channels (int): Output width (>= in_channels).
        stride (int): Spatial subsampling factor.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 stride: int) -> None:
        super().__init__()
        if out_channels < in_channels:
            raise ValueError('An identity shortcut cannot reduce channels '
                             f'({in_channels} -> {out_channels}); use '
                             "shortcut='projection'.")
        self.extra_channels = out_channels - in_channels
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride > 1:
            x = x[:, :, ::self.stride, ::self.stride]
        if self.extra_channels:
            x = F.pad(x, (0, 0, 0, 0, 0, self.extra_channels))
        return x


def make_shortcut(kind: str, in_channels: int, out_channels: int,
                  stride: int) -> nn.Module:
    """Build the shortcut of a residual block (identity when shapes match)."""
    if stride == 1 and in_channels == out_channels:
        return nn.Identity()
    if kind == 'identity':
        return PaddedIdentityShortcut(in_channels, out_channels, stride)
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
        nn.BatchNorm2d(out_channels))


class BasicBlock(nn.Module):
    """Post-activation basic block: conv3x3-BN-ReLU-conv3x3-BN, add, ReLU."""

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 shortcut: str) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(
            in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = make_shortcut(shortcut, in_channels, out_channels,
                                      stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


def check_out_indices(out_indices: Sequence[int],
                      num_stages: int) -> Tuple[int, ...]:
    """Validate stage indices (negative ones count from the end)."""
    resolved = []
    for index in out_indices:
        if not -num_stages <= index < num_stages:
            raise ValueError(f'out_indices entry {index} is out of range for '
                             f'a backbone with {num_stages} stages.')
        resolved.append(index % num_stages)
    return tuple(resolved)


@MODELS.register_module()
class CifarResNet(BaseModule):
    """Basic-block ResNet-(6n+2) for CIFAR-sized images.

    Args:
        depth (int): 6n+2, e.g. 8, 14, 20, 32, 44, 56, 110.
        stage_channels (Sequence[int]): Widths of the three stages.
            Defaults to (16, 32, 64) (He et al.); (64, 128, 256) with
            ``stem_channels=32`` gives RepDistiller's resnet8x4/resnet32x4.
        stem_channels (int, optional): Width of the 3x3 stem. Defaults to
            ``stage_channels[0]``.
        shortcut (str): 'identity' (option A, parameter-free, default, as in
            the classic CIFAR nets) or 'projection' (1x1 conv + BN).
        in_channels (int): Image channels. Defaults to 3.
        out_indices (Sequence[int]): Stages whose outputs are returned, as a
            tuple. Defaults to (2,).
        init_cfg (dict | list, optional): Initialisation config.
    """

    def __init__(self,
                 depth: int,
                 stage_channels: Sequence[int] = (16, 32, 64),
                 stem_channels: Optional[int] = None,
                 shortcut: str = 'identity',
                 in_channels: int = 3,
                 out_indices: Sequence[int] = (2, ),
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if depth < 8 or (depth - 2) % 6:
            raise ValueError(f'CifarResNet depth must be 6n+2 with n >= 1 '
                             f'(8, 14, 20, 32, 44, 56, 110), got {depth}.')
        if shortcut not in SHORTCUTS:
            raise ValueError(f'shortcut must be one of {SHORTCUTS}, '
                             f'got {shortcut!r}.')
        if len(stage_channels) != 3:
            raise ValueError('stage_channels must give 3 widths, got '
                             f'{tuple(stage_channels)}.')
        self.depth = depth
        self.stage_channels = tuple(stage_channels)
        self.out_indices = check_out_indices(out_indices, 3)
        blocks_per_stage = (depth - 2) // 6
        stem_channels = stem_channels or stage_channels[0]
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, stem_channels, 3, 1, 1, bias=False),
            nn.BatchNorm2d(stem_channels), nn.ReLU(inplace=True))
        width = stem_channels
        stages = []
        for index, out_width in enumerate(stage_channels):
            blocks = []
            for block_index in range(blocks_per_stage):
                stride = 2 if index > 0 and block_index == 0 else 1
                blocks.append(BasicBlock(width, out_width, stride, shortcut))
                width = out_width
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.ModuleList(stages)

    def init_weights(self) -> None:
        """Kaiming-normal convs, unit BN (unless an init_cfg is given)."""
        super().init_weights()
        if self.init_cfg is None:
            for module in self.modules():
                if isinstance(module, nn.Conv2d):
                    nn.init.kaiming_normal_(
                        module.weight, mode='fan_out', nonlinearity='relu')

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x = self.stem(x)
        outs = []
        for index, stage in enumerate(self.stages):
            x = stage(x)
            if index in self.out_indices:
                outs.append(x)
        return tuple(outs)
