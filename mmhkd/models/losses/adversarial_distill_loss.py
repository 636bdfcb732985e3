"""Adversarial loss of KSANC / HKSANC with an AC-GAN category head."""
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmrazor.registry import MODELS

from ..heads.logit_discriminator import LogitDiscriminator
from .adversarial_criterion import (adversarial_criterion, check_criterion,
                                    decision_threshold)
from .weights import check_loss_weight


def _check_non_negative(name: str, value: float) -> None:
    if value < 0:
        raise ValueError(f'{name} must be >= 0, got {value!r}')


def _check_labels(scores: torch.Tensor, gt_labels: torch.Tensor) -> None:
    if gt_labels.dim() != 1 or gt_labels.shape[0] != scores.shape[0]:
        raise ValueError(
            f'gt_labels must be ({scores.shape[0]},) class indices, got '
            f'shape {tuple(gt_labels.shape)}')


@MODELS.register_module()
class AdversarialDistillLoss(nn.Module):
    """``L_adv = L_adv^o + L_reg + L_adv^C`` (KSANC arXiv 1904.05100).

    Scores come from a discriminator with one teacher/student unit and C
    category units (:class:`LogitDiscriminator`). The student side is
    :meth:`forward`; the discriminator side is :meth:`discriminator_loss`.

    Reading of the paper's equations:

    * ``L_adv^o = min_S max_D E_T[log D(l_T)] + E_S[log(1 - D(l_S))]``: D
      minimises BCE(teacher -> 1) + BCE(student -> 0); the student uses the
      non-saturating form (Goodfellow et al. 2014), BCE(student -> 1).
    * ``L_adv^C`` is written ``min_S max_D`` of the class log-likelihood on
      teacher and student logits. Taken literally the student would make D
      misclassify its logits, i.e. get worse at its task. We read it as
      AC-GAN does (Odena et al. 2017; Xu et al. 2018 for distillation): D
      and the student both maximise it, so both minimise the category CE.
    * ``L_reg = -mu (|w_D| + ||w_D||^2 - E_S[log D(l_S)])``: D pays
      ``mu (L1 + squared L2)`` of its weight matrices and gains from calling
      student logits "teacher" (the fake-as-real term of Belagiannis et al.
      2018, which keeps D from becoming trivially strong). The fake-as-real
      term has its own weight here; ``fake_as_real_weight`` equal to
      ``regularization_weight`` reproduces the paper's equation literally.

    Args:
        loss_weight (float): Weight of the student-side loss (the paper's
            lambda_2), >= 0. Default 1.0. The discriminator-side terms are
            not scaled by it: lambda_2 balances the student's objective, and
            D is trained by its own optimizer.
        adversarial_weight (float): Weight of the real/fake (teacher or
            student?) term on both sides. Default 1.0. 0 removes the
            adversarial game and keeps the category term (the student's
            label signal), so the "no adversarial term" ablation changes one
            thing.
        category_weight (float): Weight of the category CE terms on both
            sides. Default 1.0, the paper's unweighted sum. 0 removes the
            category head's part and keeps the real/fake game.
        regularization_weight (float): The paper's mu. Default 1e-3 (ours;
            the paper gives no value).
        fake_as_real_weight (float): Weight of BCE(fake-as-real scores ->
            teacher) in D's loss. Default 0.0 (ours): the fake-as-real
            samples (student logits, in Belagiannis et al. computed with
            dropout p=0.5) must be produced by the algorithm, and whether
            HKSANC used dropout is unknown, so the term is opt-in.
        adversarial_criterion (str): ``'bce'`` (default, the paper's
            log-likelihood) or ``'lsgan'`` (least squares, ours).
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 adversarial_weight: float = 1.0,
                 category_weight: float = 1.0,
                 regularization_weight: float = 1e-3,
                 fake_as_real_weight: float = 0.0,
                 adversarial_criterion: str = 'bce') -> None:
        super().__init__()
        check_criterion(adversarial_criterion)
        check_loss_weight('AdversarialDistillLoss', loss_weight)
        _check_non_negative('adversarial_weight', adversarial_weight)
        _check_non_negative('category_weight', category_weight)
        _check_non_negative('regularization_weight', regularization_weight)
        _check_non_negative('fake_as_real_weight', fake_as_real_weight)
        self.loss_weight = loss_weight
        self.adversarial_weight = adversarial_weight
        self.category_weight = category_weight
        self.regularization_weight = regularization_weight
        self.fake_as_real_weight = fake_as_real_weight
        self.adversarial_criterion = adversarial_criterion

    def _adv(self, scores: torch.Tensor, is_teacher: bool) -> torch.Tensor:
        adv_logit, _ = LogitDiscriminator.split_outputs(scores)
        return adversarial_criterion(adv_logit, is_teacher,
                                     self.adversarial_criterion)

    def _category(self, scores: torch.Tensor,
                  gt_labels: torch.Tensor) -> torch.Tensor:
        _check_labels(scores, gt_labels)
        _, class_logits = LogitDiscriminator.split_outputs(scores)
        return F.cross_entropy(class_logits, gt_labels)

    def forward(self, student_scores: torch.Tensor,
                gt_labels: torch.Tensor) -> torch.Tensor:
        """Student-side loss: make D call the student "teacher" and predict
        the true class from the student's logits.

        Args:
            student_scores (Tensor): D(student logits), (N, 1 + C), with
                gradient flowing to the student.
            gt_labels (Tensor): (N,) class indices.

        Returns:
            Tensor: ``loss_weight * (adversarial_weight * adv(student ->
            teacher) + category_weight * CE(student classes, labels))``.
        """
        loss = self.adversarial_weight * self._adv(student_scores, True) + (
            self.category_weight * self._category(student_scores, gt_labels))
        return self.loss_weight * loss

    def discriminator_loss(
        self,
        teacher_scores: torch.Tensor,
        student_scores: torch.Tensor,
        gt_labels: torch.Tensor,
        discriminator_weights: Sequence[torch.Tensor],
        fake_as_real_scores: Optional[torch.Tensor] = None
    ) -> Dict[str, torch.Tensor]:
        """Discriminator-side terms, kept separate for logging.

        Args:
            teacher_scores (Tensor): D(teacher logits), (N, 1 + C).
            student_scores (Tensor): D(student logits), (N, 1 + C). The
                student logits must be DETACHED before D sees them, so this
                loss trains D only; the caller (the algorithm) does that.
            gt_labels (Tensor): (N,) class indices.
            discriminator_weights (Sequence[Tensor]): D's weight matrices
                (:meth:`LogitDiscriminator.weight_matrices`).
            fake_as_real_scores (Tensor, optional): D(student logits,
                possibly computed with dropout), labelled "teacher". Required
                when ``fake_as_real_weight > 0``, ignored otherwise.

        Returns:
            dict[str, Tensor]: ``loss_real``, ``loss_fake``,
            ``loss_category`` and ``loss_reg``, plus ``loss_fake_as_real``
            when ``fake_as_real_weight > 0``.
        """
        if teacher_scores.shape != student_scores.shape:
            raise ValueError(
                f'teacher scores {tuple(teacher_scores.shape)} and student '
                f'scores {tuple(student_scores.shape)} differ in shape')
        reg = sum((w.abs().sum() + w.pow(2).sum()
                   for w in discriminator_weights),
                  teacher_scores.new_zeros(()))
        losses = dict(
            loss_real=self.adversarial_weight *
            self._adv(teacher_scores, True),
            loss_fake=self.adversarial_weight *
            self._adv(student_scores, False),
            loss_category=self.category_weight *
            (self._category(teacher_scores, gt_labels) +
             self._category(student_scores, gt_labels)),
            loss_reg=self.regularization_weight * reg)
        if self.fake_as_real_weight > 0:
            if fake_as_real_scores is None:
                raise ValueError(
                    f'fake_as_real_weight={self.fake_as_real_weight} needs '
                    'fake_as_real_scores; pass them or set the weight to 0')
            losses['loss_fake_as_real'] = self.fake_as_real_weight * \
                self._adv(fake_as_real_scores, True)
        return losses

    @torch.no_grad()
    def discriminator_accuracies(
            self, teacher_scores: torch.Tensor, student_scores: torch.Tensor,
            gt_labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        """D's accuracies, as fractions in [0, 1].

        Returns:
            dict[str, Tensor]: ``acc_real`` (teacher scored "teacher"),
            ``acc_fake`` (student scored "student"), ``acc_category_teacher``
            and ``acc_category_student`` (argmax of the category logits
            equals the label). The teacher/student decision is the unit
            above :func:`decision_threshold` (0 for ``'bce'``).
        """
        threshold = decision_threshold(self.adversarial_criterion)
        t_adv, t_cls = LogitDiscriminator.split_outputs(teacher_scores)
        s_adv, s_cls = LogitDiscriminator.split_outputs(student_scores)
        _check_labels(teacher_scores, gt_labels)
        _check_labels(student_scores, gt_labels)
        return dict(
            acc_real=(t_adv > threshold).float().mean(),
            acc_fake=(s_adv <= threshold).float().mean(),
            acc_category_teacher=(t_cls.argmax(1) == gt_labels).float().mean(),
            acc_category_student=(s_cls.argmax(1) == gt_labels).float().mean())
