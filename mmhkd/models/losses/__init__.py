"""mmhkd losses."""
from .adversarial_criterion import adversarial_criterion, decision_threshold
from .adversarial_distill_loss import AdversarialDistillLoss
from .attention_map_loss import AttentionMapLoss, map_kl
from .backbone_logit_loss import BackboneLogitLoss, kd_divergence
from .intermediate_supervision_loss import (IntermediateSupervisionLoss,
                                            standardize_over_batch)
from .squared_error import squared_error

__all__ = [
    'AdversarialDistillLoss', 'AttentionMapLoss', 'BackboneLogitLoss',
    'IntermediateSupervisionLoss', 'adversarial_criterion',
    'decision_threshold', 'kd_divergence', 'map_kl', 'squared_error',
    'standardize_over_batch'
]
