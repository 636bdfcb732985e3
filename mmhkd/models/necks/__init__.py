"""Necks (registered in mmpretrain's MODELS)."""
from .global_descriptor_neck import GlobalDescriptorNeck

__all__ = ['GlobalDescriptorNeck']
