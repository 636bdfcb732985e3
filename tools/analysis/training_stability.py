#!/usr/bin/env python
"""Which benchmark runs fell behind during training, read from their logs.

For every run log of a suite (one ``Epoch(train)`` line per epoch, as
mmengine writes it), the per-epoch training value of a loss (default the
HKSANC logit term ``distill.loss_backbone``, L_b), its largest rise above
the running minimum (a run that is unstable at the peak learning rate
climbs while it should fall), its value at a middle epoch (how far the run
got during the high-learning-rate phase) and its mean over the last five
epochs, beside the run's top-1 from its record (the mean of its last
validations: test or validation top-1, as the records' options say).
Writes a Markdown table.

Example:
    python tools/analysis/training_stability.py \
        --out docs/results/benchmark/v2/stability.md
"""
import argparse
import glob
import json
import os.path as osp
import re
import sys
from typing import Dict, List, Optional

RESULTS = 'docs/results/benchmark/v2'
EPOCH_LINE = re.compile(r'Epoch\(train\)\s+\[(\d+)\]\[\d+/\d+\]')
# the option that points a v2 run's validation at the held-out training
# images (benchmarks/tuning_v2.py, V2_VALIDATION_OPTIONS)
VALIDATION_OPTION = 'val_dataloader.dataset.holdout=only'


def epoch_values(log_text: str, key: str) -> List[float]:
    """``key``'s value on each epoch's last ``Epoch(train)`` line."""
    pattern = re.compile(re.escape(key) + r':\s+([-+0-9.eE]+)')
    values: Dict[int, float] = {}
    for line in log_text.splitlines():
        epoch = EPOCH_LINE.search(line)
        value = pattern.search(line)
        if epoch and value:
            values[int(epoch.group(1))] = float(value.group(1))
    return [values[e] for e in sorted(values)]


def largest_rise(values: List[float]) -> float:
    """The largest ``values[j] - min(values[:j])`` (0 if it never rises)."""
    rise, lowest = 0.0, float('inf')
    for value in values:
        rise = max(rise, value - lowest)
        lowest = min(lowest, value)
    return rise


def run_row(log_path: str, record: dict, key: str,
            mid_epoch: int) -> Optional[dict]:
    with open(log_path) as f:
        values = epoch_values(f.read(), key)
    if len(values) < max(5, mid_epoch):
        return None
    return dict(
        name=record['name'], method=record['method'],
        seed=int(record['seed']), top1=record['top1_mean_last'],
        mid=values[mid_epoch - 1], final=sum(values[-5:]) / 5,
        rise=largest_rise(values), rise_epoch=rise_epoch(values))


def rise_epoch(values: List[float]) -> int:
    """The epoch (1-based) at which the largest rise peaks."""
    best, lowest, at = 0.0, float('inf'), 0
    for i, value in enumerate(values):
        if value - lowest > best:
            best, at = value - lowest, i + 1
        lowest = min(lowest, value)
    return at


def reading_label(records: List[dict]) -> str:
    """'validation top-1' when every record validated on the held-out
    training images, 'test top-1' when none did."""
    validation = {VALIDATION_OPTION in r.get('options', []) for r in records}
    if validation == {True, False}:
        raise SystemExit('the records mix runs validated on the test set '
                         'and on the validation split; pass --methods or '
                         '--results-dir to read one kind')
    return 'validation top-1' if validation == {True} else 'test top-1'


def table(rows: List[dict], key: str, mid_epoch: int,
          label: str = 'test top-1') -> str:
    lines = [
        f'| run | {label} | {key} at epoch {mid_epoch} | mean of the '
        'last 5 epochs | largest rise (epoch) |', '|---|---|---|---|---|'
    ]
    for r in sorted(rows, key=lambda r: (r['method'], r['seed'])):
        lines.append(f"| {r['name']} | {r['top1']:.2f} | {r['mid']:.2f} | "
                     f"{r['final']:.3f} | {r['rise']:.2f} "
                     f"({r['rise_epoch']}) |")
    return '\n'.join(lines) + '\n'


def main(argv: Optional[List[str]] = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--results-dir', default=RESULTS,
                        help='records in runs/, logs in logs/')
    parser.add_argument('--key', default='distill.loss_backbone')
    parser.add_argument('--mid-epoch', type=int, default=15)
    parser.add_argument('--methods', nargs='+',
                        help='only these methods (default: all that log '
                        'the key)')
    parser.add_argument('--out', help='write the table here (Markdown)')
    args = parser.parse_args(argv)
    rows, records = [], []
    for path in sorted(glob.glob(osp.join(args.results_dir, 'runs',
                                          '*.json'))):
        with open(path) as f:
            record = json.load(f)
        if args.methods and record['method'] not in args.methods:
            continue
        log = osp.join(args.results_dir, 'logs', record['name'] + '.log')
        if osp.isfile(log):
            row = run_row(log, record, args.key, args.mid_epoch)
            if row is not None:
                rows.append(row)
                records.append(record)
    if not rows:
        raise SystemExit(f'no run under {args.results_dir} logs {args.key}')
    text = table(rows, args.key, args.mid_epoch, reading_label(records))
    if args.out:
        command = ' '.join(['python tools/analysis/training_stability.py']
                           + (argv if argv is not None else sys.argv[1:]))
        with open(args.out, 'w') as f:
            f.write(f'`{command}`\n\n' + text)
    print(text, end='')
    return text


if __name__ == '__main__':
    main()
