"""mmhkd: Hierarchical Knowledge Squeezed Adversarial Network Compression.

Importing this package makes MMRazor 1.0.0 importable on torch 2.x (see
:mod:`mmhkd.compat`) and registers mmhkd's components in the OpenMMLab
registries: backbones, necks and datasets in mmpretrain's, distillation
components in mmrazor's; and makes ``mmhkd::`` config paths resolve to the
repository's ``configs/`` (see :mod:`mmhkd.config_scope`).
"""
from .compat import apply_compat
from .config_scope import register_config_scope
from .version import __version__

apply_compat()
register_config_scope()

from . import datasets, engine, models  # noqa: E402,F401

__all__ = ['__version__', 'apply_compat']
