"""Test helper imported by a config (``custom_imports``): per-rank dumps.

The Runner writes checkpoints from rank 0 only; this hook writes what every
rank holds to ``<work_dir>/rank<r>.pth``: the algorithm's parameters and
buffers before training (after weights are initialised and broadcast) and
after it, the optimizers' states, the samples each iteration saw and the
global random generators' states at the end.
"""
from typing import Dict, List

import torch
from mmengine.dist import get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS

from mmhkd.engine.hooks import capture_rng_state


def _tensors(named) -> Dict[str, torch.Tensor]:
    return {name: t.detach().clone().cpu() for name, t in named}


@HOOKS.register_module()
class RankDumpHook(Hook):
    """Record weights and seen samples of this rank; dump after training."""

    priority = 'LOWEST'

    def __init__(self) -> None:
        self.init: Dict[str, Dict[str, torch.Tensor]] = {}
        self.batches: List[dict] = []

    @staticmethod
    def _state(runner) -> Dict[str, Dict[str, torch.Tensor]]:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        return dict(
            params=_tensors(model.named_parameters()),
            buffers=_tensors(model.named_buffers()))

    def before_train(self, runner) -> None:
        self.init = self._state(runner)

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch: dict = None) -> None:
        samples = data_batch['data_samples']
        self.batches.append(
            dict(
                epoch=runner.epoch,
                sample_idx=[int(s.sample_idx) for s in samples],
                labels=[int(s.gt_label) for s in samples]))

    def after_train(self, runner) -> None:
        torch.save(
            dict(
                rank=get_rank(),
                world_size=get_world_size(),
                wrapper=type(runner.model).__name__,
                init=self.init,
                final=self._state(runner),
                optimizer=runner.optim_wrapper.state_dict(),
                batches=self.batches,
                rng_state=capture_rng_state()),
            f'{runner.work_dir}/rank{get_rank()}.pth')
