#!/usr/bin/env python
"""Draw where the teacher's and the student's attention looks, per stage.

Example (Fashion-MNIST distillation, its last checkpoint)::

    NAME=hksanc_preact-resnet29_resnet20-half_1xb128_fashion-mnist-1k
    python tools/visualize_attention.py configs/hksanc/$NAME.py \
        work_dirs/$NAME/epoch_60.pth --out-dir attention_png \
        --indices 0 1 2 3

CHECKPOINT is a checkpoint of the distillation run (it holds the teacher,
both attention connectors and the student), so the config's ``teacher_ckpt``
and ``teacher_attention_ckpt`` are ignored. Images come from the config's
``<split>_dataloader.dataset`` with its pipeline; the data preprocessor of
the model normalises them. One PNG per image, ``attention_<index>.png``
(index on 5 digits): the input, then per supervised stage the teacher's map
(top) and the student's (bottom) over the input, with the cosine similarity
of their squeezed descriptors. Each map is min-max scaled on its own panel.
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import mmhkd  # noqa: E402,F401  (registers components, applies fixes)
from mmhkd.engine.launch import Config, DictAction  # noqa: E402
from mmhkd.visualization.attention_figure import (  # noqa: E402
    DPI, PANEL_INCHES, draw_attention_figure)
from mmhkd.visualization.attention_maps import (  # noqa: E402
    build_dataset, build_distill_model, compute_attention)

BATCH = 16


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Overlay the teacher/student attention maps of an '
        'HKSANC distillation checkpoint on test images')
    parser.add_argument('config', help='HKSANC distillation config')
    parser.add_argument('checkpoint', help='checkpoint of that distillation')
    parser.add_argument('--out-dir', default='attention_maps',
                        help='folder of the PNGs (default: ./attention_maps)')
    parser.add_argument('--indices', type=int, nargs='+',
                        help='dataset indices (default: the first '
                        '--num-images)')
    parser.add_argument('--num-images', type=int, default=4,
                        help='how many images when --indices is not given')
    parser.add_argument('--split', default='test',
                        choices=['test', 'val', 'train'],
                        help='which dataloader\'s dataset (train applies '
                        'the training augmentation)')
    parser.add_argument('--mode', default='bilinear',
                        choices=['bilinear', 'nearest'],
                        help='upsampling of the maps to the image')
    parser.add_argument('--cmap', default='inferno', help='colour map')
    parser.add_argument('--alpha', type=float, default=0.5,
                        help='weight of the colour-mapped map')
    parser.add_argument('--dpi', type=int, default=DPI)
    parser.add_argument('--panel-inches', type=float, default=PANEL_INCHES)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, key=value')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> List[str]:
    """Write the PNGs; return their paths."""
    args = parse_args(argv)
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'Config file not found: {args.config}')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = build_distill_model(cfg, args.checkpoint)
    dataset = build_dataset(cfg, args.split)
    indices = (args.indices if args.indices is not None else list(
        range(min(args.num_images, len(dataset)))))
    class_names = dataset.metainfo.get('classes')
    os.makedirs(args.out_dir, exist_ok=True)
    paths = []
    for start in range(0, len(indices), BATCH):
        for item in compute_attention(model, dataset,
                                      indices[start:start + BATCH],
                                      mode=args.mode):
            fig = draw_attention_figure(item, class_names, args.cmap,
                                        args.alpha, args.panel_inches,
                                        args.dpi)
            path = osp.join(args.out_dir, f'attention_{item.index:05d}.png')
            fig.savefig(path, dpi=args.dpi)
            paths.append(path)
            print(path + '  ' + '  '.join(
                f'stage {s.stage}: cos={s.cosine:.3f}' for s in item.stages))
    return paths


if __name__ == '__main__':
    main()
