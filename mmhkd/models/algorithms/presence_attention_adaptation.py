"""Teacher adaptation by multi-label class presence (detection and
segmentation).

KSANC/HKSANC (arXiv 1904.05100) train the teacher's attention estimators
with the task and keep them fixed during distillation. A detector or a
segmenter has no single image label, so here (ours) the estimators' task is
multi-label presence: a linear head on the concatenated squeezed
descriptors predicts, for every class, whether the image holds it (binary
cross-entropy). Subclasses say how a sample's targets are read.
"""
from typing import Dict, List

import torch
import torch.nn.functional as F

from .attention_adaptation import AttentionAdaptation


class PresenceAttentionAdaptation(AttentionAdaptation):
    """:class:`AttentionAdaptation` with a multi-label presence head.

    Subclasses define ``presence_targets(data_samples, num_classes)``: the
    (N, num_classes) 0/1 targets of a batch. The arguments are
    :class:`AttentionAdaptation`'s.
    """

    def loss(self, inputs: torch.Tensor,
             data_samples: List) -> Dict[str, torch.Tensor]:
        """Binary cross-entropy of the presence head."""
        logits = self._forward(inputs)
        targets = self.presence_targets(data_samples, logits.shape[1])
        return dict(loss_attention_presence=F.binary_cross_entropy_with_logits(
            logits, targets.to(logits)))

    def _predict(self, inputs: torch.Tensor, data_samples: List) -> List:
        """Each sample gets ``pred_presence``: (num_classes,) sigmoid
        scores of the presence head."""
        scores = torch.sigmoid(self._forward(inputs))
        for sample, score in zip(data_samples, scores):
            sample.set_field(score, 'pred_presence')
        return data_samples
