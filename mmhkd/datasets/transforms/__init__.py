"""Data transforms (registered in mmpretrain's TRANSFORMS)."""
from .centre_pad import CentrePad

__all__ = ['CentrePad']
