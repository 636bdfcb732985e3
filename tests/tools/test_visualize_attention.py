"""tools/visualize_attention.py on a tiny, real HKSANC distillation run."""
import os
import os.path as osp

import matplotlib.image as mpimg
import numpy as np
import pytest

from mmhkd.visualization.attention_figure import figure_pixels
from tiny_hksanc_run import load_tool, tiny_hksanc_run


@pytest.fixture(scope='session')
def tiny_run(tmp_path_factory, fashion_mnist_root):
    """Shared with test_plot_curves.py: trained once per session."""
    return tiny_hksanc_run(str(tmp_path_factory.getbasetemp() / 'tiny'))


@pytest.fixture(scope='module')
def tool():
    return load_tool('visualize_attention')


pytestmark = pytest.mark.usefixtures('one_thread')


def test_one_png_per_image(tool, tiny_run, tmp_path):
    out_dir = str(tmp_path / 'png')
    paths = tool.main([
        tiny_run['config'], tiny_run['checkpoint'], '--out-dir', out_dir,
        '--indices', '9', '0', '5', '--dpi', '50'
    ])
    names = ['attention_00009.png', 'attention_00000.png',
             'attention_00005.png']
    assert paths == [osp.join(out_dir, n) for n in names]
    assert sorted(os.listdir(out_dir)) == sorted(names)
    images = []
    for path in paths:
        pixels = mpimg.imread(path)
        assert pixels.shape[:2] == figure_pixels(3, dpi=50)  # 3 stages
        assert pixels[..., :3].std() > 0.05  # not blank
        images.append(pixels)
    assert not np.array_equal(images[0], images[1])  # different images


def test_defaults_take_the_first_images(tool, tiny_run, tmp_path):
    out_dir = str(tmp_path / 'first')
    paths = tool.main([
        tiny_run['config'], tiny_run['checkpoint'], '--out-dir', out_dir,
        '--num-images', '2', '--mode', 'nearest', '--dpi', '40'
    ])
    assert [osp.basename(p) for p in paths] == [
        'attention_00000.png', 'attention_00001.png']
    assert mpimg.imread(paths[0]).shape[:2] == figure_pixels(3, dpi=40)


def test_a_teacher_checkpoint_is_refused_clearly(tool, tiny_run, tmp_path):
    with pytest.raises(KeyError, match='does not match') as error:
        tool.main([tiny_run['config'], tiny_run['teacher'], '--out-dir',
                   str(tmp_path)])
    assert 'distillation config' in str(error.value)
    with pytest.raises(FileNotFoundError, match='missing.py'):
        tool.main([str(tmp_path / 'missing.py'), tiny_run['checkpoint']])
