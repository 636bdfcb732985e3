"""Teacher adaptation: learn the teacher's task-driven attention estimators.

KSANC/HKSANC (arXiv 1904.05100) call the estimators "task-driven": they are
trained with the task, not by the distillation loss. The paper leaves open
how (docs/method.md, "Open choices", row "teacher adaptation"); here (ours)
the teacher is frozen and its attention connector is trained with a linear
classifier on the concatenated squeezed descriptors; the distillation config
then loads ``connector.*`` from this phase's checkpoint and keeps it frozen.
"""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmrazor.models.algorithms.base import BaseAlgorithm
from mmrazor.registry import MODELS

from .attention_settings import check_same_settings
from .hksanc_distill import gt_labels_of
from .teacher_attention import SETTINGS_KEY
from .teacher_checkpoint import load_checkpoint_state

FEATURE_SOURCES = ('neck', 'backbone')



@MODELS.register_module()
class AttentionAdaptation(BaseAlgorithm):
    """Train attention estimators on a frozen teacher with a CE head.

    Args:
        architecture (dict): The teacher classifier config.
        connector (dict): ``HierarchicalAttentionConnector`` config with the
            teacher's own widths (no channel transform).
        num_classes (int): Classes of the task.
        teacher_ckpt (str, optional): Trained teacher; loaded strictly.
            Required for real use; ``None`` only for smoke tests.
        feature_source (str): 'neck' (the teacher has mmhkd's
            GlobalDescriptorNeck: its output ``(*stages, descriptor)`` feeds
            the connector) or 'backbone' (stock model: the backbone stages
            feed a connector with ``descriptor_source='pool_last_stage'``).
        data_preprocessor (dict, optional): Data preprocessor config.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 architecture: dict,
                 connector: dict,
                 num_classes: int,
                 teacher_ckpt: Optional[str] = None,
                 feature_source: str = 'neck',
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(architecture, data_preprocessor, init_cfg)
        if feature_source not in FEATURE_SOURCES:
            raise ValueError(f'feature_source must be one of '
                             f'{FEATURE_SOURCES}, got {feature_source!r}')
        self.feature_source = feature_source
        if teacher_ckpt:
            state = load_checkpoint_state(teacher_ckpt, prefix='')
            self.architecture.load_state_dict(state, strict=True)
            self.architecture._is_init = True
        self.architecture.requires_grad_(False)
        self.connector = MODELS.build(connector)
        self.head = nn.Linear(
            sum(self.connector.attention_channels), num_classes)

    def get_extra_state(self) -> dict:
        """Saved in every checkpoint as ``_extra_state``: the connector's
        settings (query, ``attention_cfg``, widths), so that distillation can
        refuse estimators adapted under other settings."""
        return {SETTINGS_KEY: self.connector.settings()}

    def set_extra_state(self, state: dict) -> None:
        """Resuming or loading this phase: the recorded settings must be the
        connector's own.

        Raises:
            ValueError: Naming every setting that differs.
        """
        recorded = (state or {}).get(SETTINGS_KEY)
        if recorded is not None:
            check_same_settings(recorded, self.connector.settings(),
                                'this checkpoint')

    def train(self, mode: bool = True) -> 'AttentionAdaptation':
        """The teacher always stays in eval mode."""
        super().train(mode)
        self.architecture.eval()
        return self

    def _forward(self, inputs: torch.Tensor,
                 data_samples: Optional[List] = None) -> torch.Tensor:
        """Logits of the attention head (N, num_classes)."""
        with torch.no_grad():
            if self.feature_source == 'neck':
                features = self.architecture.extract_feat(inputs)
            else:
                features = self.architecture.backbone(inputs)
        descriptors: Tuple[torch.Tensor, ...] = self.connector(features)
        return self.head(torch.cat(descriptors, dim=1))

    def loss(self, inputs: torch.Tensor,
             data_samples: List) -> Dict[str, torch.Tensor]:
        """Cross-entropy of the attention head against the labels."""
        logits = self._forward(inputs)
        labels = gt_labels_of(data_samples).to(logits.device)
        return dict(loss_attention_ce=F.cross_entropy(logits, labels))

    def _predict(self, inputs: torch.Tensor, data_samples: List) -> List:
        """Attention-head predictions (the estimators' task accuracy)."""
        scores = F.softmax(self._forward(inputs), dim=1)
        for sample, score in zip(data_samples, scores):
            sample.set_pred_score(score).set_pred_label(score.argmax())
        return data_samples
