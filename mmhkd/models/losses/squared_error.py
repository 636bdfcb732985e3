"""Squared L2 distance with the two reductions the mmhkd losses offer."""
import torch

REDUCTIONS = ('mean', 'sum')


def check_reduction(reduction: str) -> None:
    """Raise ValueError unless ``reduction`` is one of :data:`REDUCTIONS`."""
    if reduction not in REDUCTIONS:
        raise ValueError(f'reduction={reduction!r} is not supported; '
                         f'allowed: {REDUCTIONS}')


def squared_error(student: torch.Tensor, teacher: torch.Tensor,
                  reduction: str = 'mean') -> torch.Tensor:
    """Squared L2 distance between per-sample vectors, teacher detached.

    Args:
        student (Tensor): (N, ...) student values.
        teacher (Tensor): Same shape; detached here, so no gradient reaches
            the teacher side.
        reduction (str): ``'mean'``: mean over every element (channels and
            batch). ``'sum'``: ``||s - t||^2`` summed over the non-batch
            dimensions, then averaged over the batch (the paper's literal
            squared norm per sample).

    Returns:
        Tensor: scalar loss.
    """
    check_reduction(reduction)
    if student.dim() < 2:
        raise ValueError('expected (N, ...) tensors with a batch dimension, '
                         f'got shape {tuple(student.shape)}')
    if student.shape != teacher.shape:
        raise ValueError(f'student shape {tuple(student.shape)} differs '
                         f'from teacher shape {tuple(teacher.shape)}')
    sq = (student - teacher.detach()).pow(2)
    if reduction == 'mean':
        return sq.mean()
    return sq.flatten(1).sum(dim=1).mean()
