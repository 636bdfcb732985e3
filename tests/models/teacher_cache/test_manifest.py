"""The teacher side a cache records, and the check naming differences."""
import pytest

from mmhkd.models.teacher_cache.manifest import (TeacherCacheMismatchError,
                                                 check_matches, differences,
                                                 file_sha256, teacher_side)

DISTILLER = dict(
    type='ConfigurableDistiller',
    teacher_recorders=dict(fc=dict(type='ModuleOutputs', source='head.fc')),
    connectors=dict(c=dict(type='X', width=4), s=dict(type='Y')),
    loss_forward_mappings=dict(loss=dict(
        preds_S=dict(from_student=True, recorder='fc', connector='s'),
        preds_T=dict(from_student=False, recorder='fc', connector='c'))))


def test_teacher_side_hashes_contents_and_keeps_teacher_connectors(tmp_path):
    a, b = tmp_path / 'a.pth', tmp_path / 'b.pth'
    a.write_bytes(b'one')
    b.write_bytes(b'one')
    side = teacher_side(dict(type='T'), str(a), DISTILLER, dict(mean=[1]),
                        dict(extra=None))
    assert side['checkpoints'] == {'teacher_ckpt': file_sha256(str(a))}
    assert side['connectors'] == {'c': dict(type='X', width=4)}
    assert side['records'] == ['recorder=fc,connector=c']
    # the same bytes elsewhere: the same teacher side
    assert teacher_side(dict(type='T'), str(b), DISTILLER, dict(mean=[1]),
                        dict(extra=None)) == side
    b.write_bytes(b'two')
    other = teacher_side(dict(type='T'), str(b), DISTILLER, dict(mean=[1]))
    assert differences(side, other) == [
        f'checkpoints.teacher_ckpt: cache "{file_sha256(str(a))}", '
        f'this run "{file_sha256(str(b))}"']


def test_missing_checkpoint_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth not found'):
        teacher_side({}, str(tmp_path / 'nope.pth'), DISTILLER, None)


def test_check_matches_lists_every_difference():
    recorded = dict(a=1, b=dict(c=[1, 2]), only_cache=0)
    current = dict(a=1, b=dict(c=[1, 3]), only_run=0)
    with pytest.raises(TeacherCacheMismatchError) as err:
        check_matches('x.npy', 'teacher', recorded, current, 'Fix it.')
    text = str(err.value)
    assert text.startswith('Teacher cache x.npy was built for another '
                           'teacher:')
    assert 'b.c: cache [1, 2], this run [1, 3]' in text
    assert 'only_cache: only in the cache' in text
    assert 'only_run: only in this run' in text
    assert text.endswith('Fix it.')
    check_matches('x.npy', 'teacher', recorded, dict(recorded), 'unused')
