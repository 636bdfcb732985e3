"""Teacher adaptation for semantic segmentation: estimators that see which
classes an image holds.

KSANC/HKSANC (arXiv 1904.05100) train the teacher's attention estimators
with the task and keep them fixed during distillation. A segmenter has no
single image label, so here (ours, as for detection) the estimators' task
is multi-label presence: a linear head on the concatenated squeezed
descriptors of the frozen teacher's backbone stages predicts, for every
foreground class, whether any pixel of the image's ``gt_sem_seg`` holds it
(binary cross-entropy). The background class and the ignore index (255)
set no target. The query of every stage is the global average pool of the
last stage (``descriptor_source='pool_last_stage'``).
"""
from typing import List, Optional

import torch
from mmrazor.registry import MODELS

from .presence_attention_adaptation import PresenceAttentionAdaptation


def segmentation_presence_targets(data_samples: List,
                                  num_classes: int,
                                  background_index: Optional[int] = 0,
                                  ignore_index: int = 255) -> torch.Tensor:
    """(N, num_classes) 0/1: does image n hold a pixel of foreground
    class c.

    The label values of ``gt_sem_seg`` are the segmenter's classes;
    ``background_index`` (if not None) is dropped, so label ``k`` is column
    ``k`` below it and ``k - 1`` above it. ``ignore_index`` is skipped.

    Raises:
        ValueError: A sample has no ``gt_sem_seg`` or a label out of range.
    """
    num_labels = num_classes + (background_index is not None)
    targets = torch.zeros(len(data_samples), num_classes)
    for n, sample in enumerate(data_samples):
        if 'gt_sem_seg' not in sample:
            raise ValueError(
                'SegmentationAttentionAdaptation needs segmentation samples '
                'with gt_sem_seg (mmseg PackSegInputs); got a sample without')
        labels = sample.gt_sem_seg.data.long().unique().cpu()
        labels = labels[labels != ignore_index]
        if labels.numel() and (labels.min() < 0
                               or labels.max() >= num_labels):
            raise ValueError(
                f'gt_sem_seg label {int(labels.max())} is out of range for '
                f'num_classes={num_classes} (+ background '
                f'{background_index}, ignore {ignore_index})')
        if background_index is not None:
            labels = labels[labels != background_index]
            labels = labels - (labels > background_index).long()
        targets[n, labels] = 1.0
    return targets


@MODELS.register_module()
class SegmentationAttentionAdaptation(PresenceAttentionAdaptation):
    """Train the attention estimators on a frozen segmenter's stages.

    Args:
        architecture (dict): The teacher segmenter (an mmseg config, e.g.
            ``dict(_scope_='mmseg', type='EncoderDecoder', ...)``).
        connector (dict): ``HierarchicalAttentionConnector`` over the
            backbone's stages, with the teacher's widths and
            ``descriptor_source='pool_last_stage'``.
        num_classes (int): Foreground classes: the segmenter's classes
            without the background.
        background_index (int, optional): The background label, which sets
            no presence target. Default 0; None: every label is a class.
        ignore_index (int): Label of unlabelled pixels. Default 255.
        teacher_ckpt (str, optional): The trained segmenter, loaded
            strictly.
        feature_source (str): ``'backbone'`` (default: the backbone stages,
            what phase 3 records from ``backbone``) or ``'neck'``
            (``extract_feat``: backbone plus neck, if the model has one).
        data_preprocessor (dict, optional): The segmenter's preprocessor.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 architecture: dict,
                 connector: dict,
                 num_classes: int,
                 background_index: Optional[int] = 0,
                 ignore_index: int = 255,
                 teacher_ckpt: Optional[str] = None,
                 feature_source: str = 'backbone',
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(architecture, connector, num_classes, teacher_ckpt,
                         feature_source, data_preprocessor, init_cfg)
        self.num_classes = num_classes
        self.background_index = background_index
        self.ignore_index = ignore_index

    def presence_targets(self, data_samples: List,
                         num_classes: int) -> torch.Tensor:
        """Presence of each foreground class in the samples'
        ``gt_sem_seg``."""
        return segmentation_presence_targets(
            data_samples, num_classes, self.background_index,
            self.ignore_index)
