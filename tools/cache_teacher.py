#!/usr/bin/env python
"""Cache the teacher side of a distillation config once.

Runs the teacher (and, for HKSANC, its descriptor neck and adapted attention
estimators) over every view of every training image and writes the records
the distiller's losses read (logits, squeezed descriptors) to a
memory-mapped ``.npy`` file with a manifest beside it. Train from it with
``--cfg-options model.teacher_cache=FILE`` (docs/teacher_cache.md)::

    python tools/cache_teacher.py CONFIG --views 8 --out FILE
    python tools/train.py CONFIG --cfg-options model.teacher_cache=FILE

An interrupted build continues when the same command is run again.
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import mmhkd  # noqa: E402,F401  (registers components, applies fixes)
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.utils import ProgressBar  # noqa: E402

from mmhkd.engine.teacher_cache_builder import build_teacher_cache  # noqa


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Cache the teacher side of a distillation config')
    parser.add_argument('config', help='distillation config file')
    parser.add_argument('--views', type=int, required=True,
                        help='augmented views per training image (K)')
    parser.add_argument('--out', required=True,
                        help='the cache file (.npy); the manifest is written '
                        'beside it as FILE.manifest.json')
    parser.add_argument('--dtype', choices=['float32', 'float16'],
                        default='float32',
                        help='stored precision (float16 halves the file; '
                        'see docs/teacher_cache.md for its error)')
    parser.add_argument('--cache-seed', type=int, default=None,
                        help='seed of the view pool (default: the config\'s '
                        'ViewPoolDataset cache_seed, else 0)')
    parser.add_argument('--batch-size', type=int, default=256,
                        help='images per teacher forward')
    parser.add_argument('--force', action='store_true',
                        help='replace a cache of other settings at --out')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, key=value (as for '
                        'tools/train.py)')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'Config file not found: {args.config}')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    bar = {}

    def progress(done: int, total: int) -> None:
        if 'bar' not in bar:
            bar['bar'], bar['done'] = ProgressBar(total), 0
        bar['bar'].update(done - bar['done'])
        bar['done'] = done

    start = time.time()
    manifest = build_teacher_cache(
        cfg, args.views, args.out, dtype=args.dtype,
        batch_size=args.batch_size, cache_seed=args.cache_seed,
        force=args.force, progress=progress)
    print(f"\nteacher cache {args.out}: {manifest['num_images']} images x "
          f"{manifest['num_views']} views, {manifest['bytes_per_view']} "
          f"bytes per view ({manifest['dtype']}), build "
          f"{manifest['progress']['seconds']:.1f} s "
          f'(this call {time.time() - start:.1f} s)')
    return manifest


if __name__ == '__main__':
    main()
