#!/usr/bin/env python
"""Build the Fashion-MNIST canvas detection/segmentation set (COCO format).

Training canvases use the Fashion-MNIST training images, test canvases
the test images (so no image is in both); the spec is in
``mmhkd/datasets/canvas.py`` and docs/datasets.md. Output layout::

    OUT/images/{train,test}/000000.png       8-bit grayscale canvases
    OUT/seg_maps/{train,test}/000000.png     0 background, label + 1
    OUT/annotations/instances_{train,test}.json   COCO, RLE masks
    OUT/meta.json, OUT/README.md             the parameters

The same arguments give byte-identical files.

Example:
    python tools/data/make_fashion_mnist_canvas.py \
        --out data/fashion-mnist-canvas --num-train 2000 --num-test 500
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import List, Optional

import numpy as np
from PIL import Image

sys.path.insert(
    0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmhkd.datasets import canvas as spec  # noqa: E402
from mmhkd.datasets.canvas import Canvas, build_canvases  # noqa: E402
from mmhkd.datasets.fashion_mnist import (  # noqa: E402
    DEBIAN_FASHION_MNIST_ROOT, SPLIT_FILES, FashionMNISTIdx)
from mmhkd.datasets.idx_files import DataFileError  # noqa: E402
from mmhkd.datasets.idx_files import read_idx_file  # noqa: E402
from mmhkd.datasets.staged_folder import (  # noqa: E402
    OutputExistsError, staged_output_folder)

CLASSES = tuple(FashionMNISTIdx.METAINFO['classes'])
SPLIT_STREAMS = {'train': 0, 'test': 1}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='data/fashion-mnist-canvas')
    parser.add_argument('--num-train', type=int, default=2000)
    parser.add_argument('--num-test', type=int, default=500)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--canvas-size', type=int, default=spec.CANVAS_SIZE)
    parser.add_argument(
        '--fashion-mnist-root',
        default=DEBIAN_FASHION_MNIST_ROOT,
        help='folder of the four Fashion-MNIST IDX files (.gz or plain)')
    parser.add_argument(
        '--force', action='store_true',
        help='replace OUT when it exists and is not empty')
    return parser.parse_args(argv)


def coco_categories() -> List[dict]:
    """COCO categories: id ``label + 1``, Fashion-MNIST class names."""
    return [dict(id=i + 1, name=name) for i, name in enumerate(CLASSES)]


def coco_split(canvases: List[Canvas], split: str) -> dict:
    """The COCO dict of one split (file names relative to images/split)."""
    from pycocotools import mask as mask_utils
    images, annotations = [], []
    for i, canvas in enumerate(canvases):
        height, width = canvas.image.shape
        images.append(
            dict(id=i + 1, file_name=f'{i:06d}.png', width=width,
                 height=height))
        for obj in canvas.objects:
            rle = mask_utils.encode(np.asfortranarray(obj.mask, np.uint8))
            annotations.append(
                dict(id=len(annotations) + 1, image_id=i + 1,
                     category_id=obj.label + 1, bbox=list(obj.bbox),
                     area=int(obj.mask.sum()), iscrowd=0,
                     segmentation=dict(size=[int(s) for s in rle['size']],
                                       counts=rle['counts'].decode('ascii')),
                     source_index=obj.source_index))
    return dict(
        info=dict(description=f'Fashion-MNIST canvas set, {split} split'),
        images=images, annotations=annotations,
        categories=coco_categories())


def write_json(path: str, content: dict) -> None:
    with open(path, 'w') as f:
        json.dump(content, f, indent=1, sort_keys=True)
        f.write('\n')


def write_split(root: str, split: str, canvases: List[Canvas]) -> dict:
    """Write the PNGs and the COCO file of one split; return its counts."""
    for folder in ('images', 'seg_maps'):
        os.makedirs(osp.join(root, folder, split))
    for i, canvas in enumerate(canvases):
        name = f'{i:06d}.png'
        Image.fromarray(canvas.image).save(
            osp.join(root, 'images', split, name))
        Image.fromarray(canvas.seg_map()).save(
            osp.join(root, 'seg_maps', split, name))
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    write_json(
        osp.join(root, 'annotations', f'instances_{split}.json'),
        coco_split(canvases, split))
    return dict(images=len(canvases),
                objects=sum(len(c.objects) for c in canvases),
                dropped=sum(c.dropped for c in canvases))


def meta(args: argparse.Namespace, counts: dict) -> dict:
    return dict(
        source='Fashion-MNIST (Xiao et al. 2017), IDX files; training '
        'canvases from the training images, test canvases from the test '
        'images',
        seed=args.seed, canvas_size=args.canvas_size,
        objects_per_canvas=[spec.MIN_OBJECTS, spec.MAX_OBJECTS],
        scale_range=list(spec.SCALE_RANGE),
        object_threshold=spec.OBJECT_THRESHOLD,
        max_placement_tries=spec.MAX_PLACEMENT_TRIES,
        overlap_rule='placed squares of the objects of a canvas do not '
        'intersect; an object that does not fit is dropped',
        categories=coco_categories(),
        seg_map_values='0 background, Fashion-MNIST label + 1',
        counts=counts)


def readme(info: dict) -> str:
    counts = info['counts']
    lines = [
        '# Fashion-MNIST canvas set', '',
        'Written by tools/data/make_fashion_mnist_canvas.py (mmhkd); '
        'spec in docs/datasets.md.', '',
        f"- canvas: {info['canvas_size']}x{info['canvas_size']} 8-bit "
        'grayscale PNG, black background',
        f'- objects per canvas: {spec.MIN_OBJECTS} to {spec.MAX_OBJECTS} '
        f'(uniform), scale {spec.SCALE_RANGE[0]} to {spec.SCALE_RANGE[1]}',
        f"- overlap rule: {info['overlap_rule']}",
        f'- object pixels: value >= {spec.OBJECT_THRESHOLD}',
        '- categories: ' + ', '.join(
            f"{c['id']} {c['name']}" for c in info['categories']),
        f"- seg maps: {info['seg_map_values']}",
        f"- seed: {info['seed']}",
    ] + [
        f"- {split}: {c['images']} images, {c['objects']} objects "
        f"({c['dropped']} drawn objects dropped by the overlap rule or an "
        'empty mask)'
        for split, c in counts.items()
    ]
    return '\n'.join(lines) + '\n'


def main(argv: Optional[List[str]] = None) -> str:
    args = parse_args(argv)
    out = osp.abspath(args.out)
    wanted = dict(train=args.num_train, test=args.num_test)
    for split, number in wanted.items():
        if number < 0:
            raise SystemExit(f'--num-{split} must be >= 0, got {number}.')
    with staged_output_folder(out, args.force) as stage:
        counts = {}
        for split, number in wanted.items():
            image_file, label_file = SPLIT_FILES[split]
            images = read_idx_file(
                osp.join(args.fashion_mnist_root, image_file))
            labels = read_idx_file(
                osp.join(args.fashion_mnist_root, label_file))
            canvases = build_canvases(
                images, labels, number,
                seed=(args.seed, SPLIT_STREAMS[split]),
                canvas_size=args.canvas_size)
            counts[split] = write_split(stage, split, canvases)
        info = meta(args, counts)
        write_json(osp.join(stage, 'meta.json'), info)
        with open(osp.join(stage, 'README.md'), 'w') as f:
            f.write(readme(info))
    print(f'Wrote {out}: ' + ', '.join(
        f"{split} {c['images']} images / {c['objects']} objects"
        for split, c in counts.items()))
    return out


if __name__ == '__main__':
    try:
        main()
    except (OutputExistsError, DataFileError) as error:
        raise SystemExit(f'error: {error}')
