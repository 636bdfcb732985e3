"""Cache of the teacher's side of distillation: the teacher's records for
every view of every training image, computed once (docs/teacher_cache.md)."""
from .distiller import TeacherCacheDistiller
from .manifest import TeacherCacheMismatchError, file_sha256, teacher_side
from .reader import TeacherCache, manifest_path, read_manifest
from .records import record_key, teacher_record_calls

__all__ = [
    'TeacherCache', 'TeacherCacheDistiller', 'TeacherCacheMismatchError',
    'file_sha256', 'manifest_path', 'read_manifest', 'record_key',
    'teacher_record_calls', 'teacher_side'
]
