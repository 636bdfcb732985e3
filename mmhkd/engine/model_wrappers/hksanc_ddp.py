"""Distributed data parallel training of HKSANC (two optimizers, two steps).

mmengine's ``MMDistributedDataParallel.train_step`` cannot drive an
``OptimWrapperDict``, and ``MMSeparateDistributedDataParallel`` wraps the
distiller in its own DDP, which hides ``distiller.compute_distill_losses``
(upstream mmrazor #194). DDP only all-reduces the gradients of a backward
pass whose graph was built inside ``DistributedDataParallel.forward``, and
one DDP instance accepts exactly one backward per forward. HKSANC needs two
backward passes per iteration, interleaved: the discriminator (D) is updated
between the student's forward and the student's backward. Hence two DDP
instances over disjoint parameters:

* this wrapper, over the whole algorithm with D's parameters and buffers
  ignored: ``self(inputs, data_samples, mode='loss')`` runs teacher, student
  and distillation losses; the student's backward (``L_b + L_adv + L_is``)
  later all-reduces the student's and its connectors' gradients;
* :attr:`HKSANCDistributedDataParallel.discriminator_ddp`, over D only,
  whose forward is the algorithm's own ``discriminator_loss`` (D's loss
  on teacher and detached student logits); its backward all-reduces D's
  gradients.

The student's adversarial term runs D frozen and in eval mode outside any
DDP forward: D receives no gradient there, and the gradient that flows back
through D into the student logits joins the student graph prepared by this
wrapper's forward.
"""
from typing import Dict, List, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmrazor.registry import MODEL_WRAPPERS
from torch.nn.parallel import DistributedDataParallel

from mmhkd.models.algorithms.hksanc_distill import (HKSANCDistill,
                                                    current_iteration,
                                                    gt_labels_of,
                                                    split_optim_wrapper)

DISCRIMINATOR = 'discriminator'


