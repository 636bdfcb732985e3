"""Relative file paths in a config resolve against its repository too.

mmhkd's configs name their inputs relative to the repository root
(``checkpoints/...``, ``work_dirs/<phase 2>/epoch_1.pth``). Run from another
folder, such a path would not be found from the working directory and the
run would stop with advice to retrain a teacher that exists. A relative
input path that does not exist from the working directory but exists under
the repository that holds the config is made absolute there; anything else
is left as it is (and its error says where it was looked for).
"""
import os.path as osp
from typing import List, Optional

from mmengine.config import Config

# inputs a run reads (outputs such as work_dir stay relative to the working
# directory, as in every OpenMMLab tool)
INPUT_KEYS = ('model.teacher_ckpt', 'model.teacher_attention_ckpt',
              'model.teacher_cache', 'load_from')


def repository_of(config_path: str) -> Optional[str]:
    """The folder above the ``configs`` folder that holds ``config_path``."""
    parts = osp.abspath(config_path).split(osp.sep)
    if 'configs' not in parts:
        return None
    index = len(parts) - 1 - parts[::-1].index('configs')
    return osp.sep.join(parts[:index]) or osp.sep


def resolve_input_paths(cfg: Config, config_path: str) -> List[str]:
    """Make relative input paths of ``cfg`` absolute under the config's
    repository when only there they exist; returns the keys changed."""
    root = repository_of(config_path)
    if root is None:
        return []
    changed = []
    for key in INPUT_KEYS:
        owner, name = cfg, key
        if '.' in key:
            head, name = key.split('.', 1)
            owner = cfg.get(head)
            if not isinstance(owner, dict):
                continue
        value = owner.get(name)
        if (not isinstance(value, str) or not value or osp.isabs(value)
                or '://' in value or osp.exists(value)):
            continue
        candidate = osp.join(root, value)
        if osp.exists(candidate):
            owner[name] = candidate
            changed.append(key)
    return changed


def check_load_from(cfg: Config) -> None:
    """Refuse ``load_from`` = an exported student for a distillation config.

    mmengine loads ``load_from`` non-strictly: the plain student weights of
    ``tools/export_student.py`` (keys ``backbone.*``, ``head.*``) match no
    key of a distillation model (``architecture.*``), so nothing would be
    loaded and only a warning would say so.

    Raises:
        ValueError: Naming the file and the option that loads it.
    """
    path = cfg.get('load_from')
    model = cfg.get('model')
    if (not path or cfg.get('resume') or not isinstance(model, dict)
            or 'architecture' not in model or not osp.isfile(path)):
        return
    import torch
    checkpoint = torch.load(path, map_location='cpu', weights_only=True)
    state = checkpoint.get('state_dict', checkpoint)
    keys = [k for k in state if isinstance(k, str)]
    if keys and not any(k.startswith('architecture.') for k in keys):
        raise ValueError(
            f'load_from={path} holds plain weights ({keys[0]!r}, ...), '
            'e.g. an exported student, not a checkpoint of this '
            'distillation model (architecture.*): nothing of it would be '
            'loaded. To start the student from it, set model.architecture.'
            f"init_cfg=dict(type='Pretrained', checkpoint='{path}') instead "
            'of load_from.')
