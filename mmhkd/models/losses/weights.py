"""Checks shared by the mmhkd losses' weights."""
import math


def check_loss_weight(owner: str, loss_weight: float,
                      name: str = 'loss_weight') -> None:
    """Refuse a negative or non-finite loss weight.

    A negative weight turns a distance into something the student maximises
    (a run with one logged ``loss: -38.05``); zero is allowed (a term kept
    for logging only), but the ablation configs drop a term instead.

    Raises:
        ValueError: Naming the owner, the option and the value.
    """
    if (not isinstance(loss_weight, (int, float))
            or isinstance(loss_weight, bool) or not math.isfinite(loss_weight)
            or loss_weight < 0):
        raise ValueError(
            f'{owner}: {name} must be a finite number >= 0, got '
            f'{loss_weight!r}; a negative weight would make the student '
            'maximise the term. Set it >= 0, or drop the term.')
