"""Runner hooks."""
from .channels_last_hook import ChannelsLastHook, to_channels_last
from .non_finite_loss_hook import NonFiniteLossHook
from .paired_init_hook import PairedInitHook
from .rng_state_hook import (RNGStateHook, capture_rng_state,
                             restore_rng_state)
from .student_export_hook import StudentExportHook

__all__ = [
    'ChannelsLastHook', 'NonFiniteLossHook', 'PairedInitHook',
    'RNGStateHook',
    'StudentExportHook', 'capture_rng_state', 'restore_rng_state',
    'to_channels_last'
]
