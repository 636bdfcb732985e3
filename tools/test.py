#!/usr/bin/env python
"""Evaluate a checkpoint with an OpenMMLab config (MMRazor's arguments).

``mmhkd`` is imported before any config is read. Accepts ``--local-rank``
(torch >= 2 launchers) as well as ``--local_rank``.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import mmhkd  # noqa: E402,F401  (registers components, applies fixes)
from mmhkd.engine.launch import (DictAction, build_runner,  # noqa: E402
                                 build_runner_config)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test with mmhkd/MMRazor')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs')
    parser.add_argument(
        '--out', help='dump the metrics to this JSON file as well')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, key=value')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'Checkpoint not found: {args.checkpoint}')
    cfg = build_runner_config(
        args.config,
        work_dir=args.work_dir,
        cfg_options=args.cfg_options,
        launcher=args.launcher,
        overwrite=True)  # testing saves no checkpoint: nothing overwritten
    cfg.load_from = args.checkpoint
    cfg.resume = False
    # the checkpoint under test holds every weight (teacher and adapted
    # estimators included): the distillation's own sources are not needed
    for option in ('teacher_ckpt', 'teacher_attention_ckpt',
                   'teacher_cache'):
        if option in cfg.get('model', {}):
            cfg.model[option] = None
    runner = build_runner(cfg)
    metrics = runner.test()
    if args.out:
        import json
        with open(args.out, 'w') as f:
            json.dump({k: float(v) for k, v in metrics.items()}, f, indent=2)
    return metrics


if __name__ == '__main__':
    main()
