"""Keep the global random generators in checkpoints for exact resumption.

mmengine's Runner restores model, optimizers, schedulers, the iteration and
the seed on resume, and ``DefaultSampler`` derives each epoch's order from
``seed + epoch``; but the global generators (Python ``random``, NumPy, torch
CPU/CUDA) restart from the seed. They drive the training augmentation
(mmcv/mmpretrain transforms draw from NumPy in the main process when
``num_workers=0``) and torch-side randomness such as HKSANC's fake-as-real
dropout, so a resumed run would not continue the uninterrupted one.

:class:`RNGStateHook` writes the generators' states into
``checkpoint['meta']['rng_state']`` (plain Python values and CPU tensors:
loadable with ``torch.load(weights_only=True)``) and puts them back when
the Runner resumes from that checkpoint. Validation is made neutral for the
generators (states saved before it and restored after it), because the
Runner saves the epoch's checkpoint before it validates.

Distributed runs: ``Runner.save_checkpoint`` runs on rank 0 only, so the
checkpoint holds rank 0's states and every rank restores them. With
``randomness.diff_rank_seed=False`` (the default) all ranks draw from
identically seeded generators the same number of times (equal per-rank
batches, a fixed number of draws per sample), so their states are equal.
With ``diff_rank_seed=True`` they differ; the hook then restores nothing and
says so.

Not covered: data-loader worker processes with ``persistent_workers=True``
(mmengine seeds each worker once from ``seed``, rank and worker id, so their
streams restart on resume). With ``num_workers=0``, or non-persistent
workers (re-seeded identically every epoch), resumption is exact.
"""
import random
from typing import Dict, Optional

import numpy as np
import torch
from mmengine.dist import get_world_size
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.registry import HOOKS

RNG_STATE_KEY = 'rng_state'
RNGState = Dict[str, object]


def capture_rng_state() -> RNGState:
    """The states of Python's, NumPy's and torch's global generators."""
    name, keys, pos, has_gauss, cached_gaussian = np.random.get_state()
    state: RNGState = dict(
        python=random.getstate(),
        numpy=(str(name), keys.tolist(), int(pos), int(has_gauss),
               float(cached_gaussian)),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: RNGState) -> None:
    """Set the global generators to a :func:`capture_rng_state` result."""
    random.setstate(state['python'])
    name, keys, pos, has_gauss, cached_gaussian = state['numpy']
    np.random.set_state(
        (name, np.asarray(keys, dtype=np.uint32), pos, has_gauss,
         cached_gaussian))
    # a checkpoint resumed with map_location='cuda' holds them on the GPU
    torch.set_rng_state(state['torch'].cpu())
    cuda_states = state.get('cuda')
    if cuda_states and torch.cuda.is_available():
        if len(cuda_states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all([s.cpu() for s in cuda_states])


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save the generators' states in checkpoints, restore them on resume.

    Restoration happens in ``before_train`` (after the Runner has finished
    resuming, which may re-seed) and only when the Runner resumed from the
    checkpoint: its epoch and iteration equal the checkpoint's. Loading
    weights with ``load_from`` alone leaves the generators alone.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._pending: Optional[dict] = None
        self._val_snapshot: Optional[RNGState] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Store the training states (rank 0 only: it alone saves)."""
        state = self._val_snapshot or capture_rng_state()
        checkpoint.setdefault('meta', {})[RNG_STATE_KEY] = state

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Keep the states until the Runner has finished resuming."""
        meta = checkpoint.get('meta', {})
        self._pending = None
        if RNG_STATE_KEY in meta:
            self._pending = dict(
                state=meta[RNG_STATE_KEY],
                epoch=meta.get('epoch'),
                iter=meta.get('iter'))

    def before_train(self, runner) -> None:
        """Restore the states when resuming from the checkpoint."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        if (runner.epoch, runner.iter) != (pending['epoch'], pending['iter']):
            return  # weights loaded with load_from, not a resumption
        randomness = runner.cfg.get('randomness') or {}
        if get_world_size() > 1 and randomness.get('diff_rank_seed', False):
            print_log(
                'RNGStateHook: with diff_rank_seed=True the checkpoint holds '
                "only rank 0's random states; they are not restored.",
                logger='current',
                level=30)
            return
        restore_rng_state(pending['state'])

    def before_val(self, runner) -> None:
        self._val_snapshot = capture_rng_state()

    def after_val(self, runner) -> None:
        snapshot, self._val_snapshot = self._val_snapshot, None
        if snapshot is not None:
            restore_rng_state(snapshot)
