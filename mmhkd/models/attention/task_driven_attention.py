"""Task-driven attention estimator of KSANC / HKSANC.

KSANC (arXiv 1904.05100), "task-driven attention estimator" figure and
equations::

    L_hat = L + conv1x1(g)
    M     = softmax(W_hat * L_hat)
    g_a   = average_pooling(M ⊙ L_hat)

The estimator squeezes one stage's feature map ``L`` (N, C, H, W) into a
C-dim descriptor, with the attention map queried by a descriptor ``g``.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmrazor.registry import MODELS

_ACTS = ('relu', 'tanh', None)
_POOL_SOURCES = ('fused', 'features')
_POOLINGS = ('weighted_sum', 'mean')


def _check_choice(name: str, value: object, allowed: tuple) -> None:
    if value not in allowed:
        raise ValueError(
            f'{name}={value!r} is not supported; allowed: {allowed}')


@MODELS.register_module()
class TaskDrivenAttention(BaseModule):
    """Attention estimator for one stage (KSANC arXiv 1904.05100, HKSANC).

    Steps, for stage features ``L`` (N, C, H, W) and query ``g`` (N, D):

    1. ``b = W_q g`` (a 1x1 conv on a 1x1 map, implemented as ``nn.Linear``).
    2. ``L_hat = L + b`` broadcast over H x W.
    3. ``M = softmax_HW(conv1x1_{C->1}(act(L_hat)))``.
    4. ``s = sum_HW(M * X)`` with ``X = L_hat`` or ``L``.

    Args:
        in_channels (int): Stage width C.
        query_channels (int): Query width D.
        act (str, optional): Nonlinearity between the add and the score,
            ``'relu'`` (default), ``'tanh'`` or ``None``. ``None`` is the
            paper's literal form: the score conv is linear, so the query adds
            the same constant ``w . b`` at every position and the softmax over
            H x W cancels it; the map then depends on ``L`` only and the query
            merely shifts the pooled vector. ReLU is the default because, as
            in additive attention, it makes the map depend on the query.
        pool_source (str): What the map pools. ``'fused'`` (default) pools
            ``L_hat``, as the paper's equation writes; ``'features'`` pools
            ``L``, as the paper's drawing shows.
        pooling (str): ``'weighted_sum'`` (default) sums ``M * X`` over
            H x W, a convex combination of positions that keeps the
            features' scale. ``'mean'`` is the paper's literal
            ``average_pooling``, a further division by H x W; not the
            default because it shrinks a 32 x 32 stage by 1/1024 (an 8 x 8
            one by 1/64), so the intermediate loss nearly vanishes and
            weighs stages unequally.
        init_cfg (dict, optional): mmengine initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 query_channels: int,
                 act: Optional[str] = 'relu',
                 pool_source: str = 'fused',
                 pooling: str = 'weighted_sum',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        for name, value in (('in_channels', in_channels),
                            ('query_channels', query_channels)):
            if (not isinstance(value, int) or isinstance(value, bool)
                    or value <= 0):
                raise ValueError(
                    f'{name} must be a positive int, got {value!r}')
        _check_choice('act', act, _ACTS)
        _check_choice('pool_source', pool_source, _POOL_SOURCES)
        _check_choice('pooling', pooling, _POOLINGS)
        self.in_channels = in_channels
        self.query_channels = query_channels
        self.act = act
        self.pool_source = pool_source
        self.pooling = pooling
        self.query_proj = nn.Linear(query_channels, in_channels)
        self.score = nn.Conv2d(in_channels, 1, kernel_size=1)
        self.activation = {
            'relu': nn.ReLU(),
            'tanh': nn.Tanh(),
            None: nn.Identity()
        }[act]

    def _check_inputs(self, features: torch.Tensor,
                      query: torch.Tensor) -> None:
        if features.dim() != 4:
            raise ValueError('features must be (N, C, H, W), got shape '
                             f'{tuple(features.shape)}')
        if query.dim() != 2:
            raise ValueError(
                f'query must be (N, D), got shape {tuple(query.shape)}')
        if (features.shape[1] != self.in_channels
                or query.shape[1] != self.query_channels):
            raise ValueError(
                f'expected features with in_channels={self.in_channels} and '
                f'query with query_channels={self.query_channels}, got '
                f'{features.shape[1]} and {query.shape[1]} channels')
        self._check_query(query, features.shape[0])

    def _check_query(self, query: torch.Tensor, batch_size: int) -> None:
        """Check the query is (batch_size, query_channels)."""
        if query.dim() != 2 or query.shape[1] != self.query_channels:
            raise ValueError(
                f'query must be (N, {self.query_channels}), got shape '
                f'{tuple(query.shape)}')
        if query.shape[0] != batch_size:
            raise ValueError(
                f'batch sizes differ: features {batch_size}, '
                f'query {query.shape[0]}')

    def attend(self, fused_rows: torch.Tensor) -> torch.Tensor:
        """Attention over positions from ``L_hat`` laid out as rows.

        Args:
            fused_rows (Tensor): ``L_hat`` as (N, H*W, C). It is overwritten
                by the activation (in place), so pass a temporary.

        Returns:
            Tensor: ``M = softmax_HW(conv1x1(act(L_hat)))``, (N, H*W).
        """
        if self.act == 'relu':
            fused_rows = torch.relu_(fused_rows)
        elif self.act == 'tanh':
            fused_rows = torch.tanh_(fused_rows)
        scores = F.linear(fused_rows, self.score.weight.flatten(1),
                          self.score.bias)  # N, HW, 1
        return torch.softmax(scores.squeeze(-1), dim=-1)

    def forward(self, features: torch.Tensor,
                query: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Squeeze ``features`` with attention queried by ``query``.

        Args:
            features (Tensor): Stage features, (N, C, H, W).
            query (Tensor): Query descriptor, (N, D).

        Returns:
            tuple[Tensor, Tensor]: descriptor (N, C) and attention map
            (N, 1, H, W), non-negative and summing to 1 over H x W.
        """
        self._check_inputs(features, query)
        n, c, h, w = features.shape
        offset = self.query_proj(query)  # N, C: b
        # positions as rows, (N, HW, C): a view for channels-last features
        rows = features.permute(0, 2, 3, 1).reshape(n, h * w, c)
        attention = self.attend(rows + offset[:, None, :])
        # sum_HW(M * X) as one batched matrix product (N,1,HW) @ (N,HW,C);
        # with X = L_hat = L + b and M summing to 1 it is sum_HW(M * L) + b
        descriptor = torch.bmm(attention.unsqueeze(1), rows).squeeze(1)
        if self.pool_source == 'fused':
            descriptor = descriptor + offset
        if self.pooling == 'mean':
            descriptor = descriptor / (h * w)
        return descriptor, attention.view(n, 1, h, w)
