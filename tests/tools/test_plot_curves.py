"""tools/plot_curves.py on a tiny, real HKSANC run and a synthetic one."""
import json
import os
import os.path as osp

import matplotlib.image as mpimg
import pytest

from mmhkd.visualization.scalar_logs import load_run
from tiny_hksanc_run import load_tool, tiny_hksanc_run

DISC_KEYS = ('disc.loss_real', 'disc.loss_fake', 'disc.loss_category',
             'disc.loss_reg', 'disc.loss')


@pytest.fixture(scope='session')
def tiny_run(tmp_path_factory, fashion_mnist_root):
    """Shared with test_visualize_attention.py: trained once per session."""
    return tiny_hksanc_run(str(tmp_path_factory.getbasetemp() / 'tiny'))


@pytest.fixture(scope='module')
def tool():
    return load_tool('plot_curves')


def synthetic_run(root: str) -> str:
    work_dir = osp.join(root, 'synthetic')
    folder = osp.join(work_dir, '20240101_000000', 'vis_data')
    os.makedirs(folder)
    with open(osp.join(folder, 'scalars.json'), 'w') as f:
        for it in (1, 2, 3):
            f.write(json.dumps({'loss': 4.0 - it, 'distill.loss_is': 0.5,
                                'disc.acc_real': 0.5, 'epoch': 1,
                                'iter': it, 'step': it}) + '\n')
        f.write(json.dumps({'accuracy/top1': 50.0, 'step': 1}) + '\n')
    return work_dir


def test_real_run_is_parsed(tiny_run):
    run = load_run(tiny_run['work_dir'])
    keys = run.train_keys()
    for key in ('loss', 'distill.loss_backbone', 'distill.loss_is',
                'distill.loss_adv', 'disc.acc_real', 'disc.acc_fake') + \
            DISC_KEYS:
        assert key in keys
    last_iter = run.train[-1]['iter']
    assert [r['iter'] for r in run.val] == [last_iter]


def test_real_and_synthetic_runs_in_one_png(tool, tiny_run, tmp_path):
    out = str(tmp_path / 'plots' / 'both.png')
    path = tool.main([tiny_run['work_dir'], synthetic_run(str(tmp_path)),
                      '--out', out])
    assert path == out
    pixels = mpimg.imread(out)
    assert pixels.shape[:2] == (700, 1200)  # 4 panels, 2x2 of 6x3.5 in
    assert pixels[..., :3].std() > 0.05


def test_out_folder_default_and_keys(tool, tiny_run, tmp_path):
    path = tool.main([tiny_run['work_dir'], '--out', str(tmp_path),
                      '--keys', 'distill.*', '--dpi', '50'])
    assert path == osp.join(str(tmp_path), 'curves.png')
    assert mpimg.imread(path).shape[:2] == (175, 300)  # one 6x3.5 in panel
    synthetic = synthetic_run(str(tmp_path))
    assert tool.main([synthetic]) == osp.join(synthetic, 'curves.png')
    assert osp.isfile(osp.join(synthetic, 'curves.png'))


def test_untrained_work_dir_says_train_first(tool, tmp_path):
    untrained = tmp_path / 'untrained'
    untrained.mkdir()
    with pytest.raises(FileNotFoundError) as error:
        tool.main([str(untrained)])
    assert str(untrained) in str(error.value)
    assert 'scalars.json' in str(error.value)
    assert 'Train first' in str(error.value)
