"""overlay_attention: the colour-mapped map blended over the image."""
import numpy as np
import pytest
from matplotlib import colormaps

from mmhkd.visualization.overlay import (image_to_rgb_float, normalize_map,
                                         overlay_attention)


def bump(shape=(32, 32), peak=(5, 21), sigma=2.5) -> np.ndarray:
    """A softmax-like map with its maximum at ``peak``."""
    ys, xs = np.mgrid[:shape[0], :shape[1]]
    heat = np.exp(-((ys - peak[0])**2 + (xs - peak[1])**2) / (2 * sigma**2))
    return heat / heat.sum()


def luminance(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def test_normalize_map_range_and_constant():
    out = normalize_map(np.array([[2.0, 4.0], [6.0, 10.0]]))
    np.testing.assert_allclose(out, [[0, 0.25], [0.5, 1.0]])
    assert not np.any(normalize_map(np.full((3, 3), 0.1)))
    with pytest.raises(ValueError, match='2-D'):
        normalize_map(np.zeros((1, 3, 3)))
    with pytest.raises(ValueError, match='non-finite'):
        normalize_map(np.array([[0.0, np.nan]]))


def test_grey_and_rgb_images_become_float_rgb():
    grey = np.arange(6, dtype=np.uint8).reshape(2, 3) * 51
    rgb = image_to_rgb_float(grey)
    assert rgb.shape == (2, 3, 3)
    np.testing.assert_allclose(rgb[..., 0], grey / 255.0)
    np.testing.assert_array_equal(rgb[..., 0], rgb[..., 2])
    colour = np.random.RandomState(0).rand(2, 3, 3)
    np.testing.assert_allclose(image_to_rgb_float(colour), colour)
    with pytest.raises(ValueError, match='image must be'):
        image_to_rgb_float(np.zeros((2, 3, 4)))


def test_overlay_hottest_region_is_the_map_peak():
    peak = (5, 21)
    image = np.full((32, 32), 128, dtype=np.uint8)
    out = overlay_attention(image, bump(peak=peak), alpha=0.6)
    assert out.shape == (32, 32, 3) and out.dtype == np.uint8
    light = luminance(out)
    assert np.unravel_index(np.argmax(light), light.shape) == peak
    # the brightest 1% of the pixels sit around the peak
    ys, xs = np.nonzero(light >= np.quantile(light, 0.99))
    assert np.all(np.hypot(ys - peak[0], xs - peak[1]) <= 2.0)
    # inferno: luminance grows with the value, so it ranks like the map
    heat = bump(peak=peak).ravel()
    order = np.argsort(heat)
    assert np.all(np.diff(light.ravel()[order]) >= -1.0)  # rounding only


def test_overlay_is_the_alpha_blend():
    rng = np.random.RandomState(0)
    image = rng.randint(0, 256, size=(16, 12, 3)).astype(np.uint8)
    attention = rng.rand(16, 12)
    np.testing.assert_array_equal(
        overlay_attention(image, attention, alpha=0.0), image)
    expected = np.round(
        colormaps['viridis'](normalize_map(attention))[..., :3] * 255)
    np.testing.assert_array_equal(
        overlay_attention(image, attention, cmap='viridis', alpha=1.0),
        expected.astype(np.uint8))
    half = overlay_attention(image, attention, cmap='viridis', alpha=0.5)
    np.testing.assert_allclose(
        half, (image.astype(np.float64) + expected) / 2, atol=1.0)


def test_overlay_rejects_bad_input():
    with pytest.raises(ValueError, match='differ in size'):
        overlay_attention(np.zeros((32, 32)), np.zeros((8, 8)))
    with pytest.raises(ValueError, match='alpha'):
        overlay_attention(np.zeros((4, 4)), np.zeros((4, 4)), alpha=1.5)
