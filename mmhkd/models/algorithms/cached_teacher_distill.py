"""Single-teacher distillation whose teacher side can be read from a cache.

With ``teacher_cache=None`` this is MMRazor's ``SingleTeacherDistill`` with
two changes: ``teacher_ckpt`` is loaded strictly (mmrazor only warns about
mismatched keys), and the teacher is built with the global random state
forked, so building it does not shift the student's initialisation (seed
``k`` initialises a student the same with or without a live teacher).

With ``teacher_cache=FILE`` (made by ``tools/cache_teacher.py``) the teacher
is not built: every teacher-side record of the distiller's losses (logits,
squeezed descriptors) is read from the cache for the views in the batch.
The training set must be the cache's ``ViewPoolDataset``
(docs/teacher_cache.md).
"""
from typing import Dict, List, Optional, Union

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from mmrazor.models.algorithms import SingleTeacherDistill
from mmrazor.models.algorithms.base import BaseAlgorithm, LossResults
from mmrazor.models.utils import add_prefix
from mmrazor.registry import MODELS

from ..teacher_cache import TeacherCache, teacher_side
from .teacher_checkpoint import load_teacher_checkpoint

SINGLE_TEACHER_ARGS = ('teacher_trainable', 'teacher_norm_eval',
                       'student_trainable', 'calculate_student_loss',
                       'teacher_module_inplace')
CACHEABLE_DISTILLERS = ('ConfigurableDistiller', 'TeacherCacheDistiller',
                        'mmrazor.ConfigurableDistiller')


def build_teacher_keeping_rng(teacher: Union[dict, BaseModel]) -> BaseModel:
    """Build the teacher without consuming the global random state."""
    if not isinstance(teacher, dict):
        return teacher
    with torch.random.fork_rng(devices=[]):
        return MODELS.build(teacher)


@MODELS.register_module()
class CachedTeacherDistill(SingleTeacherDistill):
    """``SingleTeacherDistill`` that can distil from a teacher cache.

    Args:
        distiller (dict): A ``ConfigurableDistiller`` config.
        teacher (dict | BaseModel): The teacher (not built when a cache is
            given).
        teacher_ckpt (str, optional): The teacher's weights, loaded strictly;
            with a cache, only its hash is compared with the cache's.
        teacher_cache (str, optional): A cache from
            ``tools/cache_teacher.py``; refused (``TeacherCacheMismatchError``)
            when the teacher config, checkpoints, teacher-side connectors,
            recorded calls or preprocessing differ from this config.
        teacher_checkpoints (dict, optional): Other checkpoints of the
            teacher side by option name (hashed into the cache check), e.g.
            HKSANC's ``teacher_attention_ckpt``.
        **kwargs: ``SingleTeacherDistill`` / ``BaseAlgorithm`` arguments.
    """

    def __init__(self,
                 distiller: dict,
                 teacher: Union[dict, BaseModel],
                 teacher_ckpt: Optional[str] = None,
                 teacher_cache: Optional[str] = None,
                 teacher_checkpoints: Optional[Dict[str, str]] = None,
                 **kwargs) -> None:
        self.teacher_cache = None
        if not teacher_cache:
            super().__init__(distiller=distiller,
                             teacher=build_teacher_keeping_rng(teacher),
                             teacher_ckpt=None, **kwargs)
            if teacher_ckpt:
                load_teacher_checkpoint(self.teacher, teacher_ckpt)
            else:
                print_log(
                    f'{type(self).__name__}: model.teacher_ckpt is not set, '
                    'so the teacher keeps its random initialisation (fine '
                    'for smoke tests and for tools/test.py, which loads a '
                    'whole distillation checkpoint; not for training).',
                    logger='current', level=30)
            return
        if not isinstance(teacher, dict):
            raise TypeError('teacher_cache needs model.teacher as a config '
                            'dict (its description is checked against the '
                            'cache).')
        own = {k: kwargs.pop(k) for k in SINGLE_TEACHER_ARGS if k in kwargs}
        if own.get('teacher_trainable'):
            raise ValueError('teacher_cache cannot be used with '
                             'teacher_trainable=True: a trained teacher '
                             'changes its outputs.')
        BaseAlgorithm.__init__(self, **kwargs)
        self.distiller = MODELS.build(self._cache_distiller_cfg(distiller))
        if len(self.distiller.deliveries.deliveries):
            raise ValueError('teacher_cache cannot be used with distiller '
                             'deliveries (they pass the teacher\'s random '
                             'choices to the student at run time).')
        self.teacher = None
        self.teacher_trainable = False
        self.teacher_norm_eval = own.get('teacher_norm_eval', True)
        self.teacher_module_inplace = own.get('teacher_module_inplace', False)
        self.student_trainable = own.get('student_trainable', True)
        self.calculate_student_loss = own.get('calculate_student_loss', True)
        self.distiller.prepare_from_student(self.student)
        self.distillation_stopped = False
        self.teacher_cache = TeacherCache(teacher_cache)
        self.teacher_cache.check_teacher_side(
            teacher_side(teacher, teacher_ckpt, distiller,
                         kwargs.get('data_preprocessor'),
                         teacher_checkpoints))
        print_log(
            f'{type(self).__name__}: the teacher is not built; its records '
            f'{self.teacher_cache.keys} come from {teacher_cache} '
            f"({self.teacher_cache.manifest['num_views']} views of "
            f"{self.teacher_cache.manifest['num_images']} images).",
            logger='current')

    @staticmethod
    def _cache_distiller_cfg(distiller: dict) -> dict:
        if distiller.get('type') not in CACHEABLE_DISTILLERS:
            raise ValueError(
                f"teacher_cache needs a ConfigurableDistiller, got "
                f"{distiller.get('type')!r}.")
        return dict(distiller, type='TeacherCacheDistiller')

    def loss(self,
             batch_inputs: torch.Tensor,
             data_samples: Optional[List[BaseDataElement]] = None
             ) -> LossResults:
        """Student forward and distillation losses; the teacher's records
        come from the live teacher, or from the cache when one is set."""
        if self.teacher_cache is None:
            return super().loss(batch_inputs, data_samples)
        self.distiller.cached_teacher_records = self.teacher_cache.records(
            data_samples, batch_inputs.device)
        losses = dict()
        self.distiller.set_deliveries_override(True)
        with self.distiller.student_recorders, self.distiller.deliveries:
            if self.calculate_student_loss:
                losses.update(add_prefix(
                    self.student(batch_inputs, data_samples, mode='loss'),
                    'student'))
            elif self.student_trainable:
                _ = self.student(batch_inputs, data_samples, mode='loss')
            else:
                with torch.no_grad():
                    _ = self.student(batch_inputs, data_samples, mode='loss')
        if not self.distillation_stopped:
            losses.update(add_prefix(self.distiller.compute_distill_losses(),
                                     'distill'))
        return losses

    def train(self, mode: bool = True) -> 'CachedTeacherDistill':
        """As ``SingleTeacherDistill.train``; no teacher to set with a
        cache."""
        if self.teacher is None:
            BaseAlgorithm.train(self, mode)
            return self
        super().train(mode)
        return self
