"""mmhkd.datasets.canvas on the real Fashion-MNIST test images."""
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmhkd.datasets import canvas as spec
from mmhkd.datasets.canvas import build_canvases
from mmhkd.datasets.idx_files import read_idx_file


@pytest.fixture(scope='module')
def test_split(fashion_mnist_root):
    images = read_idx_file(
        osp.join(fashion_mnist_root, 't10k-images-idx3-ubyte.gz'))
    labels = read_idx_file(
        osp.join(fashion_mnist_root, 't10k-labels-idx1-ubyte.gz'))
    return images, labels


@pytest.fixture(scope='module')
def canvases(test_split):
    return build_canvases(*test_split, num_canvases=40, seed=3)


def extent(mask: np.ndarray) -> list:
    ys, xs = np.nonzero(mask)
    return [xs.min(), ys.min(), xs.max() + 1 - xs.min(),
            ys.max() + 1 - ys.min()]


def test_boxes_masks_and_seg_map(canvases):
    for canvas in canvases:
        assert canvas.image.shape == (128, 128)
        assert canvas.image.dtype == np.uint8
        covered = np.zeros(canvas.image.shape, dtype=int)
        for obj in canvas.objects:
            assert list(obj.bbox) == extent(obj.mask)
            covered += obj.mask
        assert covered.max() == 1  # no two masks share a pixel
        # the nonzero pixels are exactly the union of the masks
        np.testing.assert_array_equal(canvas.image > 0, covered == 1)
        assert canvas.image[covered == 1].min() >= spec.OBJECT_THRESHOLD
        seg = canvas.seg_map()
        expected = np.zeros_like(seg)
        for obj in canvas.objects:
            expected[obj.mask] = obj.label + 1
        np.testing.assert_array_equal(seg, expected)
        assert seg.max() <= 10


def test_objects_are_the_scaled_source_images(canvases, test_split):
    images, labels = test_split
    for canvas in canvases:
        for obj in canvas.objects:
            assert obj.label == labels[obj.source_index]
            side = int(round(28 * obj.scale))
            patch = np.asarray(
                Image.fromarray(images[obj.source_index]).resize(
                    (side, side), Image.BILINEAR))
            keep = patch >= 32
            x, y, w, h = extent(keep)
            bx, by, bw, bh = obj.bbox
            assert (w, h) == (bw, bh)
            window = np.s_[by:by + bh, bx:bx + bw]
            np.testing.assert_array_equal(obj.mask[window],
                                          keep[y:y + h, x:x + w])
            np.testing.assert_array_equal(
                canvas.image[window] * obj.mask[window],
                patch[y:y + h, x:x + w] * keep[y:y + h, x:x + w])


def test_sources_drawn_without_replacement(canvases):
    drawn = [o.source_index for c in canvases for o in c.objects]
    assert len(drawn) == len(set(drawn))
    assert len(drawn) + sum(c.dropped for c in canvases) <= 4 * 40
    counts = {len(c.objects) for c in canvases}
    assert {1, 4} <= counts <= {1, 2, 3, 4}


def test_deterministic_and_seed_dependent(test_split, canvases):
    again = build_canvases(*test_split, num_canvases=40, seed=3)
    other = build_canvases(*test_split, num_canvases=40, seed=4)
    for a, b in zip(canvases, again):
        np.testing.assert_array_equal(a.image, b.image)
        assert [o.bbox for o in a.objects] == [o.bbox for o in b.objects]
    assert any(not np.array_equal(a.image, b.image)
               for a, b in zip(canvases, other))


def test_crowded_canvas_drops_objects(test_split):
    """On 56x56 two objects rarely fit: the overlap rule drops the rest."""
    crowded = build_canvases(
        *test_split, num_canvases=30, seed=0, canvas_size=56)
    assert sum(c.dropped for c in crowded) > 0
    for canvas in crowded:
        total = sum(o.mask.astype(int) for o in canvas.objects)
        assert total.max() == 1


def test_dark_images_give_no_objects():
    dark = np.full((8, 28, 28), spec.OBJECT_THRESHOLD - 1, np.uint8)
    result = build_canvases(dark, np.zeros(8, np.uint8), 2, seed=0)
    assert all(not c.objects and not c.image.any() for c in result)
    assert sum(c.dropped for c in result) > 0


def test_clear_errors(test_split):
    images, labels = test_split
    with pytest.raises(ValueError, match='ask for at most 2500 canvases'):
        build_canvases(images, labels, 2501, seed=0)
    with pytest.raises(ValueError, match='canvas_size must be at least 56'):
        build_canvases(images, labels, 1, seed=0, canvas_size=40)
    with pytest.raises(ValueError, match='do not match'):
        build_canvases(images, labels[:5], 1, seed=0)


def test_object_counts_and_scales_span_the_spec(canvases):
    """1-4 objects a canvas and scales in [1, 2], and the draws use the
    range (a fixed count or scale would pass a bounds check alone)."""
    counts = [len(c.objects) for c in canvases]
    scales = [o.scale for c in canvases for o in c.objects]
    assert set(counts) <= {1, 2, 3, 4} and len(set(counts)) >= 3
    assert min(scales) >= 1.0 and max(scales) <= 2.0
    assert min(scales) < 1.2 and max(scales) > 1.8
