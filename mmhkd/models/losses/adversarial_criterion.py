"""Criterion on the discriminator's teacher/student unit."""
import torch
import torch.nn.functional as F

CRITERIA = ('bce', 'lsgan')


def check_criterion(criterion: str) -> None:
    """Raise ValueError unless ``criterion`` is one of :data:`CRITERIA`."""
    if criterion not in CRITERIA:
        raise ValueError(f'adversarial_criterion={criterion!r} is not '
                         f'supported; allowed: {CRITERIA}')


def adversarial_criterion(adv_logit: torch.Tensor, is_teacher: bool,
                          criterion: str = 'bce') -> torch.Tensor:
    """Batch-mean loss pushing the (N,) unit towards "teacher" or "student".

    ``'bce'``: binary cross-entropy with logits, target 1 for teacher and 0
    for student, i.e. ``-log D`` / ``-log(1 - D)`` with ``D = sigmoid``, the
    log-likelihood of the paper's ``L_adv^o``. ``'lsgan'``: least squares on
    the raw unit with targets 1 / 0 (Mao et al. 2017), an option of ours.
    """
    check_criterion(criterion)
    target = torch.full_like(adv_logit, 1.0 if is_teacher else 0.0)
    if criterion == 'bce':
        return F.binary_cross_entropy_with_logits(adv_logit, target)
    return F.mse_loss(adv_logit, target)


def decision_threshold(criterion: str) -> float:
    """Unit value above which a sample counts as "teacher": 0 for ``'bce'``
    (sigmoid 0.5), 0.5 for ``'lsgan'`` (midway between its targets)."""
    check_criterion(criterion)
    return 0.0 if criterion == 'bce' else 0.5
