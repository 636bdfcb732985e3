"""The discriminator's accuracies on teacher and student inputs.

HKSANC's discriminator (Li et al., AAAI 2020) tells teacher logits from
student logits and predicts the class (``1 + C`` outputs). When its
real/fake accuracies sit at 0.5 the adversarial term no longer tells the
student anything about the teacher.
"""
import copy
from typing import Callable, Dict

import torch
import torch.nn as nn

Accuracies = Callable[[torch.Tensor, torch.Tensor, torch.Tensor],
                      Dict[str, torch.Tensor]]


@torch.no_grad()
def discriminator_accuracies(discriminator: nn.Module,
                             accuracies: Accuracies,
                             teacher_inputs: torch.Tensor,
                             student_inputs: torch.Tensor,
                             labels: torch.Tensor) -> Dict[str, object]:
    """D's accuracies in two modes, without changing D.

    ``eval``: D in eval mode (running BatchNorm statistics) scores each side
    separately, as the student step does. ``train_joint``: D in train mode
    scores teacher and student inputs in one joint batch, as its own update
    does (and as the training log's ``disc.acc_*`` are measured); this runs
    on a copy, so D's running statistics do not move.

    Args:
        discriminator: D.
        accuracies: ``(teacher_scores, student_scores, labels) -> dict``,
            e.g. ``AdversarialDistillLoss.discriminator_accuracies``.
        teacher_inputs, student_inputs: D's inputs (N, ...) for each side.
        labels: (N,) ground-truth labels.

    Returns:
        dict: ``{'eval': {name: float}, 'train_joint': {name: float}}``.
    """
    was_training = discriminator.training
    discriminator.eval()
    try:
        found = accuracies(discriminator(teacher_inputs.detach()),
                           discriminator(student_inputs.detach()), labels)
    finally:
        discriminator.train(was_training)
    joint_model = copy.deepcopy(discriminator).train()
    num = teacher_inputs.shape[0]
    scores = joint_model(
        torch.cat([teacher_inputs.detach(), student_inputs.detach()]))
    joint = accuracies(scores[:num], scores[num:], labels)
    return dict(eval={k: float(v) for k, v in found.items()},
                train_joint={k: float(v) for k, v in joint.items()})
