"""HKSANC: one discriminator step, then one student step, per iteration.

Li et al., "Hierarchical Knowledge Squeezed Adversarial Network Compression"
(AAAI 2020); KSANC, arXiv 1904.05100. The student minimises
``lambda1 * L_b + lambda2 * L_adv + lambda3 * L_is`` (plus an optional
cross-entropy, off by default); a logit discriminator with a category head is
trained against it with its own optimizer.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmrazor.registry import MODELS

from ..heads import LogitDiscriminator
from .cached_teacher_distill import CachedTeacherDistill
from .recorder_sources import install_recorder_source_check
from .teacher_attention import load_adapted_connector

# clear errors for recorder sources that name no module (any distiller)
install_recorder_source_check()

OPTIM_KEYS = ('student', 'discriminator')
DISCRIMINATOR_INPUTS = ('logits', 'probabilities', 'descriptors')


def gt_labels_of(data_samples: Sequence) -> torch.Tensor:
    """Stack the ``gt_label`` of mmpretrain ``DataSample`` objects to (N,)."""
    return torch.cat([sample.gt_label.view(-1) for sample in data_samples])


@MODELS.register_module()
class HKSANCDistill(CachedTeacherDistill):
    """Hierarchical knowledge squeezed adversarial distillation.

    The distiller (an mmrazor ``ConfigurableDistiller``) records both
    networks' logits and stage/descriptor tuples and computes the backbone
    loss ``L_b`` and the intermediate supervision ``L_is`` through the
    hierarchical attention connectors. This class adds the discriminator and
    the two-optimizer step.

    One iteration (:meth:`train_step`):

    1. teacher forward under ``no_grad`` (eval mode), student forward;
    2. discriminator step(s) on :meth:`discriminator_loss`: D in train mode
       sees teacher logits and DETACHED student logits in one joint batch
       (so its input BatchNorm normalises both with the same statistics and
       can tell them apart), ``optim_wrapper['discriminator']`` updates D
       only;
    3. student step: D in eval mode with its parameters frozen scores the
       student logits (:meth:`student_adversarial_loss`);
       ``optim_wrapper['student']`` updates the student and its connectors
       from ``L_b + L_adv + L_is`` (+ optional CE).

    Teacher, its descriptor neck and its attention estimators
    (``teacher_connectors``) stay in eval mode with ``requires_grad=False``.

    Args:
        discriminator (dict): Config of the discriminator, e.g.
            ``dict(type='LogitDiscriminator', num_classes=10)``.
        adversarial_loss (dict): Config of ``AdversarialDistillLoss``; its
            ``loss_weight`` is the paper's lambda2.
        logits_recorder (str): Name of the recorder (the same name on both
            sides) that holds the classifier logits. Defaults to 'logits'.
        teacher_connectors (Sequence[str]): Distiller connectors that belong
            to the teacher (task-driven, trained before distillation): frozen
            here. Defaults to ('teacher_attention', ).
        teacher_attention_ckpt (str, optional): Checkpoint of the teacher
            adaptation phase (``AttentionAdaptation``); its ``connector.*``
            weights are loaded strictly into the first teacher connector.
        discriminator_steps (int): D updates per D-training iteration (on the
            same batch). Defaults to 1 (ours).
        discriminator_interval (int): Train D every this many iterations.
            With ``discriminator_steps`` it sets the D:S step ratio.
            Defaults to 1 (ours).
        adversarial_warmup_iters (int): Iterations at the start during which
            the student ignores ``L_adv`` (D still trains). Defaults to 0.
        fake_as_real_dropout (float): Dropout on the student logits fed to D
            for the fake-as-real term. Belagiannis et al. 2018 apply dropout
            (p = 0.5) inside the student; here it is applied to the logits
            D sees (ours, no second student forward). D scores these samples
            in eval mode, so the pass neither normalises with student-only
            batch statistics nor moves D's BatchNorm running statistics.
            Only used when the loss's ``fake_as_real_weight > 0``.
            Defaults to 0.5.
        student_connectors (Sequence[str]): Distiller connectors of the
            student side, in the order of ``teacher_connectors`` (used by
            ``attention_map_loss``, the connector warm-up and
            ``discriminator_input='descriptors'``). The names are the keys
            of the config's ``distiller.connectors``: a config that names
            its connectors otherwise sets this and ``teacher_connectors``.
            Defaults to ('student_attention', ).
        attention_map_loss (dict, optional): A loss on the attention maps,
            e.g. ``dict(type='AttentionMapLoss', loss_weight=1.0)``: ties the
            student's maps to the teacher's (ours; the paper compares only
            the squeezed descriptors). Logged as ``distill.loss_map``.
            Default None (off).
        intermediate_warmup_iters (int): For these first iterations the
            student connectors see DETACHED student features: they fit the
            teacher's descriptors while no intermediate-supervision gradient
            reaches the student network (the hint stage of FitNets, Romero
            et al. 2015). Default 0 (off).
        intermediate_ramp_iters (int): After the warm-up, the gradient that
            the intermediate terms (``L_is``, the map loss, D on descriptors)
            send into the student network through its connectors rises
            linearly from 0 to 1 over these iterations: lambda3 as the
            network sees it ramps up, while the connectors keep learning at
            the full weight. Default 0 (off).
        discriminator_input (str): What D judges (ours; the paper: logits).
            ``'logits'`` (default); ``'probabilities'``: softmax of the logits
            at ``discriminator_temperature``; ``'descriptors'``: the
            concatenated squeezed descriptors of all supervised stages (D's
            ``in_channels`` must be their total width).
        discriminator_temperature (float): Temperature of
            ``discriminator_input='probabilities'``. Defaults to 1.0.
        teacher_ckpt (str, optional): The trained teacher, loaded STRICTLY
            (mmrazor's own loading only warns about mismatched keys).
        teacher_cache (str, optional): Read the teacher's logits and
            squeezed descriptors from this cache (``tools/cache_teacher.py``)
            instead of running the teacher, which is then not built
            (:class:`CachedTeacherDistill`). The teacher connectors are
            still built and loaded from ``teacher_attention_ckpt`` (so the
            run's checkpoints have the same keys) but never run. Not with
            ``attention_map_loss`` or ``discriminator_input='descriptors'``
            (the maps and D's teacher inputs are not cached).
        **kwargs: ``SingleTeacherDistill`` arguments. ``calculate_student_loss``
            defaults to False here: the paper has no plain CE term.

    Raises:
        RecorderSourceError: A recorder ``source`` names no module of its
            network (the message lists the nearest names).
        FileNotFoundError: ``teacher_ckpt`` does not exist.
        CheckpointMismatchError: ``teacher_ckpt`` holds another
            architecture (missing/unexpected keys listed).
        ValueError: Teacher, student and discriminator disagree on the
            number of classes.
    """

    def __init__(self,
                 discriminator: dict,
                 adversarial_loss: dict,
                 logits_recorder: str = 'logits',
                 teacher_connectors: Sequence[str] = ('teacher_attention', ),
                 teacher_attention_ckpt: Optional[str] = None,
                 discriminator_steps: int = 1,
                 discriminator_interval: int = 1,
                 adversarial_warmup_iters: int = 0,
                 fake_as_real_dropout: float = 0.5,
                 student_connectors: Sequence[str] = ('student_attention', ),
                 attention_map_loss: Optional[dict] = None,
                 intermediate_warmup_iters: int = 0,
                 intermediate_ramp_iters: int = 0,
                 discriminator_input: str = 'logits',
                 discriminator_temperature: float = 1.0,
                 calculate_student_loss: bool = False,
                 teacher_ckpt: Optional[str] = None,
                 teacher_cache: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(
            calculate_student_loss=calculate_student_loss,
            teacher_ckpt=teacher_ckpt,
            teacher_cache=teacher_cache,
            teacher_checkpoints=dict(
                teacher_attention_ckpt=teacher_attention_ckpt),
            **kwargs)
        if teacher_cache and (attention_map_loss
                              or discriminator_input == 'descriptors'):
            raise ValueError(
                'model.teacher_cache holds the teacher\'s logits and squeezed '
                'descriptors, not its attention maps: set '
                'attention_map_loss=None and discriminator_input to '
                "'logits' or 'probabilities', or train with the live "
                'teacher (model.teacher_cache=None).')
        if discriminator_input not in DISCRIMINATOR_INPUTS:
            raise ValueError(
                f'discriminator_input={discriminator_input!r} is not '
                f'supported; allowed: {DISCRIMINATOR_INPUTS}')
        if not discriminator_temperature > 0:
            raise ValueError('discriminator_temperature must be > 0, got '
                             f'{discriminator_temperature!r}')
        for name, value in (('intermediate_warmup_iters',
                             intermediate_warmup_iters),
                            ('intermediate_ramp_iters',
                             intermediate_ramp_iters)):
            if not isinstance(value, int) or value < 0:
                raise ValueError(f'{name} must be an int >= 0, got '
                                 f'{value!r}')
        if discriminator_steps < 1 or discriminator_interval < 1:
            raise ValueError('discriminator_steps and discriminator_interval '
                             'must be >= 1, got '
                             f'{discriminator_steps}, {discriminator_interval}')
        self.discriminator = MODELS.build(discriminator)
        check_num_classes(self.student, self.teacher, self.discriminator)
        self.adversarial_loss = MODELS.build(adversarial_loss)
        self.logits_recorder = logits_recorder
        self.discriminator_steps = discriminator_steps
        self.discriminator_interval = discriminator_interval
        self.adversarial_warmup_iters = adversarial_warmup_iters
        self.fake_as_real_dropout = fake_as_real_dropout
        self.teacher_connector_names = tuple(teacher_connectors)
        self.student_connector_names = tuple(student_connectors)
        self.attention_map_loss = (MODELS.build(attention_map_loss)
                                   if attention_map_loss else None)
        self.intermediate_warmup_iters = intermediate_warmup_iters
        self.intermediate_ramp_iters = intermediate_ramp_iters
        self.discriminator_input = discriminator_input
        self.discriminator_temperature = discriminator_temperature
        self._check_recorders()
        if (self.attention_map_loss is not None
                or discriminator_input == 'descriptors'):
            for connector in self.student_connectors + \
                    self.teacher_connectors:
                connector.keep_outputs = True
        for connector in self.teacher_connectors:
            connector.requires_grad_(False)
        if teacher_attention_ckpt:
            self.load_teacher_attention(teacher_attention_ckpt)

    def _connectors(self, option: str,
                    names: Sequence[str]) -> List[nn.Module]:
        available = list(self.distiller.connectors.keys())
        missing = [n for n in names if n not in available]
        if missing:
            raise KeyError(f'{option} {missing} are not connectors '
                           f'of the distiller; it has {available}.')
        return [self.distiller.connectors[n] for n in names]

    @property
    def teacher_connectors(self) -> List[nn.Module]:
        """The frozen, teacher-side connectors of the distiller."""
        return self._connectors('teacher_connectors',
                                self.teacher_connector_names)

    @property
    def student_connectors(self) -> List[nn.Module]:
        """The student-side connectors, paired with ``teacher_connectors``."""
        return self._connectors('student_connectors',
                                self.student_connector_names)

    def _check_recorders(self) -> None:
        for side, recorders in (('student',
                                 self.distiller.student_recorders),
                                ('teacher',
                                 self.distiller.teacher_recorders)):
            if self.logits_recorder not in recorders.recorders:
                raise KeyError(
                    f'{side}_recorders has no {self.logits_recorder!r} '
                    'recorder for the logits; add e.g. '
                    f"{self.logits_recorder}=dict(type='ModuleOutputs', "
                    "source='head.fc') or set logits_recorder.")

    def load_teacher_attention(self, checkpoint: str) -> None:
        """Load the adaptation phase's ``connector.*`` weights (strict) into
        the first teacher connector
        (:func:`~.teacher_attention.load_adapted_connector`).

        Raises:
            ValueError: The config has no teacher connectors, or the
                recorded settings differ (each listed).
            FileNotFoundError, KeyError, CheckpointMismatchError: As
                ``load_adapted_connector``.
        """
        if not self.teacher_connectors:
            raise ValueError(
                f'teacher_attention_ckpt={checkpoint!r} is set but the '
                'distiller has no teacher connectors (teacher_connectors='
                f'{self.teacher_connector_names}); set '
                'model.teacher_attention_ckpt=None for configs without the '
                'attention part.')
        load_adapted_connector(self.teacher_connectors[0], checkpoint,
                               'model.teacher_attention_ckpt')

    def train(self, mode: bool = True) -> 'HKSANCDistill':
        """Teacher and teacher connectors always stay in eval mode."""
        super().train(mode)
        if self.teacher is not None:
            self.teacher.eval()
        for connector in self.teacher_connectors:
            connector.eval()
        return self

    def _logits(self, from_student: bool) -> torch.Tensor:
        return self.distiller.get_record(self.logits_recorder, from_student)

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapperDict) -> Dict[str, torch.Tensor]:
        """One HKSANC iteration: D update(s), then one student update.

        The paper's alternating updates (Li et al., AAAI 2020); the
        objective and its reading are in docs/method.md.
        ``HKSANCDistributedDataParallel.train_step`` is the same iteration
        with synchronised gradients.

        Args:
            data (dict | tuple | list): A batch from the data loader.
            optim_wrapper (OptimWrapperDict): With keys 'student' and
                'discriminator' (``HKSANCOptimWrapperConstructor``).

        Returns:
            Dict[str, Tensor]: Log variables of both players.
        """
        student_wrapper, discriminator_wrapper = split_optim_wrapper(
            optim_wrapper, type(self).__name__)
        iteration = current_iteration()
        self.set_intermediate_scale(iteration)

        # teacher (or its cache) and student forward: L_b, L_is (+ map loss)
        with student_wrapper.optim_context(self):
            data = self.data_preprocessor(data, True)
            inputs, data_samples = data['inputs'], data['data_samples']
            losses = self.loss(inputs, data_samples)
            if self.attention_map_loss is not None:
                losses['distill.loss_map'] = self.attention_map_term()
            labels = gt_labels_of(data_samples).to(inputs.device)
            teacher_inputs = self.discriminator_inputs(from_student=False)
            student_inputs = self.discriminator_inputs(from_student=True)
        self.release_connector_outputs()

        # D update(s): teacher (real) against detached student (fake)
        log_vars: Dict[str, torch.Tensor] = {}
        if iteration % self.discriminator_interval == 0:
            for _ in range(self.discriminator_steps):
                with discriminator_wrapper.optim_context(self.discriminator):
                    loss, discriminator_log_vars = self.discriminator_loss(
                        teacher_inputs, student_inputs.detach(), labels)
                discriminator_wrapper.update_params(loss)
                log_vars.update(discriminator_log_vars)

        # student update on L_b + L_is (+ map loss) + L_adv (D frozen)
        with student_wrapper.optim_context(self):
            if iteration >= self.adversarial_warmup_iters:
                losses['distill.loss_adv'] = self.student_adversarial_loss(
                    student_inputs, labels)
            loss, student_log_vars = self.parse_losses(losses)
        student_wrapper.update_params(loss)
        log_vars.update(student_log_vars)
        return log_vars

    def set_intermediate_scale(self, iteration: int) -> None:
        """Give the student connectors the gradient scale of ``iteration``
        (:meth:`intermediate_scale`); none in configs without them (the
        no-IS ablation and the ANC-style baseline)."""
        names = set(self.distiller.connectors.keys())
        for name in self.student_connector_names:
            if name in names:
                self.distiller.connectors[name].input_grad_scale = \
                    self.intermediate_scale(iteration)

    def intermediate_scale(self, iteration: int) -> float:
        """Scale of the intermediate gradient reaching the student network
        at ``iteration``: 0 during the warm-up, then a linear ramp to 1 over
        ``intermediate_ramp_iters`` (1 at once without a ramp)."""
        done = iteration - self.intermediate_warmup_iters
        if done < 0:
            return 0.0
        if self.intermediate_ramp_iters <= 0:
            return 1.0
        return float(min(done / self.intermediate_ramp_iters, 1.0))

    def attention_map_term(self) -> torch.Tensor:
        """``attention_map_loss`` on the maps of the last forward (student
        maps against the teacher's)."""
        student = [m for c in self.student_connectors
                   for m in c.attention_maps]
        teacher = [m for c in self.teacher_connectors
                   for m in c.last_attention_maps]
        return self.attention_map_loss(student, teacher)

    def discriminator_inputs(self, from_student: bool) -> torch.Tensor:
        """What D judges for one side of the last forward.

        Per ``discriminator_input``: the logits (the paper's choice),
        their softmax at ``discriminator_temperature``, or the
        concatenated squeezed descriptors of all supervised stages. The
        teacher side carries no gradient; the student side does.
        """
        if self.discriminator_input == 'descriptors':
            connectors = (self.student_connectors
                          if from_student else self.teacher_connectors)
            inputs = torch.cat(
                [d for c in connectors for d in c.descriptors], dim=1)
        else:
            inputs = self._logits(from_student)
            if self.discriminator_input == 'probabilities':
                inputs = F.softmax(
                    inputs / self.discriminator_temperature, dim=1)
        return inputs if from_student else inputs.detach()

    def release_connector_outputs(self) -> None:
        """Drop the maps and descriptors the connectors kept for this
        iteration (the student graph still holds what backward needs)."""
        for connector in self.distiller.connectors.values():
            if getattr(connector, 'keep_outputs', False):
                connector.attention_maps = ()
                connector.descriptors = ()

    def discriminator_loss(self, teacher_inputs: torch.Tensor,
                           student_inputs: torch.Tensor,
                           labels: torch.Tensor
                           ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """D's loss on teacher (real) against student (fake) inputs.

        ``AdversarialDistillLoss.discriminator_loss`` on D's scores (Li et
        al., AAAI 2020; KSANC arXiv 1904.05100; the reading in
        docs/method.md): real/fake criterion on both sides, category
        cross-entropy on both sides, ``mu * (L1 + squared L2)`` of D's
        weight matrices and, when ``fake_as_real_weight > 0``, the student
        inputs after dropout (``fake_as_real_dropout``) labelled "teacher".
        Nothing is updated; the caller back-propagates the loss.

        D scores teacher and student inputs in train mode as one joint
        batch, so its BatchNorm normalises both with the same statistics
        (and its running statistics move, as in any train-mode forward).
        The fake-as-real samples are scored in eval mode: they neither
        normalise themselves with student-only statistics nor move the
        running statistics. D's mode is restored afterwards.

        Args:
            teacher_inputs (Tensor): (N, D_in), D's teacher-side inputs
                (:meth:`discriminator_inputs`).
            student_inputs (Tensor): (N, D_in), D's student-side inputs;
                detached here, so the loss trains D only.
            labels (Tensor): (N,) class indices.

        Returns:
            tuple[Tensor, dict]: The loss, and the log variables
            ``disc.loss``, ``disc.loss_<term>`` per term and D's accuracies
            ``disc.acc_*``.
        """
        teacher_inputs = teacher_inputs.detach()
        student_inputs = student_inputs.detach()
        discriminator = self.discriminator
        was_training = discriminator.training
        num = teacher_inputs.shape[0]
        try:
            discriminator.train()
            scores = discriminator(torch.cat([teacher_inputs,
                                              student_inputs]))
            fake_as_real = None
            if self.adversarial_loss.fake_as_real_weight > 0:
                discriminator.eval()
                fake_as_real = discriminator(
                    F.dropout(student_inputs, self.fake_as_real_dropout,
                              training=True))
        finally:
            discriminator.train(was_training)
        teacher_scores, student_scores = scores[:num], scores[num:]
        terms = self.adversarial_loss.discriminator_loss(
            teacher_scores, student_scores, labels,
            discriminator.weight_matrices(), fake_as_real)
        loss, log_vars = self.parse_losses(
            {f'disc.{k}': v for k, v in terms.items()})
        log_vars.pop('loss')
        log_vars['disc.loss'] = loss.detach()
        accuracies = self.adversarial_loss.discriminator_accuracies(
            teacher_scores.detach(), student_scores.detach(), labels)
        log_vars.update({f'disc.{k}': v for k, v in accuracies.items()})
        return loss, log_vars

    def student_adversarial_loss(self, student_inputs: torch.Tensor,
                                 labels: torch.Tensor) -> torch.Tensor:
        """L_adv of the student: D frozen and in eval mode (unchanged).

        Args:
            student_inputs (Tensor): D's student-side inputs
                (:meth:`discriminator_inputs`), with gradient.
            labels (Tensor): (N,) class indices.

        Returns:
            Tensor: ``AdversarialDistillLoss`` on D's scores; its gradient
            reaches the student, none reaches D.
        """
        self.discriminator.eval()
        self.discriminator.requires_grad_(False)
        try:
            scores = self.discriminator(student_inputs)
            return self.adversarial_loss(scores, labels)
        finally:
            self.discriminator.requires_grad_(True)
            self.discriminator.train(self.training)


def split_optim_wrapper(optim_wrapper: OptimWrapperDict, trainer: str
                        ) -> Tuple[OptimWrapper, OptimWrapper]:
    """The student's and D's wrappers of an ``OptimWrapperDict``.

    Args:
        optim_wrapper (OptimWrapperDict): From
            ``HKSANCOptimWrapperConstructor``.
        trainer (str): Class name for the messages.

    Raises:
        TypeError: A single optimizer wrapper (names the constructor).
        KeyError: A key of :data:`OPTIM_KEYS` is missing.
    """
    if not isinstance(optim_wrapper, OptimWrapperDict):
        raise TypeError(
            f'{trainer} trains two players and needs one '
            f'optimizer wrapper each {OPTIM_KEYS}, got a single '
            f'{type(optim_wrapper).__name__}; use optim_wrapper=dict('
            "constructor='HKSANCOptimWrapperConstructor', student=dict("
            'optimizer=...), discriminator=dict(optimizer=...)).')
    missing = [k for k in OPTIM_KEYS if k not in optim_wrapper]
    if missing:
        raise KeyError(
            f'{trainer} needs optim wrappers {OPTIM_KEYS}, '
            f'missing {missing}; use optim_wrapper=dict(constructor='
            "'HKSANCOptimWrapperConstructor', student=..., "
            'discriminator=...).')
    return optim_wrapper['student'], optim_wrapper['discriminator']


def check_num_classes(student: nn.Module, teacher: nn.Module,
                      discriminator: nn.Module) -> None:
    """Teacher, student (``head.num_classes``) and discriminator
    (``num_classes``) must agree; a side without the attribute is skipped.

    Raises:
        ValueError: Naming the three numbers.
    """
    found = dict(
        teacher=getattr(getattr(teacher, 'head', None), 'num_classes', None),
        student=getattr(getattr(student, 'head', None), 'num_classes', None),
        discriminator=getattr(discriminator, 'num_classes', None))
    if len({v for v in found.values() if v is not None}) > 1:
        raise ValueError(
            'num_classes disagree: teacher head.num_classes='
            f"{found['teacher']}, student head.num_classes="
            f"{found['student']}, discriminator num_classes="
            f"{found['discriminator']}; set the same number in "
            'model.teacher.head, model.architecture.head and '
            'model.discriminator.')


def current_iteration() -> int:
    """The Runner's iteration (restored on resume); 0 outside a Runner."""
    return int(MessageHub.get_current_instance().get_info('iter', 0))
