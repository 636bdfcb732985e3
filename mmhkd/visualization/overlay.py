"""Draw an attention map over an image, as an RGB ``uint8`` array."""
from typing import Union

import numpy as np
from matplotlib import colormaps


def normalize_map(attention: np.ndarray) -> np.ndarray:
    """Min-max scale a 2-D map to [0, 1] (a constant map becomes zeros).

    Args:
        attention (np.ndarray): (H, W) map, any real dtype.

    Returns:
        np.ndarray: float64 (H, W) map in [0, 1].
    """
    attention = np.asarray(attention, dtype=np.float64)
    if attention.ndim != 2:
        raise ValueError('attention map must be 2-D (H, W), got shape '
                         f'{attention.shape}')
    if not np.all(np.isfinite(attention)):
        raise ValueError('attention map has non-finite values')
    low, high = attention.min(), attention.max()
    if high - low <= 0:
        return np.zeros_like(attention)
    return (attention - low) / (high - low)


def image_to_rgb_float(image: np.ndarray) -> np.ndarray:
    """An (H, W) or (H, W, 3) image as float (H, W, 3) in [0, 1].

    Integer images are read as 0..255; float images must already be in
    [0, 1] (values are clipped).
    """
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError('image must be (H, W), (H, W, 1) or (H, W, 3), got '
                         f'shape {image.shape}')
    if np.issubdtype(image.dtype, np.integer):
        return image.astype(np.float64) / 255.0
    return np.clip(image.astype(np.float64), 0.0, 1.0)


def overlay_attention(image: np.ndarray,
                      attention: np.ndarray,
                      cmap: Union[str, object] = 'inferno',
                      alpha: float = 0.5) -> np.ndarray:
    """Blend the colour-mapped attention over the image.

    ``out = (1 - alpha) * image + alpha * cmap(normalize_map(attention))``,
    per pixel. The default colour map, ``inferno``, has a luminance that
    grows with the value, so the brightest colour marks where the map is
    largest (also when printed in grey).

    Args:
        image (np.ndarray): (H, W) grey or (H, W, 3) RGB image; integer
            (0..255) or float in [0, 1].
        attention (np.ndarray): (H, W) map of the same size as the image,
            e.g. a softmax attention map upsampled to the image.
        cmap (str | Colormap): Matplotlib colour map. Defaults to 'inferno'.
        alpha (float): Weight of the colour-mapped attention, in [0, 1].
            Defaults to 0.5.

    Returns:
        np.ndarray: (H, W, 3) ``uint8`` RGB overlay.
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f'alpha must be in [0, 1], got {alpha}')
    rgb = image_to_rgb_float(image)
    heat = normalize_map(attention)
    if heat.shape != rgb.shape[:2]:
        raise ValueError(f'attention map {heat.shape} and image '
                         f'{rgb.shape[:2]} differ in size; upsample the map '
                         'to the image first')
    colour_map = colormaps[cmap] if isinstance(cmap, str) else cmap
    coloured = colour_map(heat)[:, :, :3]
    blended = (1.0 - alpha) * rgb + alpha * coloured
    return np.round(np.clip(blended, 0.0, 1.0) * 255.0).astype(np.uint8)