class DiscriminatorLoss(nn.Module):
    """D's loss as one module forward, so that a DDP instance can wrap it.

    Holds the algorithm's discriminator as its only child (the DDP over this
    module synchronises D's parameters and buffers, nothing else); its
    forward is ``HKSANCDistill.discriminator_loss``.

    Args:
        algorithm (HKSANCDistill): The algorithm; kept as a plain reference,
            not a submodule.
    """

    def __init__(self, algorithm: HKSANCDistill) -> None:
        super().__init__()
        self.discriminator = algorithm.discriminator
        self.__dict__['algorithm'] = algorithm  # not registered

    def forward(self, teacher_inputs: torch.Tensor,
                student_inputs: torch.Tensor, labels: torch.Tensor
                ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """``HKSANCDistill.discriminator_loss``: the loss and log vars."""
        return self.algorithm.discriminator_loss(teacher_inputs,
                                                 student_inputs, labels)


def _without_cpu_device_ids(module: nn.Module, kwargs: dict) -> dict:
    """Drop ``device_ids``/``output_device`` for a CPU module.

    mmengine's Runner always passes ``device_ids=[LOCAL_RANK]``; DDP refuses
    it for CPU modules (gloo training without GPUs).
    """
    devices = {p.device.type for p in module.parameters()}
    if devices == {'cpu'}:
        kwargs = dict(kwargs)
        kwargs.pop('device_ids', None)
        kwargs.pop('output_device', None)
    return kwargs


def discriminator_state_names(algorithm: nn.Module) -> List[str]:
    """Fully qualified names of D's parameters and buffers in the algorithm."""
    discriminator = getattr(algorithm, DISCRIMINATOR)
    names = [n for n, _ in discriminator.named_parameters()]
    names += [n for n, _ in discriminator.named_buffers()]
    return [f'{DISCRIMINATOR}.{n}' for n in names]


@MODEL_WRAPPERS.register_module()
class HKSANCDistributedDataParallel(MMDistributedDataParallel):
    """DDP wrapper that synchronises both HKSANC steps.

    Use it with
    ``model_wrapper_cfg=dict(type='HKSANCDistributedDataParallel')``
    (``configs/_base_/hksanc/hksanc_defaults.py`` sets it); the Runner only
    uses it with a launcher other than 'none'. ``self.module`` is the
    algorithm, so checkpoints are the same as without the wrapper.

    One iteration (:meth:`train_step`), mirroring ``HKSANCDistill.train_step``:

    1. ``self(inputs, data_samples, mode='loss')``: teacher (no grad),
       student and distillation losses through this DDP;
    2. D step(s) through :attr:`discriminator_ddp` (a forward of
       ``HKSANCDistill.discriminator_loss`` and one backward, D's gradients
       all-reduced), then ``optim_wrapper['discriminator']`` steps;
    3. ``L_adv`` with D frozen, then ``optim_wrapper['student']`` back-
       propagates ``L_b + L_adv + L_is``: the student's and its connectors'
       gradients are all-reduced by this DDP.

    A module that is not an :class:`HKSANCDistill` (for example the teacher
    adaptation algorithm, whose configs share the HKSANC defaults) is trained
    as by ``MMDistributedDataParallel``.

    Args:
        module (nn.Module): The algorithm.
        find_unused_parameters (bool): Passed to both DDP instances. Defaults
            to True: each instance then tolerates parameters that a config
            leaves without gradient. With True, every student parameter that
            gets a gradient must be reachable from the distillation losses
            (the HKSANC logit loss reaches the whole student). Set False when
            every trainable parameter gets a gradient every step (faster).
        **kwargs: ``DistributedDataParallel`` arguments, used for both
            instances. ``device_ids`` and ``output_device`` are dropped for
            CPU modules. ``broadcast_buffers`` keeps torch's default True:
            rank 0's BatchNorm statistics are sent to all ranks before each
            forward (each rank's last update stays local until the next).
    """

    def __init__(self,
                 module: nn.Module,
                 find_unused_parameters: bool = True,
                 **kwargs) -> None:
        kwargs = _without_cpu_device_ids(module, kwargs)
        kwargs['find_unused_parameters'] = find_unused_parameters
        is_hksanc = isinstance(module, HKSANCDistill)
        if is_hksanc:  # D is synchronised by its own instance
            ignore = DistributedDataParallel.\
                _set_params_and_buffers_to_ignore_for_model
            ignore(module, discriminator_state_names(module))
        super().__init__(module=module, **kwargs)
        discriminator_ddp = None
        if is_hksanc:
            discriminator_ddp = DistributedDataParallel(
                DiscriminatorLoss(module), **kwargs)
        # Not a registered child: the wrapper's module tree stays
        # DDP -> algorithm, as with MMDistributedDataParallel.
        self.__dict__['_discriminator_ddp'] = discriminator_ddp

    @property
    def discriminator_ddp(self) -> Union[DistributedDataParallel, None]:
        """The DDP instance over the discriminator (None if not HKSANC)."""
        return self.__dict__['_discriminator_ddp']

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: Union[OptimWrapper, OptimWrapperDict]
                   ) -> Dict[str, torch.Tensor]:
        """One HKSANC iteration with synchronised gradients.

        ``HKSANCDistill.train_step`` line for line, except that the student
        forward runs through this DDP and D's loss through
        :attr:`discriminator_ddp`.

        Args:
            data (dict | tuple | list): A batch from the data loader.
            optim_wrapper (OptimWrapperDict): With keys 'student' and
                'discriminator' (``HKSANCOptimWrapperConstructor``).

        Returns:
            Dict[str, Tensor]: Log variables, as ``HKSANCDistill.train_step``.
        """
        if self.discriminator_ddp is None:
            return super().train_step(data, optim_wrapper)
        algorithm: HKSANCDistill = self.module
        student_wrapper, discriminator_wrapper = split_optim_wrapper(
            optim_wrapper, type(self).__name__)
        iteration = current_iteration()
        algorithm.set_intermediate_scale(iteration)

        # teacher (or its cache) and student forward through this DDP
        with student_wrapper.optim_context(self):
            data = algorithm.data_preprocessor(data, True)
            inputs, data_samples = data['inputs'], data['data_samples']
            losses = self(inputs, data_samples, mode='loss')
            if algorithm.attention_map_loss is not None:
                losses['distill.loss_map'] = algorithm.attention_map_term()
            labels = gt_labels_of(data_samples).to(inputs.device)
            teacher_inputs = algorithm.discriminator_inputs(
                from_student=False)
            student_inputs = algorithm.discriminator_inputs(
                from_student=True)
        algorithm.release_connector_outputs()

        # D update(s) through D's DDP: its gradients are all-reduced
        log_vars: Dict[str, torch.Tensor] = {}
        if iteration % algorithm.discriminator_interval == 0:
            for _ in range(algorithm.discriminator_steps):
                with discriminator_wrapper.optim_context(
                        self.discriminator_ddp):
                    loss, discriminator_log_vars = self.discriminator_ddp(
                        teacher_inputs, student_inputs.detach(), labels)
                discriminator_wrapper.update_params(loss)
                log_vars.update(discriminator_log_vars)

        # student update: its backward all-reduces through this DDP
        with student_wrapper.optim_context(self):
            if iteration >= algorithm.adversarial_warmup_iters:
                losses['distill.loss_adv'] = \
                    algorithm.student_adversarial_loss(student_inputs, labels)
            loss, student_log_vars = algorithm.parse_losses(losses)
        student_wrapper.update_params(loss)
        log_vars.update(student_log_vars)
        return log_vars


MMENGINE_MODEL_WRAPPERS.register_module(
    name='HKSANCDistributedDataParallel',
    module=HKSANCDistributedDataParallel)
