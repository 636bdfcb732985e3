"""How peaked the attention maps are, and how far the student's are from
the teacher's.

The task-driven attention estimator of KSANC/HKSANC (arXiv 1904.05100; Li
et al., AAAI 2020) gives per stage a map ``M = softmax_HW(...)`` that sums
to 1 over the H x W positions. A map that is uniform pools a stage like a
global average pool and carries nothing the pooled features do not.
"""
from typing import Optional

import torch

EPS = 1e-12


def _flat_maps(maps: torch.Tensor) -> torch.Tensor:
    """(N, 1, H, W) or (N, H, W) or (N, HW) maps as (N, HW), in float64."""
    if maps.dim() < 2:
        raise ValueError('attention maps must be (N, ...) with at least one '
                         f'position axis, got {tuple(maps.shape)}')
    return maps.detach().flatten(1).double()


def normalized_entropy(maps: torch.Tensor) -> torch.Tensor:
    """Per-sample ``H(M) / log(H * W)``, in [0, 1].

    ``H(M) = -sum_p M_p log M_p`` (``0 log 0 = 0``): 1 for a uniform map,
    0 for a map on one position. Maps must sum to 1 per sample.

    Returns:
        Tensor: (N,) float64.
    """
    flat = _flat_maps(maps)
    positions = flat.shape[1]
    if positions < 2:
        raise ValueError('normalised entropy needs at least 2 positions, got '
                         f'{positions}')
    entropy = -(flat * torch.log(flat.clamp_min(EPS))).sum(1)
    return entropy / torch.log(torch.tensor(float(positions),
                                            dtype=torch.float64))


def map_divergence(teacher: torch.Tensor,
                   student: torch.Tensor) -> Optional[torch.Tensor]:
    """Per-sample ``KL(M_T || M_S) = sum_p M_T,p (log M_T,p - log M_S,p)``.

    Returns ``None`` when the maps have different numbers of positions
    (the student's map would have to be resized first).

    Returns:
        Tensor: (N,) float64, or None.
    """
    t, s = _flat_maps(teacher), _flat_maps(student)
    if t.shape != s.shape:
        return None
    return (t * (torch.log(t.clamp_min(EPS)) -
                 torch.log(s.clamp_min(EPS)))).sum(1)
