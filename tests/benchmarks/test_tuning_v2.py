"""v2 tuning: equal budgets, two seeds, the validation split only."""
import os.path as osp

import pytest
from mmengine.config import Config

from benchmarks.protocol_v2 import paired_method
from benchmarks.suite import CACHE_TOOL
from benchmarks.tuning_v2 import (V2_SHIPPED_TRIALS, V2_TRIAL_SETS,
                                  V2_VALIDATION_OPTIONS, option_label,
                                  plan_v2_tuning, run_name,
                                  tuning_markdown)
from conftest import REPO_ROOT


def test_every_set_has_the_same_budget():
    assert {len(t) for t in V2_TRIAL_SETS.values()} == {8}
    for trials in V2_TRIAL_SETS.values():
        assert len({t.name for t in trials}) == 8


def test_trials_read_the_validation_split_only():
    runs = plan_v2_tuning([t for s in V2_TRIAL_SETS.values() for t in s],
                          work_root='w', adaptation_dir='a')
    trial_runs = [r for r in runs if r.method is not None]
    assert len(trial_runs) == 3 * 8 * 2
    for run in trial_runs:
        for option in V2_VALIDATION_OPTIONS:
            assert option in run.options
        assert any(o.startswith('model.teacher_cache=w/caches/')
                   for o in run.options) or run.method == 'vanilla'
    caches = [r for r in runs if r.tool == CACHE_TOOL]
    assert sorted(r.name for r in caches) == ['cache-hksanc', 'cache-logits']
    for cache in caches:  # built for the validation split's training set
        for option in V2_VALIDATION_OPTIONS:
            assert option in cache.options
    (phase, ) = [r for r in runs if r.name == 'adaptation-v2']
    assert phase.work_dir == 'a'


@pytest.mark.parametrize('option', V2_VALIDATION_OPTIONS)
def test_validation_options_exist_in_the_v2_configs(option):
    cfg = Config.fromfile(osp.join(REPO_ROOT,
                                   paired_method('hksanc').config))
    key = option.split('=')[0]
    parent = key.rsplit('.', 1)[0]
    node = cfg
    for part in parent.split('.'):
        node = node[part]
    assert node is not None
    assert cfg.train_dataloader.dataset.dataset.type == 'FashionMNISTIdx'


def test_markdown_names_the_best_trial_with_its_paired_difference():
    trials = V2_TRIAL_SETS['kd'][:2]
    records = [
        dict(name=run_name(trials[0], 0), top1_mean_last=85.0),
        dict(name=run_name(trials[0], 1), top1_mean_last=86.0),
        dict(name=run_name(trials[1], 0), top1_mean_last=86.0),
        dict(name=run_name(trials[1], 1), top1_mean_last=87.5),
    ]
    text = tuning_markdown(records, dict(kd=trials))
    assert f'| {trials[1].name} |' in text and '| 86.00 | 87.50 | 86.75 |' \
        in text
    assert (f'**{trials[1].name}** (86.75); against {trials[0].name}: '
            '+1.25') in text


def test_markdown_compares_with_the_shipped_trial():
    trials = V2_TRIAL_SETS['kd'][:3]
    scores = {trials[0]: (85.0, 86.0), trials[1]: (86.0, 87.5),
              trials[2]: (84.0, 84.5)}
    records = [dict(name=run_name(t, s), top1_mean_last=v[s])
               for t, v in scores.items() for s in (0, 1)]
    text = tuning_markdown(records, dict(kd=trials),
                           shipped=dict(kd=trials[2].name))
    # 86.75 - 84.25 against the shipped trial, not the first one
    assert f'against {trials[2].name}: +2.50' in text
    assert f'`{option_label(trials[0].options[0])}`' in text


def test_option_label_keeps_the_value_whole():
    assert option_label('model.a.loss_weight=3.0') == 'a.loss_weight=3.0'
    assert option_label('model.b.mode=kd') == 'b.mode=kd'
    assert option_label('flag') == 'flag'


def test_shipped_trials_name_trials_of_their_sets():
    for set_name, trial_name in V2_SHIPPED_TRIALS.items():
        assert trial_name in {t.name for t in V2_TRIAL_SETS[set_name]}


@pytest.mark.parametrize(
    'trial', [t for s in V2_TRIAL_SETS.values() for t in s if t.options],
    ids=lambda t: f'{t.method}--{t.name}')
def test_every_trial_option_reaches_the_built_model(trial,
                                                    fashion_mnist_root):
    from mmengine.registry import DefaultScope
    from mmrazor.registry import MODELS
    cfg = Config.fromfile(osp.join(REPO_ROOT,
                                   paired_method(trial.method).config))
    options = {}
    for option in trial.options:
        key, value = option.split('=')
        options[key] = eval(value) if value not in ('kd', ) else value
    cfg.merge_from_dict(options)
    cfg.model.teacher_ckpt = None
    if 'teacher_attention_ckpt' in cfg.model:
        cfg.model.teacher_attention_ckpt = None
    with DefaultScope.overwrite_default_scope('mmrazor'):
        model = MODELS.build(cfg.model)
    losses = model.distiller.distill_losses
    for key, value in options.items():
        if key.startswith('model.distiller.distill_losses.'):
            loss, attr = key.split('.')[3], key.split('.')[-1]
            assert getattr(losses[loss], attr) == value, key
        elif key == 'model.architecture.head.loss.loss_weight':
            assert model.student.head.loss_module.loss_weight == value
        elif key.startswith('model.') and key.count('.') == 1:
            assert getattr(model, key.split('.')[1]) == value
