"""How much of L_is the student's connector absorbs on a frozen student.

KSANC/HKSANC's intermediate supervision (arXiv 1904.05100; Li et al., AAAI
2020) compares the teacher's squeezed descriptors with the student's, which
come out of the student's own connector (channel transform + attention
estimator). The connector is trained with the student, so part of L_is can
be removed by the connector alone, without the student network learning
anything. :func:`connector_fit_share` measures that part: the student's
recorded features are kept fixed, only a copy of the connector is fitted
(Adam) to the teacher's descriptors with the IS loss, and L_is is measured
before and after on held-out images. ``1 - after / before`` near 1 means the
supervision says little beyond what the connector can absorb.
"""
import copy
from typing import Dict, List, Sequence, Tuple

import torch
import torch.nn as nn

from ..models.losses.squared_error import squared_error

# (recorded student features, teacher descriptors per stage)
ISPair = Tuple[Sequence[torch.Tensor], Sequence[torch.Tensor]]


def stage_is_losses(loss: nn.Module, student: Sequence[torch.Tensor],
                    teacher: Sequence[torch.Tensor]) -> List[torch.Tensor]:
    """Unweighted per-stage distances of an IS loss module.

    Uses the module's ``stage_distance`` when it has one (mmhkd's
    ``IntermediateSupervisionLoss``), otherwise the squared error with the
    module's ``reduction`` (default ``'mean'``).
    """
    distance = getattr(loss, 'stage_distance', None)
    if distance is None:
        reduction = getattr(loss, 'reduction', 'mean')
        return [squared_error(s, t.detach(), reduction)
                for s, t in zip(student, teacher)]
    return [distance(s, t) for s, t in zip(student, teacher)]


@torch.no_grad()
def mean_is_losses(connector: nn.Module, loss: nn.Module,
                   pairs: Sequence[ISPair]) -> Dict[str, object]:
    """Mean over ``pairs`` (batches) of the total and per-stage IS losses.

    Returns:
        dict: ``total`` (float, the module's weighted loss) and ``stages``
        (list of floats, unweighted per-stage distances).
    """
    if not pairs:
        raise ValueError('need at least one batch')
    total, stages = 0.0, None
    for features, teacher in pairs:
        student = connector(features)
        total += float(loss(student, teacher)) / len(pairs)
        values = [float(v) / len(pairs)
                  for v in stage_is_losses(loss, student, teacher)]
        stages = values if stages is None else [
            a + b for a, b in zip(stages, values)
        ]
    return dict(total=total, stages=stages)


def _share(before: float, after: float) -> float:
    return float('nan') if before == 0 else 1.0 - after / before


def connector_fit_share(connector: nn.Module,
                        loss: nn.Module,
                        fit_pairs: Sequence[ISPair],
                        heldout_pairs: Sequence[ISPair],
                        steps: int,
                        lr: float = 1e-3,
                        mode: str = 'train') -> Dict[str, object]:
    """Fit a copy of ``connector`` alone to the teacher's descriptors.

    The copy is fitted with Adam for ``steps`` steps on the IS loss
    (``loss(connector(features), teacher)``), cycling over ``fit_pairs``;
    the features are fixed (the frozen student). ``connector`` itself is
    left unchanged.

    Args:
        connector: Maps recorded student features to one descriptor per
            stage (e.g. ``HierarchicalAttentionConnector``).
        loss: The IS loss module, ``loss(student, teacher) -> scalar``.
        fit_pairs: Training batches, ``(features, teacher descriptors)``.
        heldout_pairs: Batches of other images, for the measurement.
        steps: Adam steps, >= 0.
        lr: Adam learning rate.
        mode: ``'train'`` (default): the connector's BatchNorm uses batch
            statistics while fitting and measuring, as in distillation;
            ``'eval'``: running statistics while measuring.

    Returns:
        dict: ``heldout_before``/``heldout_after`` and ``fit_before``/
        ``fit_after`` (each ``{'total', 'stages'}``), ``share`` (total and
        per stage on the held-out batches: ``1 - after / before``),
        ``fit_share`` (the same on the fitting batches), ``curve`` (the
        held-out total and share after 0, K/8, K/4, K/2 and K steps),
        ``steps``, ``lr``, ``mode``.
    """
    if steps < 0:
        raise ValueError(f'steps must be >= 0, got {steps}')
    if mode not in ('train', 'eval'):
        raise ValueError(f"mode must be 'train' or 'eval', got {mode!r}")
    if not fit_pairs and steps > 0:
        raise ValueError('fitting needs at least one batch')
    model = copy.deepcopy(connector)
    model.requires_grad_(True)

    def measure(pairs: Sequence[ISPair]) -> Dict[str, object]:
        model.train(mode == 'train')
        state = copy.deepcopy(model.state_dict())  # BN running statistics
        try:
            return mean_is_losses(model, loss, pairs)
        finally:
            model.load_state_dict(state)

    heldout_before = measure(heldout_pairs)
    fit_before = measure(fit_pairs) if fit_pairs else None
    params = [p for p in model.parameters() if p.requires_grad]
    curve = [dict(steps=0, heldout_total=heldout_before['total'])]
    checkpoints = curve_steps(steps)
    if steps > 0 and params:
        optimizer = torch.optim.Adam(params, lr=lr)
        for step in range(steps):
            model.train()
            features, teacher = fit_pairs[step % len(fit_pairs)]
            optimizer.zero_grad()
            value = loss(model(features), teacher)
            value.backward()
            optimizer.step()
            if step + 1 in checkpoints and step + 1 < steps:
                curve.append(dict(steps=step + 1,
                                  heldout_total=measure(
                                      heldout_pairs)['total']))
    heldout_after = measure(heldout_pairs)
    curve.append(dict(steps=steps, heldout_total=heldout_after['total']))
    for point in curve:
        point['share'] = _share(heldout_before['total'],
                                point['heldout_total'])
    fit_after = measure(fit_pairs) if fit_pairs else None

    def shares(before, after) -> Dict[str, object]:
        return dict(
            total=_share(before['total'], after['total']),
            stages=[_share(b, a)
                    for b, a in zip(before['stages'], after['stages'])])

    return dict(
        steps=steps,
        lr=lr,
        mode=mode,
        heldout_before=heldout_before,
        heldout_after=heldout_after,
        share=shares(heldout_before, heldout_after),
        fit_before=fit_before,
        fit_after=fit_after,
        fit_share=(shares(fit_before, fit_after) if fit_pairs else None),
        curve=curve)


def curve_steps(steps: int) -> List[int]:
    """Step counts at which the held-out loss is also measured during the
    fit (to show whether it has converged): ``steps / 8, / 4, / 2``."""
    return sorted({steps // d for d in (8, 4, 2) if steps // d > 0})
