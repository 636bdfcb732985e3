"""Distillation algorithms (registered in mmrazor's MODELS) and the checks
that turn configuration mistakes into clear errors."""
from .attention_adaptation import AttentionAdaptation
from .detection_attention_adaptation import DetectionAttentionAdaptation
from .segmentation_attention_adaptation import (
    SegmentationAttentionAdaptation, segmentation_presence_targets)
from .cached_teacher_distill import CachedTeacherDistill
from .hksanc_distill import HKSANCDistill, check_num_classes
from .recorder_sources import (RecorderSourceError, check_recorder_sources,
                               install_recorder_source_check)
from .teacher_checkpoint import (CheckpointMismatchError,
                                 load_state_strictly, load_teacher_checkpoint)

__all__ = [
    'AttentionAdaptation', 'CachedTeacherDistill',
    'DetectionAttentionAdaptation', 'HKSANCDistill', 'CheckpointMismatchError',
    'RecorderSourceError', 'check_num_classes', 'check_recorder_sources',
    'install_recorder_source_check', 'load_state_strictly',
    'load_teacher_checkpoint', 'SegmentationAttentionAdaptation',
    'segmentation_presence_targets'
]
