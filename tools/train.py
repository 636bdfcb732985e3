#!/usr/bin/env python
"""Train a model (teacher, student or distillation) from an OpenMMLab config.

Same arguments as MMRazor's ``tools/train.py``; ``mmhkd`` is imported before
any config is read, so its components and torch-2 fixes are always in place.
Accepts ``--local-rank`` (torch >= 2 launchers) as well as ``--local_rank``.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import mmhkd  # noqa: E402,F401  (registers components, applies fixes)
from mmhkd.engine.launch import (DictAction, build_runner,  # noqa: E402
                                 build_runner_config)
from mmhkd.engine.parent_death import stop_with_parent  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train with mmhkd/MMRazor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--amp', action='store_true', help='enable automatic mixed precision')
    parser.add_argument(
        '--auto-scale-lr', action='store_true', help='scale lr by batch size')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint, or from the latest checkpoint in '
        'the work dir when no path is given')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='train into a work dir that already holds a run (its '
        'checkpoints are overwritten); without it, and without --resume, '
        'such a work dir is refused')
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


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.launcher != 'none':
        # a worker of tools/dist_train.sh: stop if the launcher is killed
        stop_with_parent()
    cfg = build_runner_config(
        args.config,
        work_dir=args.work_dir,
        cfg_options=args.cfg_options,
        launcher=args.launcher,
        amp=args.amp,
        auto_scale_lr=args.auto_scale_lr,
        resume=args.resume,
        overwrite=args.overwrite)
    runner = build_runner(cfg)
    runner.train()


if __name__ == '__main__':
    main()
