#!/usr/bin/env python
"""Fetch DeepForest's annotated aerial tree images as a COCO set.

The ``deepforest`` wheel (MIT licence) ships RGB aerial crops of NEON
sites with hand-drawn tree-crown boxes in Pascal VOC XML files under
``deepforest/data/``. This tool downloads the pinned wheel with
``pip download --no-deps`` (nothing is installed), checks its SHA-256,
reads only the files it needs with ``zipfile`` and writes::

    OUT/images/*.png                  the annotated images, as shipped
    OUT/annotations/instances.json    COCO boxes, one category 'Tree'
    OUT/LICENSE                       the wheel's licence (MIT)
    OUT/NOTICE.md                     source, version, hash, counts

Boxes are pixel-edge coordinates (``0 <= xmin < xmax <= width``), so the
COCO box is ``[xmin, ymin, xmax - xmin, ymax - ymin]``.

Examples:
    python tools/data/fetch_deepforest_data.py --out data/deepforest
    # offline, with a wheel downloaded before
    python tools/data/fetch_deepforest_data.py \
        --wheel data/downloads/deepforest-2.1.0-py3-none-any.whl
"""
import argparse
import hashlib
import io
import json
import os
import os.path as osp
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

sys.path.insert(
    0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmhkd.datasets.staged_folder import (  # noqa: E402
    OutputExistsError, staged_output_folder)

VERSION = '2.1.0'
WHEEL = f'deepforest-{VERSION}-py3-none-any.whl'
WHEEL_SHA256 = ('8c2798d8e9be7f0004b194fe207b76c1'
                'd9fff6e711b3db67b9508dcd5d00ae54')
DATA = 'deepforest/data/'
LICENSE = f'deepforest-{VERSION}.dist-info/licenses/LICENSE'
CATEGORY = 'Tree'
# (annotation, image written): every box in these files is a 'Tree'.
# OSBS_029.xml names OSBS_029.tif; the wheel's OSBS_029.png holds the same
# pixels (checked when fetching) and is written instead.
ANNOTATED = (
    ('OSBS_029.xml', 'OSBS_029.png'),
    ('2019_YELL_2_541000_4977000_image_crop.xml',
     '2019_YELL_2_541000_4977000_image_crop.png'),
    ('2019_YELL_2_528000_4978000_image_crop2.xml',
     '2019_YELL_2_528000_4978000_image_crop2.png'),
)
# Left out: SOAP_061.xml (boxes labelled 'Alive'/'Dead', not 'Tree'), the
# CSV files (example.csv holds 79 of the 279 boxes of the YELL crop's XML;
# OSBS_029.csv repeats OSBS_029.xml) and images without annotations.

Box = Tuple[float, float, float, float]


class WheelError(RuntimeError):
    """The wheel is missing, not the pinned one, or lacks a file."""


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='data/deepforest')
    parser.add_argument(
        '--wheel', help=f'an already downloaded {WHEEL} (no network used)')
    parser.add_argument(
        '--download-dir', default='data/downloads',
        help='where the downloaded wheel is kept (and reused)')
    parser.add_argument(
        '--force', action='store_true',
        help='replace OUT when it exists and is not empty')
    return parser.parse_args(argv)


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def check_wheel(path: str) -> str:
    """Return ``path`` when it is the pinned wheel, else raise WheelError."""
    if not osp.isfile(path):
        raise WheelError(f'Wheel not found: {path}. Download it with `pip '
                         f'download deepforest=={VERSION} --no-deps -d '
                         'DIR` and pass --wheel DIR/' + WHEEL + '.')
    digest = sha256(path)
    if digest != WHEEL_SHA256:
        raise WheelError(
            f'{path} has SHA-256 {digest}, not that of {WHEEL} '
            f'({WHEEL_SHA256}); pass the deepforest {VERSION} wheel from '
            'PyPI.')
    return path


def download_wheel(folder: str) -> str:
    """``pip download`` the pinned wheel into ``folder`` (kept, reused)."""
    path = osp.join(folder, WHEEL)
    if osp.isfile(path) and sha256(path) == WHEEL_SHA256:
        return path
    os.makedirs(folder, exist_ok=True)
    command = [sys.executable, '-m', 'pip', 'download',
               f'deepforest=={VERSION}', '--no-deps', '--only-binary=:all:',
               '-d', folder]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise WheelError(
            f'`{" ".join(command[1:])}` failed (no network or no PyPI?):\n'
            f'{done.stderr.strip()[-2000:]}\nDownload {WHEEL} elsewhere and '
            'pass it with --wheel.')
    return check_wheel(path)


def parse_voc(text: bytes) -> Tuple[str, int, int, List[Tuple[str, Box]]]:
    """Filename, width, height and (label, box) list of a VOC XML file."""
    root = ET.fromstring(text)
    size = root.find('size')
    boxes = []
    for obj in root.iter('object'):
        box = obj.find('bndbox')
        boxes.append((obj.findtext('name'), tuple(
            float(box.findtext(k)) for k in ('xmin', 'ymin', 'xmax',
                                             'ymax'))))
    return (root.findtext('filename'), int(size.findtext('width')),
            int(size.findtext('height')), boxes)


