"""Distilling from a teacher cache equals distilling from the live teacher
on the same views; a cache of anything else is refused."""
import os.path as osp

import numpy as np
import pytest
import torch

from cache_runs import (HKSANC, KD, save_random_teacher, student_state,
                        tiny_config, tiny_options, train)
from mmhkd.engine.teacher_cache_builder import build_teacher_cache
from mmhkd.models.teacher_cache import TeacherCacheMismatchError

pytestmark = pytest.mark.usefixtures('restore_default_scope')
VIEWS = 2


@pytest.fixture(scope='module')
def root(tmp_path_factory, fashion_mnist_root):
    return tmp_path_factory.mktemp('cached_training')


@pytest.fixture(scope='module')
def teacher(root):
    return save_random_teacher(str(root / 'teacher.pth'))


def make_cache(root, teacher, config, name, dtype='float32', **extra):
    out = str(root / f'{name}.npy')
    options = dict(tiny_options(teacher), **extra)
    cfg = tiny_config(config, str(root / f'build_{name}'), options, name)
    build_teacher_cache(cfg, VIEWS, out, dtype=dtype, batch_size=7)
    return out


def last_loss(runner) -> float:
    return runner.message_hub.get_scalar('train/loss').current()


@pytest.mark.parametrize('config', [HKSANC, KD], ids=['hksanc', 'kd'])
def test_cached_run_equals_live_run(root, teacher, config):
    name = 'hksanc' if config == HKSANC else 'kd'
    cache = make_cache(root, teacher, config, name)
    options = tiny_options(teacher)
    live = train(tiny_config(config, str(root / f'live_{name}'), options,
                             f'live_{name}'), num_views=VIEWS)
    cached_options = dict(options, **{'model.teacher_cache': cache})
    cached = train(tiny_config(config, str(root / f'cached_{name}'),
                               cached_options, f'cached_{name}'))
    assert cached.model.teacher is None
    assert not any(k.startswith('teacher.')
                   for k in cached.model.state_dict())
    assert live.iter == cached.iter == 4
    assert last_loss(cached) == pytest.approx(last_loss(live), rel=1e-5)
    live_state, cached_state = student_state(live), student_state(cached)
    assert live_state.keys() == cached_state.keys()
    for key, value in live_state.items():
        torch.testing.assert_close(cached_state[key], value, rtol=1e-4,
                                   atol=1e-5, msg=key)
    # the weights moved between epochs 1 and 2: they are not compared at
    # an initialisation that both runs merely share
    epoch_1 = torch.load(osp.join(str(root / f'live_{name}'), 'epoch_1.pth'),
                         map_location='cpu', weights_only=True)['state_dict']
    moved = [k for k, v in live_state.items()
             if v.is_floating_point() and not torch.equal(v, epoch_1[k])]
    assert len(moved) > 10


def test_float16_cache_is_close_to_float32(root, teacher):
    exact = np.load(make_cache(root, teacher, HKSANC, 'hksanc32b'))
    half = np.load(make_cache(root, teacher, HKSANC, 'hksanc16',
                              dtype='float16'))
    assert half.dtype == np.float16 and exact.dtype == np.float32
    error = np.abs(half.astype(np.float32) - exact)
    # float16 keeps 11 significant bits: relative error <= 2**-11
    assert np.all(error <= np.abs(exact) * 2.0**-11 + 1e-7)
    assert error.max() > 0


def test_cache_of_another_teacher_is_refused(root, teacher):
    cache = make_cache(root, teacher, HKSANC, 'hksanc_ref')
    other = save_random_teacher(str(root / 'other_teacher.pth'), seed=2)
    options = dict(tiny_options(other), **{'model.teacher_cache': cache})
    cfg = tiny_config(HKSANC, str(root / 'refused_teacher'), options, 'r1')
    with pytest.raises(TeacherCacheMismatchError,
                       match=r'another teacher:\n  checkpoints.teacher_ckpt'):
        train(cfg)
    assert not osp.exists(osp.join(str(root / 'refused_teacher'),
                                   'epoch_1.pth'))


def test_cache_of_other_attention_settings_is_refused(root, teacher):
    cache = make_cache(root, teacher, HKSANC, 'hksanc_ref2')
    key = ('model.distiller.connectors.teacher_attention.attention_cfg.'
           'pool_source')
    options = dict(tiny_options(teacher), **{
        'model.teacher_cache': cache, key: 'features'})
    cfg = tiny_config(HKSANC, str(root / 'refused_att'), options, 'r2')
    with pytest.raises(TeacherCacheMismatchError) as err:
        train(cfg)
    assert ('connectors.teacher_attention.attention_cfg.pool_source: cache '
            '"fused", this run "features"') in str(err.value)


def test_cache_of_another_subset_is_refused(root, teacher):
    cache = make_cache(root, teacher, KD, 'kd_ref')
    options = dict(tiny_options(teacher, per_class=3),
                   **{'model.teacher_cache': cache})
    cfg = tiny_config(KD, str(root / 'refused_subset'), options, 'r3')
    with pytest.raises(TeacherCacheMismatchError) as err:
        train(cfg)
    text = str(err.value)
    assert 'was built for another training set' in text
    assert 'dataset.num_per_class: cache 2, this run 3' in text
    assert 'length: cache 20, this run 30' in text


def test_batch_without_view_indices_is_refused(root, teacher):
    cache = make_cache(root, teacher, KD, 'kd_ref2')
    cfg = tiny_config(KD, str(root / 'plain'), dict(
        tiny_options(teacher), **{'model.teacher_cache': cache}), 'r4')
    from mmengine.registry import DefaultScope
    from mmrazor.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmrazor'):
        model = MODELS.build(cfg.model)
    from mmpretrain.structures import DataSample
    samples = [DataSample().set_gt_label(0) for _ in range(2)]
    with pytest.raises(TeacherCacheMismatchError,
                       match='must be a ViewPoolDataset'):
        model.loss(torch.zeros(2, 1, 32, 32), samples)


def test_missing_cache_says_how_to_build_it(root, teacher):
    cfg_options = dict(tiny_options(teacher), **{
        'model.teacher_cache': str(root / 'absent.npy')})
    with pytest.raises(FileNotFoundError,
                       match='absent.npy not found .*tools/cache_teacher.py'):
        tiny_config(KD, str(root / 'absent'), cfg_options, 'r5')


def test_float16_cache_trains_close_to_the_live_run(root, teacher):
    """The float16 cache's rounding (<= 2**-11 relative per value) moves
    the loss after four steps by under 1e-3 relative and every weight by
    under 1e-3 absolute (measured: docs/teacher_cache.md)."""
    cache = make_cache(root, teacher, HKSANC, 'hksanc_half', dtype='float16')
    options = tiny_options(teacher)
    live = train(tiny_config(HKSANC, str(root / 'live_half_ref'), options,
                             'live_half_ref'), num_views=VIEWS)
    half = train(tiny_config(HKSANC, str(root / 'cached_half'), dict(
        options, **{'model.teacher_cache': cache}), 'cached_half'))
    loss_error = abs(last_loss(half) / last_loss(live) - 1)
    weight_error = max(
        float((v - student_state(half)[k]).abs().max())
        for k, v in student_state(live).items() if v.is_floating_point())
    print(f'float16 cache vs live: loss {loss_error:.2e} relative, weights '
          f'{weight_error:.2e} absolute')
    assert weight_error > 0  # the rounding does reach the weights
    assert loss_error < 1e-3 and weight_error < 1e-3
