"""Tuning trials: validation split only, equal budgets, shared phases."""
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from benchmarks.methods import method_by_name
from benchmarks.suite import VALIDATION_OPTIONS
from benchmarks.tuning import (DEFAULT_TRIALS, DKD_TRIALS,
                               HKSANC_TRIALS, KD_TRIALS, Trial,
                               best_trial, best_trial_lines,
                               plan_tuning, trial_of, tuning_table)
from conftest import REPO_ROOT


def test_equal_budgets_and_unique_names():
    assert len(HKSANC_TRIALS) == len(KD_TRIALS) == len(DKD_TRIALS) == 8
    for trials in (HKSANC_TRIALS, KD_TRIALS, DKD_TRIALS):
        assert len({t.name for t in trials}) == len(trials)


def test_every_trial_runs_on_the_validation_split():
    runs = plan_tuning(HKSANC_TRIALS + KD_TRIALS, work_root='t')
    phases = [r for r in runs if r.method is None]
    trials = [r for r in runs if r.method is not None]
    assert len(trials) == 16
    assert {p.work_dir for p in phases} == {
        'work_dirs/benchmark/adaptation-global',
        'work_dirs/benchmark/adaptation-hierarchical'}
    for run in trials:
        assert set(VALIDATION_OPTIONS) <= set(run.options)
        assert run.seed == 0 and run.work_dir.startswith('t/')
        assert trial_of(run.name, HKSANC_TRIALS + KD_TRIALS).method == \
            run.method


def test_validation_split_is_disjoint_from_labelled_training_images(
        fashion_mnist_root):
    from mmpretrain.registry import DATASETS
    cfg = Config.fromfile(osp.join(REPO_ROOT,
                                   method_by_name('kd').config))
    options = dict(item.split('=') for item in VALIDATION_OPTIONS)
    cfg.merge_from_dict({k: (int(v) if v.isdigit() else v)
                         for k, v in options.items()})
    train = DATASETS.build(cfg.train_dataloader.dataset)
    val = DATASETS.build(cfg.val_dataloader.dataset)
    assert len(train) == 1000 and len(val) == 5000
    assert val.split == 'train'  # never the test images
    train_images = {train.get_data_info(i)['img'].tobytes()
                    for i in range(len(train))}
    val_images = {val.get_data_info(i)['img'].tobytes()
                  for i in range(len(val))}
    assert not train_images & val_images
    labels = np.array([val.get_data_info(i)['gt_label']
                       for i in range(len(val))])
    assert np.bincount(labels).tolist() == [500] * 10


def test_table_marks_missing_trials():
    trials = (Trial('defaults', 'hksanc'),
              Trial('mu-1e-4', 'hksanc', ('a.b=1', )))
    records = [dict(name='hksanc--defaults__seed0', top1=88.125)]
    lines = tuning_table(records, trials).splitlines()
    assert lines[2] == '| defaults | hksanc | defaults | 88.12 |'
    assert lines[3] == '| mu-1e-4 | hksanc | `a.b=1` | not run |'
    with pytest.raises(KeyError, match='not a run of these trials'):
        trial_of('kd--x__seed0', trials)


def test_best_trial_is_the_highest_validation_top1():
    trials = (Trial('defaults', 'hksanc'), Trial('a', 'hksanc', ('x=1', )),
              Trial('b', 'hksanc-hierarchical'), Trial('c', 'hksanc'))
    records = [dict(name='hksanc--defaults__seed0', top1=86.0),
               dict(name='hksanc--a__seed0', top1=87.5),
               dict(name='hksanc-hierarchical--b__seed0', top1=87.5),
               dict(name='kd--a__seed0', top1=99.0)]
    assert best_trial(records, trials) == (trials[1], 87.5)  # first on ties
    assert best_trial([], trials) is None
    lines = best_trial_lines(records, dict(hksanc=trials, kd=())).splitlines()
    assert lines == ['- hksanc: best of 3/4 trials on the validation split '
                     'is **a** (87.50; the shipped defaults (defaults): '
                     '86.00)']


def test_default_trials_are_the_shipped_configs():
    for set_name, trials in (('kd', KD_TRIALS), ('dkd', DKD_TRIALS)):
        trial = {t.name: t for t in trials}[DEFAULT_TRIALS[set_name]]
        path = osp.join(REPO_ROOT, method_by_name(trial.method).config)
        cfg, shipped = Config.fromfile(path), Config.fromfile(path)
        cfg.merge_from_dict(dict(o.split('=') for o in trial.options))
        losses = cfg.model.distiller.distill_losses
        want = shipped.model.distiller.distill_losses
        for name in losses:
            for key in losses[name]:
                assert str(losses[name][key]) == str(want[name][key]), (
                    set_name, name, key)
    assert {t.name for t in HKSANC_TRIALS} >= {DEFAULT_TRIALS['hksanc']}
    assert not {t.name: t for t in HKSANC_TRIALS}['defaults'].options
