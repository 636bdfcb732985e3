"""Detection/segmentation canvases built from Fashion-MNIST images.

A canvas is a ``canvas_size`` x ``canvas_size`` (default 128x128) uint8
grayscale image on a black background holding 1 to 4 Fashion-MNIST
objects. Everything is drawn from ``numpy.random.RandomState(seed)``, so
the same (images, labels, seed) give the same canvases. Per canvas, in
this order:

1. the number of objects, uniform in ``1..4``;
2. per object: the next source image of a permutation of the split (so
   source images are drawn without replacement), a scale factor uniform
   in ``[1.0, 2.0]`` (side ``round(28 * scale)``, 28 to 56 px, bilinear
   resampling) and a top-left corner uniform over the positions that keep
   the square fully inside the canvas.

Overlap rule: an object's placed square may not intersect the square of
an earlier object on the same canvas. A new corner is drawn up to
``MAX_PLACEMENT_TRIES`` times; if none fits, the object is dropped (its
source image stays used) and the canvas holds fewer objects. Masks
therefore never overlap and each pixel belongs to at most one object.

Object pixels are the scaled pixels with value ``>= OBJECT_THRESHOLD``
(32). Only they are pasted (fainter pixels stay 0), so the nonzero pixels
of a canvas are exactly the union of its masks. An object's box is the
tight extent of its mask in COCO ``[x, y, w, h]`` (``w = last column + 1 -
x``); an object whose mask is empty is dropped. Segmentation label maps
hold 0 for background and ``label + 1`` (1..10) for object pixels.
"""
from dataclasses import dataclass, field
from typing import List, Sequence, Tuple, Union

import numpy as np
from PIL import Image

CANVAS_SIZE = 128
MIN_OBJECTS = 1
MAX_OBJECTS = 4
SCALE_RANGE = (1.0, 2.0)
OBJECT_THRESHOLD = 32
MAX_PLACEMENT_TRIES = 50
SOURCE_SIZE = 28

Seed = Union[int, Sequence[int]]


@dataclass
class CanvasObject:
    """One pasted object.

    Attributes:
        label (int): Fashion-MNIST label, 0..9.
        source_index (int): Index of the source image in its split.
        scale (float): Scale factor that was drawn.
        mask (np.ndarray): Bool array of the canvas shape, its pixels.
        bbox (Tuple[int, int, int, int]): Tight box of ``mask``, COCO
            ``(x, y, w, h)``.
    """

    label: int
    source_index: int
    scale: float
    mask: np.ndarray
    bbox: Tuple[int, int, int, int]


@dataclass
class Canvas:
    """A canvas image and its objects.

    Attributes:
        image (np.ndarray): uint8 array ``(size, size)``.
        objects (List[CanvasObject]): The objects, in paste order.
        dropped (int): Drawn objects that did not fit or had an empty
            mask.
    """

    image: np.ndarray
    objects: List[CanvasObject] = field(default_factory=list)
    dropped: int = 0

    def seg_map(self) -> np.ndarray:
        """Label map: 0 background, ``label + 1`` on object pixels."""
        seg = np.zeros(self.image.shape, dtype=np.uint8)
        for obj in self.objects:
            seg[obj.mask] = obj.label + 1
        return seg


def mask_to_bbox(mask: np.ndarray) -> Tuple[int, int, int, int]:
    """Tight COCO box ``(x, y, w, h)`` of a non-empty bool mask."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    x, y = int(cols[0]), int(rows[0])
    return x, y, int(cols[-1]) + 1 - x, int(rows[-1]) + 1 - y


def _squares_intersect(a: Tuple[int, int, int],
                       b: Tuple[int, int, int]) -> bool:
    """Whether squares ``(x, y, side)`` share at least one pixel."""
    ax, ay, aside = a
    bx, by, bside = b
    return (ax < bx + bside and bx < ax + aside and ay < by + bside
            and by < ay + aside)


def _scaled(image: np.ndarray, side: int) -> np.ndarray:
    """``image`` resized to ``side`` x ``side`` with bilinear sampling."""
    if side == image.shape[0]:
        return image.copy()
    return np.asarray(
        Image.fromarray(image).resize((side, side), Image.BILINEAR))


def build_canvases(images: np.ndarray,
                   labels: np.ndarray,
                   num_canvases: int,
                   seed: Seed,
                   canvas_size: int = CANVAS_SIZE) -> List[Canvas]:
    """Build canvases deterministically (see the module docstring).

    Args:
        images (np.ndarray): uint8 ``(N, 28, 28)`` source images.
        labels (np.ndarray): ``(N,)`` labels, 0..9.
        num_canvases (int): How many canvases to build.
        seed (int | Sequence[int]): Seed of ``numpy.random.RandomState``.
        canvas_size (int): Side of the square canvas; at least 56.

    Returns:
        List[Canvas]: ``num_canvases`` canvases.

    Raises:
        ValueError: When the arrays disagree, the canvas is too small for
            the largest object, or the split has too few images.
    """
    if images.ndim != 3 or images.shape[1:] != (SOURCE_SIZE, SOURCE_SIZE):
        raise ValueError(f'images must be (N, {SOURCE_SIZE}, '
                         f'{SOURCE_SIZE}), got {images.shape}.')
    if labels.shape != (len(images), ):
        raise ValueError(f'labels {labels.shape} do not match images '
                         f'{images.shape}.')
    max_side = round(SOURCE_SIZE * SCALE_RANGE[1])
    if canvas_size < max_side:
        raise ValueError(f'canvas_size must be at least {max_side} (the '
                         f'largest object), got {canvas_size}.')
    needed = num_canvases * MAX_OBJECTS
    if needed > len(images):
        raise ValueError(
            f'{num_canvases} canvases may need up to {needed} source '
            f'images (drawn without replacement) but the split has '
            f'{len(images)}; ask for at most '
            f'{len(images) // MAX_OBJECTS} canvases.')
    rng = np.random.RandomState(seed)
    order = rng.permutation(len(images))
    next_source = 0
    canvases = []
    for _ in range(num_canvases):
        canvas = Canvas(np.zeros((canvas_size, canvas_size), np.uint8))
        squares: List[Tuple[int, int, int]] = []
        for _ in range(rng.randint(MIN_OBJECTS, MAX_OBJECTS + 1)):
            index = int(order[next_source])
            next_source += 1
            scale = float(rng.uniform(*SCALE_RANGE))
            side = int(round(SOURCE_SIZE * scale))
            square = None
            for _ in range(MAX_PLACEMENT_TRIES):
                x, y = rng.randint(0, canvas_size - side + 1, size=2)
                candidate = (int(x), int(y), side)
                if not any(
                        _squares_intersect(candidate, s) for s in squares):
                    square = candidate
                    break
            patch = _scaled(images[index], side)
            keep = patch >= OBJECT_THRESHOLD
            if square is None or not keep.any():
                canvas.dropped += 1
                continue
            squares.append(square)
            x, y, _ = square
            mask = np.zeros(canvas.image.shape, dtype=bool)
            mask[y:y + side, x:x + side] = keep
            canvas.image[mask] = patch[keep]
            canvas.objects.append(
                CanvasObject(
                    label=int(labels[index]),
                    source_index=index,
                    scale=scale,
                    mask=mask,
                    bbox=mask_to_bbox(mask)))
        canvases.append(canvas)
    return canvases
