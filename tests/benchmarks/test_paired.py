"""Paired-by-seed differences and their 95 % interval."""
import math

import pytest

from benchmarks.paired import (paired_interval, paired_markdown,
                               paired_results, t_quantile, verdict)


def test_interval_against_a_hand_computation():
    a, b = [87.0, 86.0, 88.0, 87.5, 86.5], [86.0, 85.5, 86.0, 86.5, 86.0]
    diffs = [1.0, 0.5, 2.0, 1.0, 0.5]
    mean = sum(diffs) / 5  # 1.0
    std = math.sqrt(sum((d - mean) ** 2 for d in diffs) / 4)  # sqrt(0.375)
    half = 2.776 * std / math.sqrt(5)
    got = paired_interval(a, b)
    assert got == pytest.approx((1.0, std, 1.0 - half, 1.0 + half))
    assert verdict(got[2], got[3]) == 'better'


def test_t_quantiles_and_verdicts():
    assert t_quantile(1) == 12.706 and t_quantile(4) == 2.776
    assert t_quantile(27) == 2.060  # rounded down to the table's 25
    with pytest.raises(ValueError, match='at least 2 seeds'):
        t_quantile(0)
    assert verdict(-0.1, 0.3) == 'tie' and verdict(-0.5, -0.1) == 'worse'
    with pytest.raises(ValueError, match='same seeds'):
        paired_interval([1.0], [1.0, 2.0])


def test_paired_results_pair_by_seed():
    records = [
        dict(method='kd', seed=0, top1=86.0, top1_mean_last=85.8),
        dict(method='kd', seed=1, top1=87.0, top1_mean_last=86.8),
        dict(method='kd', seed=2, top1=86.5, top1_mean_last=86.4),
        dict(method='h', seed=1, top1=88.0, top1_mean_last=87.0),
        dict(method='h', seed=0, top1=86.0, top1_mean_last=86.0),
        dict(method='other', seed=0, top1=1.0, top1_mean_last=1.0),
    ]
    result = paired_results(records, dict(kd='a.py', h='b.py'), 'kd',
                            reading='top1_mean_last', teacher_top1=93.1)
    assert result['methods']['h'] == dict(config='b.py', seeds=[0, 1],
                                          top1=[86.0, 87.0])
    assert result['methods']['kd']['seeds'] == [0, 1, 2]
    (pair, ) = result['pairs']
    # seeds 0 and 1 only: differences 0.2 and 0.2
    assert pair['n'] == 2 and pair['seeds'] == [0, 1]
    assert pair['mean_diff'] == pytest.approx(0.2)
    assert pair['ci95'] == pytest.approx([0.2, 0.2])
    assert result['protocol']['reading'] == 'top1_mean_last'
    text = paired_markdown(result, dict(h='HKSANC'))
    assert '| HKSANC | kd | 2 | +0.20 | [+0.20, +0.20] | better |' in text
    with pytest.raises(ValueError, match='reading must be one of'):
        paired_results(records, {}, 'kd', reading='best')
