"""Seed ``k`` initialises the student the same way in every method.

mmengine seeds the generators, builds the model, then initialises its
weights (``Runner.train``: ``before_run`` hooks, then ``init_weights``). A
distillation algorithm builds more than the student before that point
(connectors, a discriminator, a teacher), so with the same seed the
student's ``init_weights`` would start from another torch random state than
the vanilla student's, and paired-by-seed comparisons (docs/benchmark.md)
would compare different initialisations. This hook re-seeds torch's
generator with the run's seed in ``before_run``, just before the weights are
initialised: the student is built first in every method (the construction
draws are the same) and initialised first (``architecture`` is the
algorithm's first child with weights), so both draws match across methods.
"""
import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class PairedInitHook(Hook):
    """Re-seed torch's generator with the run's seed before weight init."""

    priority = 'VERY_LOW'  # the last before_run hook: nothing draws after

    def before_run(self, runner) -> None:
        seed = runner.seed
        if seed is not None:
            torch.manual_seed(seed)
