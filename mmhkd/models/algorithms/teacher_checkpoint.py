"""Strict loading of checkpoints into sub-models, with clear errors.

MMRazor's ``SingleTeacherDistill`` loads ``teacher_ckpt`` with mmengine's
non-strict ``load_checkpoint``: a checkpoint of another architecture only
logs a warning and the teacher stays random. :func:`load_teacher_checkpoint`
refuses it, naming the missing, unexpected and mis-shaped keys.
"""
import os.path as osp
import re
from typing import Dict, List

import torch
import torch.nn as nn

MAX_LISTED_KEYS = 10
DISTILL_PREFIXES = ('architecture', 'teacher', 'distiller', 'discriminator')
TEACHER_HINT = (
    'Make it by training the teacher with its vanilla config and exporting '
    'the weights: python tools/train.py configs/vanilla/<teacher>.py, then '
    'python tools/export_checkpoint.py work_dirs/<teacher>/epoch_<N>.pth '
    '{path}')


class CheckpointMismatchError(KeyError):
    """A checkpoint's keys or shapes do not match the module it is loaded
    into. Its message prints as written (``KeyError`` would quote it)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ''


def load_checkpoint_state(checkpoint: str,
                          prefix: str) -> Dict[str, torch.Tensor]:
    """The ``prefix``-stripped entries of a checkpoint's state dict.

    Raises:
        FileNotFoundError: Naming the path when it does not exist.
        KeyError: When no key starts with ``prefix``.
    """
    is_url = checkpoint.startswith(('http://', 'https://'))
    if not is_url and not osp.isfile(checkpoint):
        raise FileNotFoundError(f'Checkpoint not found: {checkpoint}')
    from mmengine.runner.checkpoint import _load_checkpoint
    loaded = _load_checkpoint(checkpoint, map_location='cpu')
    state = loaded.get('state_dict', loaded)
    selected = {
        k[len(prefix):]: v
        for k, v in state.items() if k.startswith(prefix)
    }
    if not selected:
        raise KeyError(f'{checkpoint} has no weights under {prefix!r}; '
                       f'its top-level prefixes are '
                       f'{sorted({k.split(".")[0] for k in state})}.')
    return selected


def _listed(keys: List[str]) -> str:
    shown = keys[:MAX_LISTED_KEYS]
    more = len(keys) - len(shown)
    return f'{shown}' + (f' and {more} more' if more > 0 else '')


def load_state_strictly(module: nn.Module, state: Dict[str, torch.Tensor],
                        source: str, what: str) -> None:
    """``module.load_state_dict(state, strict=True)`` with a clear error.

    Args:
        module (nn.Module): Receives the weights.
        state (dict): The state dict to load.
        source (str): Where ``state`` comes from (a path), for the message.
        what (str): What is loaded, e.g. ``'teacher_ckpt'``.

    Raises:
        CheckpointMismatchError: Listing (at most 10 of each) the missing,
            unexpected and mis-shaped keys; nothing is loaded then.
    """
    own = module.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = sorted(
        f'{k}: {tuple(state[k].shape)} in the checkpoint, '
        f'{tuple(own[k].shape)} in the model' for k in set(own) & set(state)
        if hasattr(state[k], 'shape') and state[k].shape != own[k].shape)
    if missing or unexpected or shapes:
        message = (f'{what} {source} does not match the '
                   f'{type(module).__name__} it is loaded into (another '
                   f'architecture?): missing keys {_listed(missing)}, '
                   f'unexpected keys {_listed(unexpected)}')
        if shapes:
            message += f', shape mismatches {_listed(shapes)}'
        heads = {k.split('.')[0] for k in unexpected}
        if unexpected and heads <= set(DISTILL_PREFIXES):
            message += ('. It looks like a distillation checkpoint; export '
                        'the part you need, e.g. python '
                        'tools/export_checkpoint.py SRC DST --prefix teacher.')
        raise CheckpointMismatchError(message + '.')
    module.load_state_dict(state, strict=True)


def load_teacher_checkpoint(teacher: nn.Module, checkpoint: str) -> None:
    """Load ``checkpoint`` strictly into ``teacher`` and mark it initialised.

    Accepts plain weights (``tools/export_checkpoint.py``) and Runner
    checkpoints of the teacher's own config; a leading ``module.`` (saved
    from a DDP wrapper) is removed, as mmengine's loader does.

    Raises:
        FileNotFoundError: Naming the path and how to make the checkpoint.
        CheckpointMismatchError: When it holds another architecture.
    """
    is_url = checkpoint.startswith(('http://', 'https://'))
    if not is_url and not osp.isfile(checkpoint):
        raise FileNotFoundError(
            f'teacher_ckpt not found: {checkpoint} (looked for '
            f'{osp.abspath(checkpoint)}; tools/train.py also looks under the '
            'repository that holds the config). ' +
            TEACHER_HINT.format(path=checkpoint))
    state = {
        re.sub(r'^module\.', '', k): v
        for k, v in load_checkpoint_state(checkpoint, prefix='').items()
    }
    load_state_strictly(teacher, state, checkpoint, 'teacher_ckpt')
    teacher._is_init = True  # the Runner's init_weights keeps the weights
