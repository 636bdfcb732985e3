"""Does torch.compile pay on HKSANC's student connector path?

Times, per supervised stage of the Fashion-MNIST pair (student 8/16/32
channels at 32/16/8 pixels to the teacher's 64/128/256, batch 128), one
forward and backward of the fused channel transform + attention estimator
(``transformed_attention``) eagerly and compiled with inductor, in one
process, median of ``--steps`` after ``--warmup``; and the compile time.

Example:
    python tools/benchmark/measure_connector_compile.py \
        --out docs/results/benchmark/cost/connector_compile.json
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

import mmhkd  # noqa: E402,F401
from mmhkd.models.attention import (TaskDrivenAttention,  # noqa: E402
                                    transformed_attention)

STAGES = ((8, 64, 32), (16, 128, 16), (32, 256, 8))  # c, F, H = W


def time_stage(channels: int, width: int, size: int, compiled: bool,
               steps: int, warmup: int, batch: int) -> dict:
    torch.manual_seed(0)
    transform = nn.Sequential(nn.Conv2d(channels, width, 1, bias=False),
                              nn.BatchNorm2d(width))
    estimator = TaskDrivenAttention(width, 128)
    x = torch.randn(batch, channels, size, size).to(
        memory_format=torch.channels_last).requires_grad_()
    query = torch.randn(batch, 128, requires_grad=True)
    grad = torch.randn(batch, width)

    def step(features, q):
        return transformed_attention(features, q, transform, estimator)[0]

    fn = torch.compile(step) if compiled else step
    start = time.perf_counter()
    (fn(x, query) * grad).sum().backward()
    first = time.perf_counter() - start
    for _ in range(warmup):
        (fn(x, query) * grad).sum().backward()
    seconds = []
    for _ in range(steps):
        start = time.perf_counter()
        (fn(x, query) * grad).sum().backward()
        seconds.append(time.perf_counter() - start)
    return dict(ms=1000 * float(torch.tensor(seconds).median()),
                first_call_s=first)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--steps', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--batch', type=int, default=128)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--out')
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = []
    for channels, width, size in STAGES:
        row = dict(stage=f'{channels}->{width} at {size}x{size}')
        for mode in ('eager', 'compiled'):
            row[mode] = time_stage(channels, width, size, mode == 'compiled',
                                   args.steps, args.warmup, args.batch)
        row['compiled_vs_eager'] = row['compiled']['ms'] / row['eager']['ms']
        rows.append(row)
    total = {m: sum(r[m]['ms'] for r in rows) for m in ('eager', 'compiled')}
    result = dict(torch=torch.__version__, threads=args.threads,
                  batch=args.batch, steps=args.steps, stages=rows,
                  total_ms=total,
                  compiled_vs_eager=total['compiled'] / total['eager'])
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            f.write(text + '\n')
    return result


if __name__ == '__main__':
    main()