def to_coco(images: Sequence[dict], category: str = CATEGORY) -> dict:
    """COCO dict of boxes.

    Args:
        images: Dicts with ``file_name``, ``width``, ``height`` and
            ``boxes``, a list of (label, (xmin, ymin, xmax, ymax)) in
            pixel-edge coordinates.
        category (str): The only label allowed; COCO category id 1.

    Raises:
        ValueError: Naming the image and box, for another label or a box
            that is empty or leaves the image.
    """
    coco: Dict[str, list] = dict(
        images=[], annotations=[],
        categories=[dict(id=1, name=category)])
    for image_id, image in enumerate(images, 1):
        width, height = image['width'], image['height']
        coco['images'].append(
            dict(id=image_id, file_name=image['file_name'], width=width,
                 height=height))
        for label, (x1, y1, x2, y2) in image['boxes']:
            where = f"{image['file_name']} box {(x1, y1, x2, y2)}"
            if label != category:
                raise ValueError(f'{where}: label {label!r}, expected '
                                 f'{category!r} only.')
            if not (0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height):
                raise ValueError(f'{where}: empty or outside the '
                                 f'{width}x{height} image.')
            w, h = x2 - x1, y2 - y1
            coco['annotations'].append(
                dict(id=len(coco['annotations']) + 1, image_id=image_id,
                     category_id=1, bbox=[x1, y1, w, h], area=w * h,
                     iscrowd=0))
    return coco


def read_member(wheel: zipfile.ZipFile, name: str) -> bytes:
    try:
        return wheel.read(name)
    except KeyError:
        raise WheelError(f'{name} is not in the wheel {wheel.filename}; '
                         f'is it deepforest {VERSION}?') from None


def same_pixels(first: bytes, second: bytes) -> bool:
    arrays = [
        np.asarray(Image.open(io.BytesIO(raw)).convert('RGB'))
        for raw in (first, second)
    ]
    return arrays[0].shape == arrays[1].shape and bool(
        (arrays[0] == arrays[1]).all())


def extract(wheel_path: str, out: str) -> dict:
    """Write images, COCO file and licence of the wheel into ``out``."""
    os.makedirs(osp.join(out, 'images'))
    os.makedirs(osp.join(out, 'annotations'))
    records = []
    with zipfile.ZipFile(wheel_path) as wheel:
        for xml_name, image_name in ANNOTATED:
            named, width, height, boxes = parse_voc(
                read_member(wheel, DATA + xml_name))
            raw = read_member(wheel, DATA + image_name)
            if named != image_name and not same_pixels(
                    raw, read_member(wheel, DATA + named)):
                raise WheelError(f'{image_name} differs from {named}, '
                                 f'which {xml_name} annotates.')
            with Image.open(io.BytesIO(raw)) as image:
                if image.size != (width, height):
                    raise WheelError(f'{image_name} is {image.size}, '
                                     f'{xml_name} says {(width, height)}.')
            with open(osp.join(out, 'images', image_name), 'wb') as f:
                f.write(raw)
            records.append(dict(file_name=image_name, width=width,
                                height=height, boxes=boxes))
        licence = read_member(wheel, LICENSE)
    coco = to_coco(records)
    with open(osp.join(out, 'annotations', 'instances.json'), 'w') as f:
        json.dump(coco, f, indent=1, sort_keys=True)
        f.write('\n')
    with open(osp.join(out, 'LICENSE'), 'wb') as f:
        f.write(licence)
    counts = {r['file_name']: len(r['boxes']) for r in records}
    with open(osp.join(out, 'NOTICE.md'), 'w') as f:
        f.write(notice(counts))
    return counts


def notice(counts: Dict[str, int]) -> str:
    lines = [
        '# DeepForest tree-crown images', '',
        f'From the `deepforest` {VERSION} wheel on PyPI ({WHEEL}, SHA-256 '
        f'{WHEEL_SHA256}), folder `{DATA}`: Weecology\'s DeepForest '
        '(https://github.com/weecology/DeepForest), MIT licence, '
        'Copyright (c) 2019 Ben Weinstein; the licence text is in LICENSE.',
        '', 'Converted by tools/data/fetch_deepforest_data.py (mmhkd) from '
        "the Pascal VOC files to COCO boxes, one category 'Tree':", ''
    ] + [f'- {name}: {number} boxes' for name, number in counts.items()]
    return '\n'.join(lines) + '\n'


def main(argv: Optional[List[str]] = None) -> str:
    args = parse_args(argv)
    out = osp.abspath(args.out)
    with staged_output_folder(out, args.force) as stage:
        wheel = check_wheel(args.wheel) if args.wheel else download_wheel(
            args.download_dir)
        counts = extract(wheel, stage)
    print(f'Wrote {out}: {len(counts)} images, '
          f'{sum(counts.values())} tree boxes.')
    return out


if __name__ == '__main__':
    try:
        main()
    except (OutputExistsError, WheelError) as error:
        raise SystemExit(f'error: {error}')
