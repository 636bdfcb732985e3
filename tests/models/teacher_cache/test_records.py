"""Teacher-record keys and the row layout of the teacher cache."""
import pytest
import torch
from mmengine.config import Config

from conftest import CONFIG_ROOT
from mmhkd.models.teacher_cache.records import (flatten_record, record_key,
                                                record_shapes,
                                                teacher_record_calls,
                                                unflatten_record)

HKSANC = (f'{CONFIG_ROOT}/hksanc/hksanc_preact-resnet29_resnet20-half_'
          '1xb128_fashion-mnist-1k.py')
KD = (f'{CONFIG_ROOT}/distill/kd/kd_logits_preact-resnet29_resnet20-half_'
      '1xb128_fashion-mnist-1k.py')


def test_record_key_names_only_what_differs_from_the_defaults():
    assert record_key('logits') == 'recorder=logits'
    assert record_key('f', 0, None, 'c', None) == 'recorder=f,connector=c'
    assert record_key('f', 1, 0, None, 0) == \
        'recorder=f,record_idx=1,data_idx=0,connector_idx=0'


def test_teacher_calls_of_the_shipped_configs():
    calls = teacher_record_calls(Config.fromfile(HKSANC).model.distiller)
    assert calls == {
        'recorder=features,connector=teacher_attention':
        dict(recorder='features', connector='teacher_attention'),
        'recorder=logits': dict(recorder='logits'),
    }
    assert list(teacher_record_calls(
        Config.fromfile(KD).model.distiller)) == ['recorder=fc']


def test_unknown_mapping_keys_are_refused():
    cfg = dict(loss_forward_mappings=dict(
        l=dict(x=dict(from_student=False, recorder='r', other=1))))
    with pytest.raises(ValueError, match=r"l\.x has \['other'\]"):
        teacher_record_calls(cfg)


def test_flatten_and_unflatten_round_trip():
    record = (torch.randn(3, 4), torch.randn(3, 2, 5))
    rows = flatten_record(record)
    assert rows.shape == (3, 14)
    assert torch.equal(rows[1, 4:], record[1][1].reshape(-1))
    back = unflatten_record(rows, record_shapes(record), True)
    assert all(torch.equal(a, b) for a, b in zip(back, record))
    single = torch.randn(3, 10)
    assert torch.equal(
        unflatten_record(flatten_record(single), [[10]], False), single)
