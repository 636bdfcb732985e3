"""The benchmark's method table matches docs/benchmark.md and the repository.
"""
import os.path as osp

import pytest

from benchmarks.methods import METHODS, method_by_name
from conftest import REPO_ROOT

REQUIRED = {'vanilla', 'kd', 'dkd', 'at', 'fitnets', 'anc', 'hksanc',
            'hksanc-hierarchical', 'hksanc-no-is', 'hksanc-no-adv',
            'hksanc-no-category'}
TUNED = {'kd-tuned', 'hksanc-tuned'}


def test_every_protocol_method_is_there_once():
    names = [m.name for m in METHODS]
    assert sorted(names) == sorted(REQUIRED | TUNED)


def test_seed_counts_meet_benchmark_minimums():
    for method in METHODS:
        least = 3 if method.name in ('vanilla', 'kd', 'dkd', 'hksanc',
                                     *TUNED) else 2
        assert method.num_seeds >= least, method.name


def test_configs_and_adaptation_phases_exist():
    for method in METHODS:
        assert osp.isfile(osp.join(REPO_ROOT, method.config)), method.config
        if method.adaptation:
            assert osp.isfile(osp.join(REPO_ROOT, method.adaptation))
    hksanc_family = {m.name for m in METHODS if m.adaptation}
    # without intermediate supervision there is no attention to adapt
    assert hksanc_family == {'hksanc', 'hksanc-hierarchical',
                             'hksanc-no-adv', 'hksanc-no-category',
                             'hksanc-tuned'}
    assert 'hierarchical' in method_by_name('hksanc-hierarchical').adaptation
    assert 'hierarchical' not in method_by_name('hksanc').adaptation


def test_unknown_method_names_the_known_ones():
    with pytest.raises(KeyError, match=r"unknown method 'crd'; known: "
                       r"\['vanilla', 'kd'"):
        method_by_name('crd')
