"""Runner hooks."""
from .non_finite_loss_hook import NonFiniteLossHook
from .rng_state_hook import (RNGStateHook, capture_rng_state,
                             restore_rng_state)
from .student_export_hook import StudentExportHook

__all__ = [
    'NonFiniteLossHook', 'RNGStateHook', 'StudentExportHook',
    'capture_rng_state', 'restore_rng_state'
]
