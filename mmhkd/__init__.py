"""mmhkd: Hierarchical Knowledge Squeezed Adversarial Network Compression.

Importing this package makes MMRazor 1.0.0 importable on torch 2.x (see
:mod:`mmhkd.compat`) and registers mmhkd's components in the OpenMMLab
registries: backbones, necks and datasets in mmpretrain's, distillation
components in mmrazor's.
"""
from .compat import apply_compat
from .version import __version__

apply_compat()

from . import datasets, engine, models  # noqa: E402,F401

__all__ = ['__version__', 'apply_compat']
