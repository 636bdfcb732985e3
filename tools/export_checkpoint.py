#!/usr/bin/env python
"""Strip a Runner checkpoint to model weights (optionally one sub-model).

Examples:
    # ship a teacher: weights only, no optimizer state
    python tools/export_checkpoint.py work_dirs/teacher/epoch_2.pth \
        checkpoints/teacher.pth
    # export a distilled student as a plain mmpretrain checkpoint
    python tools/export_checkpoint.py work_dirs/hksanc/epoch_60.pth \
        student.pth --prefix architecture.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import mmhkd  # noqa: E402,F401
from mmhkd.engine.checkpoint_export import export_state_dict  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='Runner checkpoint')
    parser.add_argument('dst', help='output checkpoint')
    parser.add_argument(
        '--prefix', help="keep only keys under this prefix, e.g. "
        "'architecture.'")
    parser.add_argument(
        '--force', action='store_true', help='overwrite an existing dst')
    args = parser.parse_args(argv)
    state = export_state_dict(args.src, args.dst, args.prefix, args.force)
    print(f'wrote {len(state)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
