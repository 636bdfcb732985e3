"""Teacher adaptation for detection: estimators that see which classes an
image holds.

KSANC/HKSANC (arXiv 1904.05100) train the teacher's attention estimators
with the task and keep them fixed during distillation. A detector has no
single image label, so here (ours) the task of the estimators is
multi-label presence: a linear head on the concatenated squeezed
descriptors of the frozen teacher's FPN levels predicts, for every class,
whether the image holds an object of it (binary cross-entropy). The query
of every level is a global descriptor of the image, pooled from the top
level (``descriptor_source='pool_last_stage'``) or from all levels
(``'pool_all_stages'``), see ``HierarchicalAttentionConnector``.
"""
from typing import List

import torch
from mmrazor.registry import MODELS

from .presence_attention_adaptation import PresenceAttentionAdaptation


def presence_targets(data_samples: List, num_classes: int) -> torch.Tensor:
    """(N, num_classes) 0/1: does image n hold an object of class c.

    Raises:
        ValueError: A sample has no ``gt_instances`` or a label out of
            range.
    """
    targets = torch.zeros(len(data_samples), num_classes)
    for n, sample in enumerate(data_samples):
        if 'gt_instances' not in sample:
            raise ValueError(
                'DetectionAttentionAdaptation needs detection samples with '
                'gt_instances (mmdet PackDetInputs); got a sample without')
        labels = sample.gt_instances.labels.long().cpu()
        if labels.numel() and (labels.min() < 0
                               or labels.max() >= num_classes):
            raise ValueError(
                f'gt label {int(labels.max())} is out of range for '
                f'num_classes={num_classes}')
        targets[n, labels] = 1.0
    return targets


@MODELS.register_module()
class DetectionAttentionAdaptation(PresenceAttentionAdaptation):
    """Train the attention estimators on a frozen detector's FPN levels.

    Args:
        architecture (dict): The teacher detector (an mmdet config, e.g.
            ``dict(_scope_='mmdet', type='RetinaNet', ...)``).
        connector (dict): ``HierarchicalAttentionConnector`` over the neck's
            levels, with the teacher's widths, ``descriptor_source``
            ``'pool_last_stage'`` or ``'pool_all_stages'``.
        num_classes (int): Object classes of the detector.
        teacher_ckpt (str, optional): The trained detector, loaded strictly.
        feature_source (str): ``'neck'`` (default: the FPN levels,
            ``extract_feat``) or ``'backbone'`` (the backbone stages).
        data_preprocessor (dict, optional): The detector's preprocessor.
        init_cfg (dict, optional): Initialisation config.
    """

    def presence_targets(self, data_samples: List,
                         num_classes: int) -> torch.Tensor:
        """Presence of each class among the samples' ``gt_instances``."""
        return presence_targets(data_samples, num_classes)
