"""Parsing of mmengine's scalars.json logs, on files with known values."""
import json
import os
import os.path as osp
from typing import List

import numpy as np
import pytest

from mmhkd.visualization.scalar_logs import (find_scalar_files, load_run,
                                             place_validation,
                                             read_scalar_file)


def train_line(it: int, epoch=None, **values) -> dict:
    record = {'lr': 0.1, 'data_time': 0.01, 'time': 0.2, 'iter': it,
              'step': it, 'loss': 10.0 - it, 'distill.loss_is': it / 10,
              'disc.acc_real': (it % 4) / 4}
    if epoch is not None:
        record['epoch'] = epoch
    record.update(values)
    return record


def val_line(step: int, top1: float) -> dict:
    return {'accuracy/top1': top1, 'data_time': 0.01, 'time': 0.1,
            'step': step}


def write_log(work_dir: str, timestamp: str, records: List[dict],
              tail: str = '') -> str:
    folder = osp.join(work_dir, timestamp, 'vis_data')
    os.makedirs(folder, exist_ok=True)
    path = osp.join(folder, 'scalars.json')
    with open(path, 'w') as f:
        f.writelines(json.dumps(r) + '\n' for r in records)
        f.write(tail)
    return path


def epoch_run(iters_per_epoch=3, epochs=2, first_epoch=1) -> List[dict]:
    records = []
    for epoch in range(first_epoch, first_epoch + epochs):
        for i in range(iters_per_epoch):
            records.append(
                train_line((epoch - 1) * iters_per_epoch + i + 1, epoch))
        records.append(val_line(epoch, 10.0 * epoch))
    return records


def test_one_run_values_exactly(tmp_path):
    work_dir = str(tmp_path / 'run_a')
    write_log(work_dir, '20240101_000000', epoch_run())
    run = load_run(work_dir)
    assert run.name == 'run_a'
    assert run.train_keys() == ['lr', 'loss', 'distill.loss_is',
                                'disc.acc_real']
    assert run.val_keys() == ['accuracy/top1']
    iters, loss = run.series('loss')
    np.testing.assert_array_equal(iters, [1, 2, 3, 4, 5, 6])
    np.testing.assert_array_equal(loss, [9, 8, 7, 6, 5, 4])
    np.testing.assert_array_equal(run.series('disc.acc_real')[1],
                                  [0.25, 0.5, 0.75, 0.0, 0.25, 0.5])
    # validation of epoch e at the last iteration of epoch e
    iters, top1 = run.series('accuracy/top1', 'val')
    np.testing.assert_array_equal(iters, [3, 6])
    np.testing.assert_array_equal(top1, [10.0, 20.0])
    with pytest.raises(ValueError, match='split'):
        run.series('loss', 'test')


def test_validation_placement_rules():
    # long epochs logged every 2 iterations: the last logged one is used
    train = [train_line(i, 1 + (i - 1) // 5) for i in (2, 4, 7, 9)]
    placed = place_validation(train, [val_line(1, 1.0), val_line(2, 2.0)])
    assert [r['iter'] for r in placed] == [4, 9]
    # iteration-based: step is the iteration
    train = [train_line(i) for i in (10, 20)]
    assert place_validation(train, [val_line(20, 5.0)])[0]['iter'] == 20
    # nothing trained before it: left out
    assert place_validation([train_line(4, 2)], [val_line(1, 1.0)]) == []


def test_resumed_run_is_concatenated(tmp_path):
    work_dir = str(tmp_path / 'resumed')
    first = epoch_run(epochs=2)
    first.append(train_line(7, 3, loss=-100.0))  # crashed after a log line
    write_log(work_dir, '20240101_000000', first)
    write_log(work_dir, '20240102_000000', epoch_run(epochs=1, first_epoch=3))
    run = load_run(work_dir)
    assert len(run.files) == 2
    iters, loss = run.series('loss')
    np.testing.assert_array_equal(iters, np.arange(1, 10))
    np.testing.assert_array_equal(loss, 10.0 - np.arange(1, 10))
    iters, top1 = run.series('accuracy/top1', 'val')
    np.testing.assert_array_equal(iters, [3, 6, 9])
    np.testing.assert_array_equal(top1, [10.0, 20.0, 30.0])
    latest = load_run(work_dir, timestamps='latest')
    np.testing.assert_array_equal(latest.series('loss')[0], [7, 8, 9])
    np.testing.assert_array_equal(latest.series('accuracy/top1', 'val')[0],
                                  [9])


def test_restart_from_scratch_keeps_only_the_new_run(tmp_path):
    work_dir = str(tmp_path / 'restarted')
    write_log(work_dir, '20240101_000000', epoch_run(epochs=2))
    write_log(work_dir, '20240102_000000',
              [train_line(1, 1, loss=42.0), val_line(1, 99.0)])
    run = load_run(work_dir)
    np.testing.assert_array_equal(run.series('loss')[1], [42.0])
    np.testing.assert_array_equal(run.series('accuracy/top1', 'val')[1],
                                  [99.0])


def test_files_sorted_by_timestamp_not_listing_order(tmp_path):
    work_dir = str(tmp_path / 'order')
    late = write_log(work_dir, '20240301_000000', [train_line(1)])
    early = write_log(work_dir, '20240201_000000', [train_line(1)])
    assert find_scalar_files(work_dir) == [early, late]


def test_missing_logs_name_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere'):
        load_run(str(tmp_path / 'nowhere'))
    empty = tmp_path / 'not_trained'
    (empty / '20240101_000000' / 'vis_data').mkdir(parents=True)
    with pytest.raises(FileNotFoundError) as error:
        load_run(str(empty))
    assert str(empty) in str(error.value)
    assert 'scalars.json' in str(error.value)
    assert 'Train first' in str(error.value)
    write_log(str(empty), '20240101_000000', [])
    with pytest.raises(ValueError, match='no scalar record'):
        load_run(str(empty))
    with pytest.raises(ValueError, match='timestamps'):
        load_run(str(empty), timestamps='first')


def test_truncated_last_line_is_skipped_other_bad_lines_raise(tmp_path):
    path = write_log(str(tmp_path / 'live'), '20240101_000000',
                     [train_line(1), train_line(2)], tail='{"loss": 3.0, "it')
    assert [r['iter'] for r in read_scalar_file(path)] == [1, 2]
    with open(path, 'w') as f:
        f.write('{"iter": 1}\nnot json\n{"iter": 2}\n')
    with pytest.raises(ValueError, match=r'scalars.json:2'):
        read_scalar_file(path)
