"""The global-descriptor neck of the KSANC/HKSANC framework figure.

The last stage's features go through a channel-transform convolution (e.g.
256->128 for the teacher, 64->128 for the student) and global average
pooling; the resulting vector ``g^b`` feeds the classifier and is the query of
every task-driven attention estimator (KSANC, arXiv 1904.05100, Fig. 2).
"""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS


@MODELS.register_module()
class GlobalDescriptorNeck(BaseModule):
    """Channel-transform conv + GAP on the last stage, keeping the stages.

    Returns ``(*inputs, descriptor)``: the backbone stages unchanged followed
    by the ``(N, out_channels)`` descriptor. mmpretrain heads read the last
    element, so the classifier sees the descriptor, and a single recorder on
    this neck gives a connector both the stage maps and the query.

    Args:
        in_channels (int): Width of the last backbone stage.
        out_channels (int): Descriptor width. Defaults to 128 (paper's figure).
        norm_act (bool): Follow the 1x1 conv with BN + ReLU (ours; the paper
            only says "channel transform convolution"). Defaults to True.
        init_cfg (dict | list, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int = 128,
                 norm_act: bool = True,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.out_channels = out_channels
        layers: list = [
            nn.Conv2d(in_channels, out_channels, 1, bias=not norm_act)
        ]
        if norm_act:
            layers += [nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True)]
        self.transform = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(
        self, inputs: Sequence[torch.Tensor]
    ) -> Tuple[torch.Tensor, ...]:
        if isinstance(inputs, torch.Tensor):
            inputs = (inputs, )
        last = inputs[-1]
        if last.dim() != 4 or last.shape[1] != self.in_channels:
            raise ValueError(
                'GlobalDescriptorNeck expects the last backbone stage as '
                f'(N, {self.in_channels}, H, W), got {tuple(last.shape)}: set '
                'in_channels to the width of the backbone\'s last out_index.')
        descriptor = self.pool(self.transform(last)).flatten(1)
        return (*inputs, descriptor)
