"""The tuned configs are their method's config plus the winning trial."""
import os.path as osp

import pytest
from mmengine.config import Config

from benchmarks.methods import method_by_name
from benchmarks.tuning import TRIAL_SETS, TUNED_METHODS
from conftest import REPO_ROOT


def _flat(cfg: dict, prefix: str = '') -> dict:
    out = {}
    for key, value in cfg.items():
        if isinstance(value, dict):
            out.update(_flat(value, f'{prefix}{key}.'))
        else:
            out[f'{prefix}{key}'] = value
    return out


@pytest.mark.parametrize('name', sorted(TUNED_METHODS))
def test_tuned_config_is_the_winning_trial(name):
    set_name, trial_name = TUNED_METHODS[name]
    trial = {t.name: t for t in TRIAL_SETS[set_name]}[trial_name]
    options = {key: float(value)  # every tuned option is a number
               for key, value in (o.split('=') for o in trial.options)}
    path = osp.join(REPO_ROOT, method_by_name(trial.method).config)
    shipped, with_trial = Config.fromfile(path), Config.fromfile(path)
    with_trial.merge_from_dict(options)
    tuned = Config.fromfile(osp.join(REPO_ROOT, method_by_name(name).config))
    got = _flat(tuned.model.to_dict())
    assert got == _flat(with_trial.model.to_dict())
    before = _flat(shipped.model.to_dict())
    changed = {f'model.{k}' for k in got if got[k] != before[k]}
    assert changed <= set(options)
    # a trial that has since become the shipped default changes nothing
    # (HKSANC's lambda1 = 3, docs/benchmark.md "Tuning (v2)")
    assert changed or all(before[k[len('model.'):]] == v
                          for k, v in options.items())


def test_tuned_methods_run_on_the_test_set_like_the_others():
    for name in TUNED_METHODS:
        method = method_by_name(name)
        assert method.num_seeds == 3
        assert method.adaptation == method_by_name(
            TUNED_METHODS[name][0]).adaptation
