"""Turn a Runner checkpoint into a plain, weights-only model checkpoint.

Used to ship the teacher (optimizer state and logs dropped) and to export
the student of a distillation run (keys under ``architecture.`` only, the
prefix removed), which then loads with ``strict=True`` into the student's own
(mmpretrain, mmdet, mmseg) config.
"""
import os
import os.path as osp
from typing import Dict, Optional

import torch


def export_state_dict(src: str,
                      dst: str,
                      prefix: Optional[str] = None,
                      overwrite: bool = False) -> Dict[str, torch.Tensor]:
    """Write ``{'state_dict': ..., 'meta': ...}`` of ``src`` to ``dst``.

    Args:
        src (str): Runner checkpoint (loaded with ``weights_only=True``).
        dst (str): Output file.
        prefix (str, optional): Keep only keys starting with it, stripped
            (e.g. ``'architecture.'`` for a distillation student).
        overwrite (bool): Replace an existing ``dst``. Defaults to False.

    Returns:
        dict: The exported state dict.

    Raises:
        ValueError: ``dst`` is ``src`` (even with ``overwrite``).
        FileExistsError: ``dst`` exists and ``overwrite`` is False.
    """
    if not osp.isfile(src):
        raise FileNotFoundError(f'Checkpoint not found: {src}')
    if osp.exists(dst) and osp.samefile(src, dst):
        raise ValueError(f'The output {dst} is the input checkpoint itself; '
                         'exporting would replace it. Choose another output '
                         'file.')
    if osp.exists(dst) and not overwrite:
        raise FileExistsError(f'{dst} exists; pass overwrite=True (--force) '
                              'to replace it.')
    checkpoint = torch.load(src, map_location='cpu', weights_only=True)
    state = checkpoint.get('state_dict', checkpoint)
    if prefix:
        state = {
            k[len(prefix):]: v
            for k, v in state.items() if k.startswith(prefix)
        }
        if not state:
            raise KeyError(f'{src} has no keys under {prefix!r}.')
    meta = dict(checkpoint.get('meta', {}) or {})
    meta = {k: meta[k] for k in ('epoch', 'iter', 'seed', 'experiment_name',
                                 'mmengine_version') if k in meta}
    meta['exported_from'] = osp.basename(src)
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    tmp = dst + '.tmp'
    torch.save(dict(state_dict=state, meta=meta), tmp)
    os.replace(tmp, dst)
    return state
