"""Compatibility layer that lets MMRazor 1.0.0 run on torch 2.x.

:func:`apply_compat` runs once when ``mmhkd`` is imported, before any
``mmrazor.models`` import, and needs no user action.
"""
from .cpu_distributed import patch_cpu_init_dist
from .mmrazor_torch2 import (QuantizationUnavailableError,
                             install_quantization_stand_in)
from .safe_checkpoint_loading import (UnsafeCheckpointGlobalError,
                                      allow_mmengine_checkpoint_globals)


def apply_compat() -> None:
    """Install the quantization stand-in, the checkpoint allow-list and the
    CPU-aware distributed start-up."""
    install_quantization_stand_in()
    allow_mmengine_checkpoint_globals()
    patch_cpu_init_dist()


__all__ = [
    'apply_compat', 'QuantizationUnavailableError',
    'UnsafeCheckpointGlobalError', 'install_quantization_stand_in',
    'allow_mmengine_checkpoint_globals', 'patch_cpu_init_dist'
]
