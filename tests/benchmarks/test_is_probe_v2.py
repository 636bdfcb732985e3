"""The IS probe of the v2 protocol: validation split, paired arms."""
import pytest

from benchmarks.is_probe_v2 import (ARMS, FUSED_CACHE, plan_is_probe,
                                    probe_configs)
from benchmarks.tuning_v2 import V2_VALIDATION_OPTIONS
from conftest import merged_config as merged


def test_every_arm_runs_on_the_validation_split_with_paired_seeds():
    runs = [r for r in plan_is_probe(num_seeds=3) if r.method is not None]
    assert [r.name for r in runs] == [f'{arm}__seed{s}' for s in range(3)
                                      for arm in ARMS]
    for run in runs:
        assert set(V2_VALIDATION_OPTIONS) <= set(run.options)
        assert f'randomness.seed={run.seed}' in run.options
        assert f'train_dataloader.sampler.seed={run.seed}' in run.options


def test_features_arms_change_both_connectors_and_their_teacher_side():
    by_name = {r.name: r for r in plan_is_probe(num_seeds=1)}
    cfg = merged(by_name['features-std__seed0'].config,
                 by_name['features-std__seed0'].options)
    connectors = cfg.model.distiller.connectors
    assert connectors.student_attention.attention_cfg.pool_source == 'features'
    assert connectors.teacher_attention.attention_cfg.pool_source == 'features'
    assert cfg.model.distiller.distill_losses.loss_is.standardize is True
    assert cfg.model.teacher_cache.endswith('hksanc-features.npy')
    assert 'adaptation-features' in cfg.model.teacher_attention_ckpt
    fused = merged(by_name['fused__seed0'].config,
                   by_name['fused__seed0'].options)
    assert fused.model.distiller.connectors.student_attention.attention_cfg\
        .pool_source == 'fused'
    assert fused.model.distiller.distill_losses.loss_is.standardize is False
    assert fused.model.teacher_cache == FUSED_CACHE
    no_is = merged(by_name['no-is__seed0'].config,
                   by_name['no-is__seed0'].options)
    assert 'loss_is' not in no_is.model.distiller.distill_losses
    # phase 2 of the features arms adapts under the same setting
    phase2 = by_name['adaptation-features']
    assert merged(phase2.config, phase2.options).model.connector\
        .attention_cfg.pool_source == 'features'
    cache = by_name['cache-features']
    assert cache.needs == ['adaptation-features']
    assert cache.options[cache.options.index('--out') + 1] == \
        cfg.model.teacher_cache


def test_probe_configs_name_each_arm():
    configs = probe_configs()
    assert set(configs) == set(ARMS)
    assert configs['fused'] == configs['features']
    assert configs['no-is'] != configs['fused']


def test_a_subset_of_arms_and_an_unknown_arm():
    runs = [r for r in plan_is_probe(2, arms=('no-is', 'features-std'))
            if r.method is not None]
    assert [r.name for r in runs] == ['no-is__seed0', 'features-std__seed0',
                                      'no-is__seed1', 'features-std__seed1']
    with pytest.raises(ValueError, match=r"unknown IS probe arms \['std'\]"):
        plan_is_probe(1, arms=('std', ))


def test_a_peak_lr_regime_sets_the_student_schedule_of_every_arm():
    base = {r.name: r for r in plan_is_probe(1)}
    runs = {r.name: r for r in plan_is_probe(1, peak_lr=0.05)}
    for name in ('no-is__seed0', 'fused__seed0'):
        cfg = merged(runs[name].config, runs[name].options)
        assert cfg.param_scheduler.student[0].type == 'OneCycleLR'
        assert cfg.param_scheduler.student[0].eta_max == pytest.approx(0.05)
        assert cfg.optim_wrapper.student.optimizer.lr == pytest.approx(0.05)
        default = merged(base[name].config, base[name].options)
        assert default.param_scheduler.student[0].eta_max == \
            pytest.approx(0.1)
        assert runs[name].work_dir == base[name].work_dir.replace(
            name, f'peak-lr-0.05/{name}')
        # the teacher side (phase 2, caches) is shared with the v2 regime
        assert cfg.model.teacher_cache == default.model.teacher_cache
    assert runs['cache-fused'].work_dir == base['cache-fused'].work_dir
    with pytest.raises(ValueError, match='peak_lr must be a positive'):
        plan_is_probe(1, peak_lr=0.0)
