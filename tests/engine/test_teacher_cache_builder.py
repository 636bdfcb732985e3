"""tools/cache_teacher.py's builder: rows equal the teacher's own outputs,
an interrupted build continues, nothing written is replaced by mistake."""
import hashlib
import json
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(__file__)), 'models',
                            'teacher_cache'))
from cache_runs import (HKSANC, KD, save_random_teacher,  # noqa: E402
                        tiny_config, tiny_options)
from conftest import load_tool  # noqa: E402
from mmhkd.engine.teacher_cache_builder import (  # noqa: E402
    build_live_model, build_teacher_cache)
from mmhkd.models.teacher_cache import manifest_path, read_manifest  # noqa

pytestmark = pytest.mark.usefixtures('restore_default_scope')


@pytest.fixture(scope='module')
def root(tmp_path_factory, fashion_mnist_root):
    return tmp_path_factory.mktemp('cache_builder')


@pytest.fixture(scope='module')
def teacher(root):
    return save_random_teacher(str(root / 'teacher.pth'))


def config(root, teacher, name, model=KD, **extra):
    return tiny_config(model, str(root / f'w_{name}'),
                       dict(tiny_options(teacher), **extra), name)


def digest(path) -> str:
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_rows_are_the_teacher_outputs_of_each_view(root, teacher):
    out = str(root / 'kd.npy')
    manifest = build_teacher_cache(config(root, teacher, 'a'), 3, out,
                                   batch_size=8)
    rows = np.load(out)
    assert rows.shape == (20, 3, 10) and manifest['row_width'] == 10
    assert manifest['bytes_per_view'] == 40
    assert manifest['layout'] == {'recorder=fc': dict(
        offset=0, width=10, shapes=[[10]], is_tuple=False)}
    # independently: the teacher classifier's logits of view (i, v)
    cfg = config(root, teacher, 'b')
    from mmhkd.engine.view_pool_config import wrap_in_view_pool
    wrap_in_view_pool(cfg, 3, 0)
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import DATASETS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pool = DATASETS.build(cfg.train_dataloader.dataset)
    model = build_live_model(cfg)
    for view in range(3):
        batch = model.data_preprocessor(
            pseudo_collate([pool.get_view(i, view) for i in range(20)]),
            False)
        with torch.no_grad():
            logits = model.teacher(batch['inputs'], mode='tensor')
        np.testing.assert_allclose(rows[:, view], logits.numpy(),
                                   rtol=1e-5, atol=1e-6)


def test_hksanc_rows_hold_descriptors_and_logits(root, teacher):
    out = str(root / 'hksanc.npy')
    manifest = build_teacher_cache(
        config(root, teacher, 'h', model=HKSANC), 1, out)
    assert manifest['row_width'] == 64 + 128 + 256 + 10
    assert manifest['teacher_side']['connectors']['teacher_attention'][
        'stage_channels'] == [64, 128, 256]
    assert set(manifest['teacher_side']['checkpoints']) == {
        'teacher_ckpt', 'teacher_attention_ckpt'}


def test_random_teacher_estimators_are_refused(root, teacher):
    cfg = config(root, teacher, 'r', model=HKSANC,
                 **{'model.teacher_attention_ckpt': None})
    with pytest.raises(ValueError, match="connector 'teacher_attention' was "
                       'not loaded from a checkpoint'):
        build_teacher_cache(cfg, 1, str(root / 'random.npy'))
    assert not osp.exists(str(root / 'random.npy'))


def test_interrupted_build_continues_to_the_same_file(root, teacher):
    whole = str(root / 'whole.npy')
    build_teacher_cache(config(root, teacher, 'w'), 2, whole, batch_size=6)
    part = str(root / 'part.npy')

    class Killed(Exception):
        pass

    def stop_after_two(done, total):
        if done >= 12:
            raise Killed

    with pytest.raises(Killed):
        build_teacher_cache(config(root, teacher, 'p'), 2, part,
                            batch_size=6, progress=stop_after_two)
    with open(manifest_path(part)) as f:
        partial = json.load(f)
    assert partial['complete'] is False
    assert partial['progress']['done'] == 12
    with pytest.raises(ValueError, match=r'incomplete \(12 of 40 views'):
        read_manifest(part)
    seen = []
    build_teacher_cache(config(root, teacher, 'p2'), 2, part, batch_size=6,
                        progress=lambda done, total: seen.append(done))
    assert seen[0] == 18  # continued after the 12 views already written
    assert np.array_equal(np.load(part), np.load(whole))
    assert read_manifest(part)['complete'] is True


def test_complete_cache_of_other_settings_is_not_replaced(root, teacher):
    out = str(root / 'keep.npy')
    build_teacher_cache(config(root, teacher, 'k'), 2, out)
    before = (digest(out), digest(manifest_path(out)))
    with pytest.raises(FileExistsError, match='complete teacher cache of '
                       'other settings.*--force'):
        build_teacher_cache(config(root, teacher, 'k2'), 3, out)
    assert (digest(out), digest(manifest_path(out))) == before
    # the same settings again: nothing is recomputed or rewritten
    build_teacher_cache(config(root, teacher, 'k3'), 2, out,
                        progress=lambda *a: pytest.fail('recomputed'))
    assert (digest(out), digest(manifest_path(out))) == before
    build_teacher_cache(config(root, teacher, 'k4'), 3, out, force=True)
    assert np.load(out).shape == (20, 3, 10)


def test_batch_augments_are_refused(root, teacher):
    cfg = config(root, teacher, 'm')
    cfg.model.data_preprocessor['batch_augments'] = dict(
        augments=[dict(type='Mixup', alpha=0.8)])
    with pytest.raises(ValueError, match='cannot hold batch augments'):
        build_teacher_cache(cfg, 1, str(root / 'mix.npy'))


def test_cache_teacher_tool(root, teacher, capsys):
    out = str(root / 'tool.npy')
    options = [f'{k}={v}' for k, v in tiny_options(teacher).items()]
    manifest = load_tool('cache_teacher').main(
        [KD, '--views', '2', '--out', out, '--dtype', 'float16',
         '--cfg-options'] + options)
    assert manifest['dtype'] == 'float16' and manifest['num_views'] == 2
    assert np.load(out).dtype == np.float16
    assert 'teacher cache' in capsys.readouterr().out
