"""Validation curves are read from mmengine's per-launch scalar files."""
import os

from benchmarks.run_record import read_val_curve
from conftest import write_mmengine_launch


def test_resumed_run_merges_launches_later_wins(tmp_path):
    write_mmengine_launch(tmp_path, '20261125_100000', [
        {'loss': 2.0, 'step': 8},
        {'accuracy/top1': 50.0, 'step': 10},
        {'accuracy/top1': 60.0, 'step': 20},
    ], 'first')
    write_mmengine_launch(tmp_path, '20261125_110000', [
        {'accuracy/top1': 61.5, 'step': 20},
        {'accuracy/top1': 70.25, 'step': 30},
    ], 'second')
    os.makedirs(tmp_path / 'not_a_launch')
    curve, logs = read_val_curve(str(tmp_path))
    assert curve == {10: 50.0, 20: 61.5, 30: 70.25}
    assert [open(p).read() for p in logs] == ['first', 'second']


def test_no_launch_gives_empty_curve(tmp_path):
    assert read_val_curve(str(tmp_path)) == ({}, [])
