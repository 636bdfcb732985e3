"""Load a teacher connector's task-adapted estimators (HKSANC phase 2 -> 3).

KSANC/HKSANC (arXiv 1904.05100) train the teacher's attention estimators
with the task, then keep them fixed while the student learns. Phase 2
(``AttentionAdaptation`` and its detection variant) saves them under
``connector.*`` together with the settings they were adapted with; this
module loads them into a distillation config's teacher connector, strictly,
and refuses other settings.
"""
import os.path as osp

import torch.nn as nn
from mmengine.logging import print_log

from .attention_settings import check_same_settings
from .teacher_checkpoint import (CheckpointMismatchError,
                                 load_checkpoint_state, load_state_strictly)

ADAPTATION_HINT = (
    'It is written by phase 2 (teacher adaptation): python tools/train.py '
    'configs/hksanc/hksanc-adaptation_<teacher>.py, whose work dir then '
    'holds epoch_1.pth.')
SETTINGS_KEY = 'attention_settings'


def load_adapted_connector(connector: nn.Module, checkpoint: str,
                           option: str) -> None:
    """Load the adaptation phase's ``connector.*`` weights (strict).

    The settings that phase recorded (query, ``attention_cfg``, widths)
    must equal ``connector.settings()``; a checkpoint without the record
    (made before it was kept) is loaded with a warning.

    Args:
        connector (nn.Module): A ``HierarchicalAttentionConnector``.
        checkpoint (str): The adaptation phase's checkpoint.
        option (str): The config option that names it, for the messages.

    Raises:
        FileNotFoundError: Naming the option, the path and phase 2.
        ValueError: When the recorded settings differ (each listed).
        KeyError: The checkpoint has no ``connector.*`` weights.
        CheckpointMismatchError: Missing, unexpected or mis-shaped keys.
    """
    is_url = checkpoint.startswith(('http://', 'https://'))
    if not is_url and not osp.isfile(checkpoint):
        raise FileNotFoundError(
            f'{option} not found: {checkpoint} (relative paths are read '
            f'from {osp.abspath(".")}). ' + ADAPTATION_HINT)
    short = option.split('.')[-1]
    full = load_checkpoint_state(checkpoint, prefix='')
    recorded = (full.get('_extra_state') or {}).get(SETTINGS_KEY)
    if recorded is None:
        print_log(
            f'{short} {checkpoint} does not record the attention settings '
            'it was adapted with (made by an older mmhkd); they cannot be '
            'checked against this config.',
            logger='current', level=30)
    else:
        check_same_settings(recorded, connector.settings(),
                            f'{short} {checkpoint}')
    state = {
        k[len('connector.'):]: v
        for k, v in full.items() if k.startswith('connector.')
    }
    if not state:
        raise KeyError(
            f'{short} {checkpoint} has no weights under '
            f"'connector.' (its top-level prefixes are "
            f'{sorted({k.split(".")[0] for k in full})}): it is not a '
            'checkpoint of the adaptation phase. ' + ADAPTATION_HINT)
    try:
        load_state_strictly(connector, state, checkpoint, option)
    except CheckpointMismatchError as error:
        raise CheckpointMismatchError(
            f'{error} It must come from the adaptation config of the same '
            'teacher, with the same query mode (global/hierarchical) and '
            'stage_channels as this config\'s teacher connector.') from None
    connector._is_init = True
