"""Pre-activation bottleneck ResNet-(9n+2) (He et al., ECCV 2016).

ResNet-164 on CIFAR: a 3x3 stem, then three stages of ``n`` bottlenecks
(BN-ReLU-conv1x1, BN-ReLU-conv3x3, BN-ReLU-conv1x1, widths 16/32/64 expanded
x4), so the stage outputs are 64x32x32, 128x16x16 and 256x8x8: the teacher of
the HKSANC paper's framework figure.
"""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS

from .cifar_resnet import check_out_indices


class PreActBottleneck(nn.Module):
    """Pre-activation bottleneck; 1x1 conv projection when the shape changes.

    Args:
        in_channels (int): Input width.
        mid_channels (int): Bottleneck width (output is 4x this).
        stride (int): Stride of the 3x3 conv.
    """
    expansion = 4

    def __init__(self, in_channels: int, mid_channels: int,
                 stride: int) -> None:
        super().__init__()
        out_channels = mid_channels * self.expansion
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.conv1 = nn.Conv2d(in_channels, mid_channels, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(mid_channels)
        self.conv2 = nn.Conv2d(
            mid_channels, mid_channels, 3, stride, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(mid_channels)
        self.conv3 = nn.Conv2d(mid_channels, out_channels, 1, bias=False)
        self.projection = None
        if stride != 1 or in_channels != out_channels:
            self.projection = nn.Conv2d(
                in_channels, out_channels, 1, stride, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pre = F.relu(self.bn1(x))
        shortcut = x if self.projection is None else self.projection(pre)
        out = self.conv1(pre)
        out = self.conv2(F.relu(self.bn2(out)))
        out = self.conv3(F.relu(self.bn3(out)))
        return out + shortcut


@MODELS.register_module()
class PreActBottleneckResNet(BaseModule):
    """Pre-activation bottleneck ResNet-(9n+2) for CIFAR-sized images.

    Intermediate stage outputs are the raw residual streams; the last stage
    is returned after the final BN-ReLU, i.e. exactly what the classifier
    pools.

    Args:
        depth (int): 9n+2, e.g. 29, 56, 164.
        base_channels (int): Bottleneck width of the first stage; stages use
            1x, 2x, 4x of it and output 4x that. Defaults to 16 (outputs
            64/128/256).
        in_channels (int): Image channels. Defaults to 3.
        out_indices (Sequence[int]): Stages returned. Defaults to (2,).
        init_cfg (dict | list, optional): Initialisation config.
    """

    def __init__(self,
                 depth: int,
                 base_channels: int = 16,
                 in_channels: int = 3,
                 out_indices: Sequence[int] = (2, ),
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if depth < 11 or (depth - 2) % 9:
            raise ValueError('PreActBottleneckResNet depth must be 9n+2 with '
                             f'n >= 1 (11, 29, 56, 164), got {depth}.')
        self.depth = depth
        self.out_indices = check_out_indices(out_indices, 3)
        blocks_per_stage = (depth - 2) // 9
        self.stem = nn.Conv2d(in_channels, base_channels, 3, 1, 1, bias=False)
        width = base_channels
        stages = []
        for index in range(3):
            mid = base_channels * 2**index
            blocks = []
            for block_index in range(blocks_per_stage):
                stride = 2 if index > 0 and block_index == 0 else 1
                blocks.append(PreActBottleneck(width, mid, stride))
                width = mid * PreActBottleneck.expansion
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.ModuleList(stages)
        self.stage_channels = tuple(base_channels * 2**i *
                                    PreActBottleneck.expansion
                                    for i in range(3))
        self.final_norm = nn.BatchNorm2d(width)

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
            if index == len(self.stages) - 1:
                x = F.relu(self.final_norm(x))
            if index in self.out_indices:
                outs.append(x)
        return tuple(outs)
