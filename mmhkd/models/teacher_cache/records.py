"""Which teacher records a distiller reads, and how one sample's records are
laid out as one row of floats in the teacher cache (docs/teacher_cache.md)."""
from typing import Dict, List, Sequence, Tuple, Union

import torch

Record = Union[torch.Tensor, Tuple[torch.Tensor, ...]]
MAPPING_KEYS = ('recorder', 'record_idx', 'data_idx', 'connector',
                'connector_idx')


def record_key(recorder: str, record_idx: int = 0, data_idx=None,
               connector=None, connector_idx=None) -> str:
    """A stable name for one teacher-side ``get_record`` call."""
    parts = [f'recorder={recorder}']
    for name, value, default in (('record_idx', record_idx, 0),
                                 ('data_idx', data_idx, None),
                                 ('connector', connector, None),
                                 ('connector_idx', connector_idx, None)):
        if value != default:
            parts.append(f'{name}={value}')
    return ','.join(parts)


def teacher_record_calls(distiller_cfg: dict) -> Dict[str, dict]:
    """The teacher-side ``get_record`` arguments of every loss mapping of a
    ``ConfigurableDistiller`` config, by :func:`record_key` (sorted)."""
    calls = {}
    mappings = distiller_cfg.get('loss_forward_mappings') or {}
    for loss_name in sorted(mappings):
        for arg_name, entry in mappings[loss_name].items():
            if not isinstance(entry, dict) or entry.get('from_student', True):
                continue
            unknown = set(entry) - set(MAPPING_KEYS) - {'from_student'}
            if unknown:
                raise ValueError(
                    f'loss_forward_mappings.{loss_name}.{arg_name} has '
                    f'{sorted(unknown)}, which the teacher cache cannot '
                    'record.')
            call = {k: entry[k] for k in MAPPING_KEYS if k in entry}
            calls[record_key(**call)] = call
    return dict(sorted(calls.items()))


def record_shapes(record: Record) -> List[List[int]]:
    """Per-sample shapes of a record (a tensor or a tuple of tensors)."""
    tensors = record if isinstance(record, (tuple, list)) else (record, )
    return [list(t.shape[1:]) for t in tensors]


def flatten_record(record: Record) -> torch.Tensor:
    """(N, row width) floats: the record's tensors flattened per sample."""
    tensors = record if isinstance(record, (tuple, list)) else (record, )
    return torch.cat([t.reshape(t.shape[0], -1).float() for t in tensors],
                     dim=1)


def unflatten_record(rows: torch.Tensor, shapes: Sequence[Sequence[int]],
                     is_tuple: bool) -> Record:
    """Inverse of :func:`flatten_record` for a batch of rows."""
    tensors, start = [], 0
    for shape in shapes:
        width = 1
        for size in shape:
            width *= size
        tensors.append(rows[:, start:start + width].reshape(-1, *shape))
        start += width
    return tuple(tensors) if is_tuple else tensors[0]
