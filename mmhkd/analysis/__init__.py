"""Diagnostics of HKSANC distillation (Li et al., AAAI 2020).

One module per measurement: :mod:`.stage_gradients`, :mod:`.connector_fit`,
:mod:`.attention_stats`, :mod:`.discriminator_stats`; :mod:`.diagnose` runs
them on a model and batches, :mod:`.report` writes the Markdown.
``tools/analysis/diagnose_hksanc.py`` is the command line.
"""
from .attention_stats import map_divergence, normalized_entropy
from .connector_fit import connector_fit_share, stage_is_losses
from .discriminator_stats import discriminator_accuracies
from .stage_gradients import (capture_stages, find_stage_modules,
                              gradient_statistics, term_gradients)

__all__ = [
    'capture_stages', 'connector_fit_share', 'discriminator_accuracies',
    'find_stage_modules', 'gradient_statistics', 'map_divergence',
    'normalized_entropy', 'stage_is_losses', 'term_gradients'
]
