#!/usr/bin/env python
"""Export the student of a distillation checkpoint as a plain checkpoint.

Keeps the weights under ``architecture.`` with the prefix removed: no
teacher, discriminator or distillation connectors. The result loads with
``strict=True`` into the student's own (mmpretrain, mmdet or mmseg) config,
e.g. the ``student_config.py`` that distillation runs write into their work
dir (or the one written here with ``--config``, in the student's scope).

Examples:
    python tools/export_student.py work_dirs/hksanc/epoch_60.pth student.pth
    # also write student_config.py next to the export
    python tools/export_student.py work_dirs/hksanc/epoch_60.pth \
        exports/student.pth --config configs/hksanc/hksanc_xxx.py
    python tools/test.py exports/student_config.py exports/student.pth
    # an mmdet/mmseg student: this tools/test.py or the package's own
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import mmhkd  # noqa: E402,F401
from mmhkd.engine.checkpoint_export import export_state_dict  # noqa: E402
from mmhkd.engine.launch import DictAction  # noqa: E402

STUDENT_PREFIX = 'architecture.'


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('checkpoint', help='distillation checkpoint')
    parser.add_argument('out', help='output (plain, student-only) checkpoint')
    parser.add_argument(
        '--force', action='store_true', help='overwrite existing outputs')
    parser.add_argument(
        '--config',
        help='the distillation config of the checkpoint: also write the '
        "student's plain config (its own scope: mmpretrain, mmdet, "
        'mmseg) as student_config.py next to OUT')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='overrides for --config, key=value (e.g. data roots)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> Dict[str, object]:
    """Export; returns the state dict (and writes the config if asked)."""
    args = parse_args(argv)
    config_path = None
    if args.config:
        config_path = osp.join(osp.dirname(osp.abspath(args.out)),
                               'student_config.py')
        if osp.exists(config_path) and not args.force:
            raise FileExistsError(f'{config_path} exists; pass --force to '
                                  'replace it.')
        from mmengine.config import Config
        from mmhkd.engine.student_config import (student_config_dict,
                                                 write_student_config)
        cfg = Config.fromfile(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        student_config_dict(cfg)  # an unusable config fails before writing
    try:
        state = export_state_dict(args.checkpoint, args.out, STUDENT_PREFIX,
                                  args.force)
    except KeyError as error:
        raise KeyError(f'{args.checkpoint} is not a distillation checkpoint '
                       f'(no {STUDENT_PREFIX}* weights): {error}') from error
    print(f'wrote the student ({len(state)} tensors) to {args.out}')
    if config_path:
        write_student_config(cfg, config_path, source=args.config)
        scope = Config.fromfile(config_path).default_scope
        print(f'wrote its {scope} config to {config_path}')
    return state


if __name__ == '__main__':
    main()
