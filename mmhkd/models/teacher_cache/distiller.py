"""A ``ConfigurableDistiller`` whose teacher records can come from a cache."""
from typing import Dict, Optional

from mmrazor.models.distillers import ConfigurableDistiller
from mmrazor.registry import MODELS

from .records import Record, record_key


@MODELS.register_module()
class TeacherCacheDistiller(ConfigurableDistiller):
    """MMRazor's ``ConfigurableDistiller``; while ``cached_teacher_records``
    is set (by ``CachedTeacherDistill`` for each batch), every teacher-side
    ``get_record`` returns the cached value of that call, connector included,
    instead of reading a recorder."""

    cached_teacher_records: Optional[Dict[str, Record]] = None

    def get_record(self, recorder: str, from_student: bool,
                   record_idx: int = 0, data_idx: Optional[int] = None,
                   connector: Optional[str] = None,
                   connector_idx: Optional[int] = None):
        if from_student or self.cached_teacher_records is None:
            return super().get_record(recorder, from_student, record_idx,
                                      data_idx, connector, connector_idx)
        key = record_key(recorder, record_idx, data_idx, connector,
                         connector_idx)
        if key not in self.cached_teacher_records:
            raise KeyError(
                f'The teacher cache holds no record {key!r} (it holds '
                f'{sorted(self.cached_teacher_records)}); rebuild it for '
                'this config with tools/cache_teacher.py.')
        return self.cached_teacher_records[key]
