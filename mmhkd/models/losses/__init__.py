"""mmhkd losses."""
from .adversarial_criterion import adversarial_criterion, decision_threshold
from .adversarial_distill_loss import AdversarialDistillLoss
from .backbone_logit_loss import BackboneLogitLoss
from .intermediate_supervision_loss import IntermediateSupervisionLoss
from .squared_error import squared_error

__all__ = [
    'AdversarialDistillLoss', 'BackboneLogitLoss',
    'IntermediateSupervisionLoss', 'adversarial_criterion',
    'decision_threshold', 'squared_error'
]
