"""Paired-by-seed comparison of benchmark methods (docs/benchmark.md, v2).

For a method and a reference, the per-seed differences of their top-1 (seed
k of both runs shares initialisation, data order and views) give a mean and
a 95 % Student-t interval; an interval that contains zero is a tie.
"""
import glob
import json
import math
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

# two-sided 95 % quantiles of Student's t by degrees of freedom
T_975 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365,
    8: 2.306, 9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160,
    14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093,
    20: 2.086, 25: 2.060, 30: 2.042
}
READINGS = ('top1', 'top1_mean_last')


def t_quantile(dof: int) -> float:
    """The 97.5 % quantile of Student's t (table; rounded down in dof)."""
    if dof < 1:
        raise ValueError('a paired interval needs at least 2 seeds')
    return T_975[max(k for k in T_975 if k <= dof)]


def paired_interval(values: Sequence[float], reference: Sequence[float]
                    ) -> Tuple[float, float, float, float]:
    """Mean, sample std and 95 % interval of ``values - reference``."""
    if len(values) != len(reference):
        raise ValueError('paired values need the same seeds')
    diffs = [a - b for a, b in zip(values, reference)]
    n = len(diffs)
    mean = sum(diffs) / n
    std = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1))
    half = t_quantile(n - 1) * std / math.sqrt(n)
    return mean, std, mean - half, mean + half


def read_records(results_dir: str) -> List[dict]:
    """Every run record under ``results_dir/runs``."""
    records = []
    for path in sorted(glob.glob(osp.join(results_dir, 'runs', '*.json'))):
        with open(path) as f:
            records.append(json.load(f))
    return records


def paired_results(records: Sequence[dict], configs: Dict[str, str],
                   reference: str, reading: str = 'top1',
                   protocol: Optional[dict] = None,
                   teacher_top1: Optional[float] = None,
                   pairs_with: Sequence[Tuple[str, str]] = ()) -> dict:
    """The ``paired.json`` content.

    Args:
        records: Run records (``method``, ``seed`` and the reading).
        configs: Config of every method to report, by name.
        reference: The method every other is compared with.
        reading: 'top1' (last validation) or 'top1_mean_last'.
        protocol: Description written as ``protocol``.
        teacher_top1: The teacher's test top-1.
        pairs_with: Extra (method, reference) pairs, e.g. ablations
            against the full method.
    """
    if reading not in READINGS:
        raise ValueError(f'reading must be one of {READINGS}')
    by_method: Dict[str, Dict[int, float]] = {}
    for record in records:
        if record.get('method') in configs:
            by_method.setdefault(record['method'], {})[
                int(record['seed'])] = float(record[reading])
    methods = {}
    for name, config in configs.items():
        seeds = sorted(by_method.get(name, {}))
        methods[name] = dict(config=config, seeds=seeds,
                             top1=[by_method[name][s] for s in seeds])
    pairs = []
    wanted = [(n, reference) for n in configs if n != reference]
    wanted += list(pairs_with)
    for name, ref in wanted:
        common = sorted(set(methods[name]['seeds']) &
                        set(methods[ref]['seeds']))
        if len(common) < 2:
            continue
        mean, std, low, high = paired_interval(
            [by_method[name][s] for s in common],
            [by_method[ref][s] for s in common])
        pairs.append(dict(method=name, reference=ref, n=len(common),
                          seeds=common, mean_diff=mean, std_diff=std,
                          ci95=[low, high],
                          verdict=verdict(low, high)))
    return dict(protocol=dict(protocol or {}, reading=reading),
                teacher_top1=teacher_top1, methods=methods, pairs=pairs)


def verdict(low: float, high: float) -> str:
    """'better', 'worse' or 'tie' from a 95 % interval of a difference."""
    if low > 0:
        return 'better'
    if high < 0:
        return 'worse'
    return 'tie'


def paired_markdown(result: dict, labels: Dict[str, str]) -> str:
    """Tables of ``paired.json``: per-method top-1 and paired differences."""
    lines = ['| method | seeds | top-1 per seed | mean |', '|---|---|---|---|']
    for name, row in result['methods'].items():
        values = row['top1']
        mean = f'{sum(values) / len(values):.2f}' if values else '-'
        lines.append(f"| {labels.get(name, name)} | {len(values)} | "
                     f"{', '.join(f'{v:.2f}' for v in values)} | {mean} |")
    lines += ['', '| method | reference | n | mean difference | 95 % '
              'interval | verdict |', '|---|---|---|---|---|---|']
    for pair in result['pairs']:
        low, high = pair['ci95']
        lines.append(
            f"| {labels.get(pair['method'], pair['method'])} | "
            f"{labels.get(pair['reference'], pair['reference'])} | "
            f"{pair['n']} | {pair['mean_diff']:+.2f} | "
            f'[{low:+.2f}, {high:+.2f}] | {pair["verdict"]} |')
    return '\n'.join(lines) + '\n'
