"""Distillation algorithms (registered in mmrazor's MODELS)."""
from .attention_adaptation import AttentionAdaptation
from .hksanc_distill import HKSANCDistill

__all__ = ['AttentionAdaptation', 'HKSANCDistill']
