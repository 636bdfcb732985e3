"""Channel transform + task-driven attention, computed at the input width.

KSANC (arXiv 1904.05100), framework figure: a student stage ``x`` (N, c, H, W)
goes through the "channel transform convolution" to the teacher's width F
(1x1 conv, + BN in mmhkd's default) and is then squeezed by the attention
estimator. The transform is affine per position, ``L_p = A x_p + c``
(BatchNorm too: in training it normalises with batch statistics, which for a
1x1 conv follow from the c x c covariance of ``x``), and the attention map
sums to 1 over H x W, so

    s = sum_p M_p (A x_p + c + b) = A (sum_p M_p x_p) + c + b.

Only the score ``conv1x1(act(A x_p + c + b))`` needs the F-wide tensor; the
pooling, the BatchNorm statistics and their backward work at width c. For a
student 8x thinner than its teacher this avoids BatchNorm's and the pooling's
passes over F-wide maps. It is the same function as
``estimator(transform(x), query)``: same outputs, same gradients, same
running-statistics update, same parameters (checkpoints are unchanged).
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .task_driven_attention import TaskDrivenAttention


def _conv_matrix(conv: nn.Conv2d) -> Optional[torch.Tensor]:
    """The (out, in) matrix of a plain 1x1 conv, or None if it is not one."""
    if (type(conv) is not nn.Conv2d or conv.kernel_size != (1, 1)
            or conv.stride != (1, 1) or conv.groups != 1
            or conv.dilation != (1, 1) or conv.padding not in ((0, 0), 0)):
        return None
    return conv.weight.flatten(1)


def is_fusable(transform: nn.Module) -> bool:
    """Whether :func:`transformed_attention` can stand in for ``transform``.

    True for a plain 1x1 ``nn.Conv2d`` and for ``nn.Sequential(1x1 conv,
    nn.BatchNorm2d)`` (mmhkd's ``conv`` and ``conv_bn`` transforms). Any
    other module (SyncBatchNorm after conversion, a subclass, ...) is run as
    it is.
    """
    if isinstance(transform, nn.Conv2d):
        return _conv_matrix(transform) is not None
    return (type(transform) is nn.Sequential and len(transform) == 2
            and isinstance(transform[0], nn.Conv2d)
            and _conv_matrix(transform[0]) is not None
            and type(transform[1]) is nn.BatchNorm2d)


def _batch_moments(rows: torch.Tensor, weight: torch.Tensor,
                   bias: Optional[torch.Tensor]
                   ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Mean and biased variance over rows of ``rows @ weight.T + bias``.

    Computed from the (c, c) covariance of ``rows`` (M, c), centred first so
    that no large squares cancel.
    """
    dtype = torch.promote_types(rows.dtype, torch.float32)
    # in full precision even under autocast, as BatchNorm computes them
    with torch.autocast(rows.device.type, enabled=False):
        rows, weight = rows.to(dtype), weight.to(dtype)
        mean_x = rows.mean(dim=0)
        centred = rows - mean_x
        cov = centred.t() @ centred / rows.shape[0]
        mean = weight @ mean_x
        if bias is not None:
            mean = mean + bias.to(dtype)
        var = ((weight @ cov) * weight).sum(dim=1)
    return mean, var


def _update_running_stats(bn: nn.BatchNorm2d, mean: torch.Tensor,
                          var: torch.Tensor, count: int) -> None:
    """Update ``bn``'s running statistics exactly as its forward would."""
    with torch.no_grad():
        factor = 0.0 if bn.momentum is None else bn.momentum
        if bn.num_batches_tracked is not None:
            bn.num_batches_tracked.add_(1)
            if bn.momentum is None:  # cumulative moving average
                factor = 1.0 / float(bn.num_batches_tracked)
        bn.running_mean.mul_(1 - factor).add_(mean.detach(), alpha=factor)
        unbiased = var.detach() * (count / (count - 1))
        bn.running_var.mul_(1 - factor).add_(unbiased, alpha=factor)


def transform_affine(transform: nn.Module, rows: torch.Tensor
                     ) -> Tuple[torch.Tensor, torch.Tensor]:
    """``(A, c)`` with ``transform(x)_p = A x_p + c`` for this batch.

    Args:
        transform: A module for which :func:`is_fusable` is true.
        rows: The input's positions as rows, (N*H*W, c).

    Returns:
        tuple[Tensor, Tensor]: ``A`` (F, c) and ``c`` (F,). A BatchNorm in
        training mode (or without running statistics) uses the batch's
        statistics and, like ``nn.BatchNorm2d.forward``, updates its
        running statistics.
    """
    if isinstance(transform, nn.Conv2d):
        weight = _conv_matrix(transform)
        bias = (transform.bias if transform.bias is not None else
                weight.new_zeros(weight.shape[0]))
        return weight, bias
    conv, bn = transform[0], transform[1]
    weight = _conv_matrix(conv)
    use_batch = bn.training or bn.running_mean is None
    if use_batch:
        mean, var = _batch_moments(rows, weight, conv.bias)
        if bn.training and bn.track_running_stats \
                and bn.running_mean is not None:
            _update_running_stats(bn, mean, var, rows.shape[0])
    else:
        mean, var = bn.running_mean, bn.running_var
    scale = torch.rsqrt(var + bn.eps)
    if bn.weight is not None:
        scale = scale * bn.weight
    shift = -mean * scale
    if conv.bias is not None:
        shift = shift + conv.bias * scale
    if bn.bias is not None:
        shift = shift + bn.bias
    return weight * scale[:, None], shift


def transformed_attention(features: torch.Tensor, query: torch.Tensor,
                          transform: nn.Module,
                          estimator: TaskDrivenAttention
                          ) -> Tuple[torch.Tensor, torch.Tensor]:
    """``estimator(transform(features), query)`` without F-wide BN/pooling.

    Args:
        features: Stage features before the transform, (N, c, H, W).
        query: Query descriptor, (N, D).
        transform: Channel transform ``c -> F`` (see :func:`is_fusable`).
        estimator: The stage's attention estimator (width F).

    Returns:
        tuple[Tensor, Tensor]: descriptor (N, F) and attention map
        (N, 1, H, W), as :meth:`TaskDrivenAttention.forward` returns them.
    """
    n, c, h, w = features.shape
    if n * h * w <= 1 and not isinstance(transform, nn.Conv2d):
        # BatchNorm's own error for a single value per channel
        return estimator(transform(features), query)
    # (N, HW, c); a view when the features are channels-last
    rows = features.permute(0, 2, 3, 1).reshape(n, h * w, c)
    matrix, shift = transform_affine(transform, rows.reshape(n * h * w, c))
    if matrix.shape[0] != estimator.in_channels:
        raise ValueError(
            f'the channel transform outputs {matrix.shape[0]} channels but '
            f'its attention estimator expects {estimator.in_channels}')
    estimator._check_query(query, n)
    offset = shift + estimator.query_proj(query)  # N, F: c + b
    attention = estimator.attend(
        torch.matmul(rows, matrix.t()).add_(offset[:, None, :]))
    pooled = torch.bmm(attention.unsqueeze(1), rows).squeeze(1)  # N, c
    descriptor = F.linear(pooled, matrix)
    descriptor = descriptor + (offset if estimator.pool_source == 'fused'
                               else shift)
    if estimator.pooling == 'mean':
        descriptor = descriptor / (h * w)
    return descriptor, attention.view(n, 1, h, w)
