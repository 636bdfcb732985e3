"""The v2 paired benchmark's plan and configs."""
import os.path as osp

import pytest
from mmengine.config import Config

from benchmarks.protocol_v2 import (V2_ADAPTATION, V2_METHODS,
                                    V2_TEACHER, V2_VIEWS, paired_method,
                                    plan_v2_runs)
from benchmarks.suite import CACHE_TOOL, Suite
from conftest import REPO_ROOT


def test_plan_orders_phase_two_caches_then_seeds():
    runs = plan_v2_runs(num_seeds=2, work_root='w')
    names = [r.name for r in runs]
    assert names[0] == 'adaptation-v2'
    caches = [r for r in runs if r.tool == CACHE_TOOL]
    # one cache per teacher side: KD/DKD share the logits, HKSANC and the
    # two ablations that keep its attention part share its cache
    assert [r.name for r in caches] == [
        'cache-logits', 'cache-hksanc', 'cache-hksanc-no-is']
    assert names[-2 * len(V2_METHODS):] == [
        f'{m.name}__seed{s}' for s in range(2) for m in V2_METHODS]
    hksanc = next(r for r in runs if r.name == 'hksanc__seed1')
    assert 'randomness.seed=1' in hksanc.options
    assert 'model.teacher_cache=w/caches/hksanc.npy' in hksanc.options
    no_adv = next(r for r in runs if r.name == 'hksanc-no-adv__seed0')
    assert 'model.teacher_cache=w/caches/hksanc.npy' in no_adv.options
    dkd = next(r for r in runs if r.name == 'dkd__seed0')
    assert 'model.teacher_cache=w/caches/logits.npy' in dkd.options
    assert ('model.teacher_attention_ckpt=w/adaptation/epoch_1.pth'
            in hksanc.options)
    assert hksanc.needs == ['cache-hksanc']
    vanilla = next(r for r in runs if r.name == 'vanilla__seed0')
    assert not any('teacher' in o for o in vanilla.options)
    cache = next(r for r in runs if r.name == 'cache-hksanc')
    assert cache.needs == ['adaptation-v2']
    assert cache.command('py', resume=False)[:7] == [
        'py', CACHE_TOOL, paired_method('hksanc').config, '--views',
        str(V2_VIEWS), '--out', 'w/caches/hksanc.npy']


def test_a_peak_lr_regime_moves_only_the_method_runs():
    default = {r.name: r for r in plan_v2_runs(num_seeds=1, work_root='w')}
    regime = {r.name: r for r in plan_v2_runs(num_seeds=1, work_root='w',
                                              peak_lr=0.05)}
    assert set(regime) == set(default)
    for name, run in regime.items():
        if run.method is None:  # phase 2 and the caches: shared
            assert run.work_dir == default[name].work_dir
            assert run.options == default[name].options
            continue
        assert run.work_dir == f'w/peak-lr-0.05/{name}'
        added = [o for o in run.options if o not in default[name].options]
        assert len(added) == 2 and all(o.endswith('=0.05') for o in added)
    assert 'optim_wrapper.student.optimizer.lr=0.05' in \
        regime['hksanc__seed0'].options
    assert 'param_scheduler.eta_max=0.05' in regime['vanilla__seed0'].options


def test_cache_step_is_done_only_when_complete(tmp_path):
    (run, ) = [r for r in plan_v2_runs(
        [paired_method('kd-tuned')], 1, work_root='w')
        if r.tool == CACHE_TOOL]
    suite = Suite([run], str(tmp_path / 'results'), repo_root=str(tmp_path))
    assert not suite.is_done(run)
    manifest = tmp_path / 'w' / 'caches' / 'logits.npy.manifest.json'
    manifest.parent.mkdir(parents=True)
    manifest.write_text('{"complete": false}')
    assert not suite.is_done(run)
    manifest.write_text('{"complete": true}')
    assert suite.is_done(run)


@pytest.mark.parametrize('method', V2_METHODS, ids=lambda m: m.name)
def test_v2_configs_share_the_protocol(method):
    cfg = Config.fromfile(osp.join(REPO_ROOT, method.config))
    dataset = cfg.train_dataloader.dataset
    assert dataset.type == 'ViewPoolDataset'
    assert (dataset.num_views, dataset.cache_seed) == (V2_VIEWS, 0)
    assert dataset.dataset.num_per_class == 100
    assert (cfg.train_cfg.max_epochs, cfg.train_cfg.val_begin,
            cfg.train_cfg.val_interval) == (60, 51, 2)
    if method.name != 'vanilla':
        assert cfg.model.teacher_ckpt == V2_TEACHER
        assert cfg.model.type in ('CachedTeacherDistill', 'HKSANCDistill')
    hooks = [h['type'] for h in cfg.custom_hooks]
    assert 'PairedInitHook' in hooks


def test_v2_adaptation_uses_the_v2_teacher():
    cfg = Config.fromfile(osp.join(REPO_ROOT, V2_ADAPTATION))
    assert cfg.model.teacher_ckpt == V2_TEACHER
    assert cfg.model.type == 'AttentionAdaptation'


def test_ablations_differ_from_hksanc_in_one_thing():
    base = Config.fromfile(osp.join(REPO_ROOT,
                                    paired_method('hksanc').config)).model
    no_adv = Config.fromfile(osp.join(
        REPO_ROOT, paired_method('hksanc-no-adv').config)).model
    no_cat = Config.fromfile(osp.join(
        REPO_ROOT, paired_method('hksanc-no-category').config)).model
    assert no_adv.adversarial_loss.adversarial_weight == 0.0
    assert base.adversarial_loss.adversarial_weight == 1.0
    assert no_cat.adversarial_loss.category_weight == 0.0
    for model in (no_adv, no_cat):
        assert model.distiller == base.distiller


@pytest.mark.parametrize('group', ['logits', 'hksanc'])
def test_methods_sharing_a_cache_have_the_same_teacher_side(group):
    """The cache check would refuse a shared cache otherwise."""
    from mmhkd.engine.teacher_cache_builder import teacher_side_of
    sides = []
    for method in V2_METHODS:
        if method.cache_group == group:
            model = Config.fromfile(osp.join(REPO_ROOT, method.config)).model
            model.teacher_ckpt = None
            if 'teacher_attention_ckpt' in model:
                model.teacher_attention_ckpt = None
            sides.append(teacher_side_of(model))
    assert len(sides) >= 2 and all(s == sides[0] for s in sides)
