"""The HKSANC iteration written in plain PyTorch, for cost comparison.

Same modules as a built :class:`~mmhkd.models.HKSANCDistill` (student,
teacher, their attention connectors, the discriminator, the three losses),
called directly: no Runner, no recorders, no OptimWrapper, no loss parsing.
It shows what the framework itself costs per step (docs/benchmark.md).
The order of work is the algorithm's (Li et al., AAAI 2020, Sec. "Training"):
teacher forward (no grad), student forward, one D step on teacher logits
against detached student logits, one student step on
``L_b + L_is + L_adv``.
"""
import copy
from contextlib import contextmanager
from typing import Callable, Iterator, Optional, Sequence

import torch
from mmengine.optim import OptimWrapperDict

from .step_profile import PartTimer


@contextmanager
def _untimed(name: str) -> Iterator[None]:
    yield


def _torch_optimizer_like(wrapper, params: Sequence[torch.nn.Parameter]
                          ) -> torch.optim.Optimizer:
    """A fresh torch optimizer of the same class and settings as the
    wrapper's, over ``params``."""
    optimizer = wrapper.optimizer
    defaults = {k: v for k, v in optimizer.defaults.items()
                if k not in ('differentiable', 'foreach', 'fused',
                             'capturable', 'maximize')}
    return type(optimizer)(list(params), **defaults)


def plain_hksanc_step(algorithm: torch.nn.Module,
                      optim_wrapper: OptimWrapperDict,
                      batch: dict) -> Callable[[], None]:
    """Build a closure running one plain-PyTorch HKSANC iteration.

    Args:
        algorithm: A built ``HKSANCDistill``; it is deep-copied, so timing
            the closure never changes the original.
        optim_wrapper: Its ``student``/``discriminator`` wrappers: the plain
            loop uses torch optimizers of the same classes and settings over
            the same parameters.
        batch: One collated training batch (``inputs``, ``data_samples``).

    Returns:
        A callable doing one iteration (pass a :class:`PartTimer` to time
        its parts); its ``model`` attribute is the copy it trains.
    """
    # recorded outputs of an earlier step are graph tensors: not copyable
    for manager in (algorithm.distiller.student_recorders,
                    algorithm.distiller.teacher_recorders):
        for recorder in manager.recorders.values():
            recorder.reset_data_buffer()
    model = copy.deepcopy(algorithm)
    student, teacher = model.architecture, model.teacher
    connectors = model.distiller.connectors
    student_connector = connectors['student_attention']
    teacher_connector = connectors['teacher_attention']
    losses = model.distiller.distill_losses
    loss_backbone, loss_is = losses['loss_backbone'], losses['loss_is']
    adversarial = model.adversarial_loss
    discriminator = model.discriminator
    pre = model.data_preprocessor
    mean, std = pre.mean, pre.std

    student_params = [p for p in list(student.parameters()) +
                      list(student_connector.parameters()) if p.requires_grad]
    student_opt = _torch_optimizer_like(optim_wrapper['student'],
                                        student_params)
    disc_opt = _torch_optimizer_like(optim_wrapper['discriminator'],
                                     discriminator.parameters())
    raw = torch.stack(batch['inputs']).float()
    labels = torch.cat([s.gt_label.view(-1) for s in batch['data_samples']])
    model.train()
    teacher.eval()
    teacher_connector.eval()

    def step(timer: Optional[PartTimer] = None) -> None:
        part = timer.part if timer is not None else _untimed
        x = (raw - mean) / std
        with torch.no_grad():
            with part('teacher forward'):
                t_feats = teacher.neck(teacher.backbone(x))
                t_logits = teacher.head.fc(t_feats[-1])
            with part('teacher estimators'):
                t_desc = teacher_connector(t_feats)
        with part('student forward'):
            s_feats = student.neck(student.backbone(x))
            s_logits = student.head.fc(s_feats[-1])
        with part('student transforms + estimators'):
            s_desc = student_connector(s_feats)

        with part('discriminator step'):
            num = t_logits.shape[0]
            discriminator.train()
            scores = discriminator(torch.cat([t_logits, s_logits.detach()]))
            terms = adversarial.discriminator_loss(
                scores[:num], scores[num:], labels,
                discriminator.weight_matrices())
            disc_opt.zero_grad()
            sum(terms.values()).backward()
            disc_opt.step()

        with part('student losses'):
            discriminator.eval()
            discriminator.requires_grad_(False)
            loss = (loss_backbone(s_logits, t_logits) +
                    loss_is(s_desc, t_desc) +
                    adversarial(discriminator(s_logits), labels))
            discriminator.requires_grad_(True)
        with part('student backward + update'):
            student_opt.zero_grad()
            loss.backward()
            student_opt.step()

    step.model = model  # type: ignore[attr-defined]
    return step
