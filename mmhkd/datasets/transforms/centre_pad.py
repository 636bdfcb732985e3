"""Pad an image symmetrically to a fixed size (28x28 Fashion-MNIST -> 32x32)."""
from typing import Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS


@TRANSFORMS.register_module()
class CentrePad(BaseTransform):
    """Pad ``results['img']`` on all sides so it is centred in ``size``.

    mmcv's ``Pad(size=...)`` pads only bottom and right, which would shift
    every image to the top-left corner. Odd leftovers go to bottom/right.

    Args:
        size (tuple[int, int]): Output (height, width).
        pad_val (int): Fill value. Defaults to 0.
    """

    def __init__(self, size: Tuple[int, int], pad_val: int = 0) -> None:
        self.size = tuple(size)
        self.pad_val = pad_val

    def transform(self, results: dict) -> dict:
        img = results['img']
        height, width = img.shape[:2]
        out_h, out_w = self.size
        if height > out_h or width > out_w:
            raise ValueError(f'CentrePad: image {height}x{width} is larger '
                             f'than the target {out_h}x{out_w}.')
        top, left = (out_h - height) // 2, (out_w - width) // 2
        pad = [(top, out_h - height - top), (left, out_w - width - left)]
        pad += [(0, 0)] * (img.ndim - 2)
        results['img'] = np.pad(img, pad, constant_values=self.pad_val)
        results['img_shape'] = results['img'].shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(size={self.size}, pad_val={self.pad_val})'
