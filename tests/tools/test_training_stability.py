"""tools/analysis/training_stability.py on mmengine-format log lines."""
import json

import pytest

from conftest import load_tool

LINE = ('2026/12/03 11:54:35 - mmengine - INFO - Epoch(train)  [{e}][8/8]  '
        'student.lr: 1.0e-02  distill.loss_backbone: {v}  distill.loss_adv: '
        '1.0\n')


def test_epoch_values_and_rise():
    tool = load_tool('analysis/training_stability')
    text = ''.join(LINE.format(e=e, v=v)
                   for e, v in [(1, 9.0), (2, 5.0), (3, 7.5), (4, 3.0)])
    text += '2026/12/03 - mmengine - INFO - Epoch(val) [4][1/1] x: 2\n'
    assert tool.epoch_values(text, 'distill.loss_backbone') == [
        9.0, 5.0, 7.5, 3.0]
    assert tool.largest_rise([9.0, 5.0, 7.5, 3.0]) == 2.5
    assert tool.rise_epoch([9.0, 5.0, 7.5, 3.0]) == 3
    assert tool.largest_rise([3.0, 2.0, 1.0]) == 0.0


def test_table_from_records_and_logs(tmp_path):
    tool = load_tool('analysis/training_stability')
    (tmp_path / 'runs').mkdir()
    (tmp_path / 'logs').mkdir()
    for seed, values in [(0, [9, 5, 4, 3, 2, 2, 1]),
                         (1, [9, 5, 7, 6, 5, 4, 4])]:
        name = f'hksanc__seed{seed}'
        (tmp_path / 'runs' / f'{name}.json').write_text(json.dumps(dict(
            name=name, method='hksanc', seed=seed,
            top1_mean_last=88.0 - 3 * seed)))
        (tmp_path / 'logs' / f'{name}.log').write_text(''.join(
            LINE.format(e=e + 1, v=v) for e, v in enumerate(values)))
    out = tmp_path / 'stability.md'
    text = tool.main(['--results-dir', str(tmp_path), '--out', str(out),
                      '--mid-epoch', '3'])
    assert '| hksanc__seed0 | 88.00 | 4.00 | 2.400 | 0.00 (0) |' in text
    assert '| hksanc__seed1 | 85.00 | 7.00 | 5.200 | 2.00 (3) |' in text
    assert out.read_text().endswith(text)


def test_the_reading_column_names_the_split_the_records_validated_on(
        tmp_path):
    tool = load_tool('analysis/training_stability')
    (tmp_path / 'runs').mkdir()
    (tmp_path / 'logs').mkdir()
    splits = {'no-is__seed0': [tool.VALIDATION_OPTION],
              'fused__seed0': ['randomness.seed=0', tool.VALIDATION_OPTION]}
    for name, options in splits.items():
        (tmp_path / 'runs' / f'{name}.json').write_text(json.dumps(dict(
            name=name, method=name.split('__')[0], seed=0, options=options,
            top1_mean_last=88.0)))
        (tmp_path / 'logs' / f'{name}.log').write_text(''.join(
            LINE.format(e=e + 1, v=1.0) for e in range(6)))
    text = tool.main(['--results-dir', str(tmp_path), '--mid-epoch', '3'])
    assert text.startswith('| run | validation top-1 |')
    # one record validated on the test set: the column has no single name
    (tmp_path / 'runs' / 'fused__seed0.json').write_text(json.dumps(dict(
        name='fused__seed0', method='fused', seed=0, options=[],
        top1_mean_last=88.0)))
    with pytest.raises(SystemExit, match='mix runs validated on the test'):
        tool.main(['--results-dir', str(tmp_path), '--mid-epoch', '3'])
