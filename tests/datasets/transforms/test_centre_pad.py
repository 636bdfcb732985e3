"""CentrePad: symmetric padding to a fixed size."""
import numpy as np
import pytest

from mmhkd.datasets.transforms import CentrePad


def test_even_padding_centres_the_image():
    img = np.arange(28 * 28, dtype=np.uint8).reshape(28, 28)
    out = CentrePad(size=(32, 32))(dict(img=img))
    assert out['img'].shape == (32, 32)
    np.testing.assert_array_equal(out['img'][2:30, 2:30], img)
    border = np.ones((32, 32), bool)
    border[2:30, 2:30] = False
    assert (out['img'][border] == 0).all()
    assert out['img_shape'] == (32, 32)


def test_odd_leftover_goes_bottom_right_and_channels_kept():
    img = np.full((3, 4, 2), 7, dtype=np.uint8)
    out = CentrePad(size=(6, 7), pad_val=1)(dict(img=img))['img']
    assert out.shape == (6, 7, 2)
    np.testing.assert_array_equal(out[1:4, 1:5], img)
    assert out[0].max() == 1 and out[4:].max() == 1 and out[:, 5:].max() == 1


def test_larger_image_is_refused():
    with pytest.raises(ValueError, match='larger than the target'):
        CentrePad(size=(20, 20))(dict(img=np.zeros((28, 28), np.uint8)))
