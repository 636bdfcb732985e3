"""What a teacher cache was built from, and the check that refuses a cache
built from something else (docs/teacher_cache.md)."""
import hashlib
import json
import os.path as osp
from typing import Any, Dict, List, Optional

from .records import teacher_record_calls


class TeacherCacheMismatchError(ValueError):
    """A teacher cache does not belong to this config or this dataset."""


def file_sha256(path: Optional[str]) -> Optional[str]:
    """SHA-256 of a file's bytes (None for no file)."""
    if not path:
        return None
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} not found (relative paths are read '
                                f'from {osp.abspath(".")})')
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def plain(value: Any) -> Any:
    """A config value as plain JSON types (tuples become lists)."""
    return json.loads(json.dumps(value, default=str))


def teacher_side(teacher: dict, teacher_ckpt: Optional[str],
                 distiller: dict, data_preprocessor: Optional[dict],
                 checkpoints: Optional[Dict[str, Optional[str]]] = None
                 ) -> dict:
    """Everything that determines the teacher's records for an input batch:
    the teacher's config and checkpoint, the connectors of the teacher-side
    records (e.g. the adapted attention estimators) and their checkpoints,
    the recorded calls and the data preprocessor.

    Args:
        teacher: ``model.teacher``.
        teacher_ckpt: ``model.teacher_ckpt`` (hashed, not named).
        distiller: ``model.distiller`` (a ``ConfigurableDistiller`` config).
        data_preprocessor: ``model.data_preprocessor``.
        checkpoints: Other checkpoints of the teacher side by option name,
            e.g. ``{'teacher_attention_ckpt': path}`` (hashed).
    """
    calls = teacher_record_calls(distiller)
    connectors = distiller.get('connectors') or {}
    used = sorted({c['connector'] for c in calls.values()
                   if c.get('connector')})
    hashes = {'teacher_ckpt': file_sha256(teacher_ckpt)}
    for name, path in sorted((checkpoints or {}).items()):
        if path:  # an option left unset is no checkpoint
            hashes[name] = file_sha256(path)
    return plain(dict(
        teacher=teacher,
        checkpoints=hashes,
        recorders={name: (distiller.get('teacher_recorders') or {})[
            c['recorder']] for name, c in calls.items()},
        connectors={name: connectors[name] for name in used},
        records=list(calls),
        data_preprocessor=data_preprocessor))


def differences(expected: Any, found: Any, path: str = '') -> List[str]:
    """Human-readable differences between two plain JSON values."""
    if isinstance(expected, dict) and isinstance(found, dict):
        lines = []
        for key in sorted(set(expected) | set(found)):
            where = f'{path}.{key}' if path else str(key)
            if key not in found:
                lines.append(f'{where}: only in the cache')
            elif key not in expected:
                lines.append(f'{where}: only in this run')
            else:
                lines += differences(expected[key], found[key], where)
        return lines
    if expected != found:
        return [f'{path}: cache {short(expected)}, this run {short(found)}']
    return []


def short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit] + '...'


def check_matches(cache_file: str, part: str, recorded: Any,
                  current: Any, fix: str) -> None:
    """Raise :class:`TeacherCacheMismatchError` naming every difference
    between the manifest's ``part`` and this run's."""
    lines = differences(plain(recorded), plain(current))
    if lines:
        listed = '\n  '.join(lines[:20])
        more = f'\n  ... and {len(lines) - 20} more' if len(lines) > 20 else ''
        raise TeacherCacheMismatchError(
            f'Teacher cache {cache_file} was built for another {part}:\n  '
            f'{listed}{more}\n{fix}')
