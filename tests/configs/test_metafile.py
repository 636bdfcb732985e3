"""configs/hksanc/metafile.yml and README.md against the committed records.

Every Top 1 Accuracy of the metafile is recomputed here from the files the
runs wrote (per-run records, the paired report, the teacher's test metrics,
the phase-2 log), not copied from a report: a wrong number, a config listed
under the wrong record, or an HKSANC config missing from the metafile fails.
"""
import glob
import json
import os.path as osp
import re
from collections import defaultdict
from statistics import mean
from typing import Dict, List

import pytest
import yaml
from mmengine.config import Config

from conftest import CONFIG_ROOT, REPO_ROOT

METAFILE = osp.join(CONFIG_ROOT, 'hksanc', 'metafile.yml')
README = osp.join(CONFIG_ROOT, 'hksanc', 'README.md')
RESULTS = osp.join(REPO_ROOT, 'docs', 'results')
V1_RUNS = osp.join(RESULTS, 'benchmark', 'runs')
V2_RUNS = osp.join(RESULTS, 'benchmark', 'v2', 'runs')
PAIRED = osp.join(RESULTS, 'benchmark', 'paired.json')
V2_TEACHER_METRICS = osp.join(
    REPO_ROOT, 'checkpoints', 'logs',
    'preact-resnet29-10e_1xb128_fashion-mnist.test_metrics.json')
ADAPTATION_LOG = osp.join(RESULTS, 'main_job', 'adaptation.log')
ADAPTATION_CONFIG = ('configs/hksanc/hksanc-adaptation_preact-resnet29_'
                     '1xb128_fashion-mnist.py')
TOP1 = 'Top 1 Accuracy'


@pytest.fixture(scope='module')
def meta() -> dict:
    with open(METAFILE) as f:
        return yaml.safe_load(f)


def per_config(runs_dir: str, key: str) -> Dict[str, List[float]]:
    """Config path -> the value ``key`` of each of its run records."""
    values: Dict[str, List[float]] = defaultdict(list)
    for path in glob.glob(osp.join(runs_dir, '*.json')):
        with open(path) as f:
            record = json.load(f)
        values[record['config']].append(record[key])
    return values


def last_validation_top1(log_path: str) -> float:
    with open(log_path) as f:
        found = re.findall(r'Epoch\(val\).*?accuracy/top1: ([0-9.]+)',
                           f.read())
    return float(found[-1])


@pytest.fixture(scope='module')
def measured() -> Dict[str, float]:
    """Config path -> top-1 computed from the records, 2 decimals."""
    out = {
        config: round(mean(top1), 2)
        for config, top1 in per_config(V1_RUNS, 'top1').items()
    }
    for config, top1 in per_config(V2_RUNS, 'top1_mean_last').items():
        assert config not in out
        out[config] = round(mean(top1), 2)
    out[ADAPTATION_CONFIG] = round(last_validation_top1(ADAPTATION_LOG), 2)
    return out


def hksanc_configs() -> List[str]:
    """Every HKSANC config the metafile must list (repository-relative)."""
    paths = glob.glob(osp.join(CONFIG_ROOT, 'hksanc', '*.py'))
    paths += glob.glob(osp.join(CONFIG_ROOT, 'hksanc', 'ablations', '*.py'))
    paths += glob.glob(osp.join(CONFIG_ROOT, 'fashion-mnist-v2', 'hksanc*.py'))
    paths += glob.glob(osp.join(CONFIG_ROOT, 'tuned', 'hksanc*.py'))
    return sorted(osp.relpath(p, REPO_ROOT) for p in paths)


def test_collection(meta):
    (collection, ) = meta['Collections']
    assert collection['Name'] == 'HKSANC'
    assert collection['Paper']['Title'] == (
        'Hierarchical Knowledge Squeezed Adversarial Network Compression')
    assert osp.isfile(osp.join(REPO_ROOT, collection['README']))
    assert {m['In Collection'] for m in meta['Models']} == {'HKSANC'}


def test_every_hksanc_config_listed_once_and_paths_exist(meta):
    configs = [m['Config'] for m in meta['Models']]
    assert len(configs) == len(set(configs))
    assert len({m['Name'] for m in meta['Models']}) == len(configs)
    for model in meta['Models']:
        assert osp.isfile(osp.join(REPO_ROOT, model['Config'])), model
        assert model['Name'] == osp.splitext(osp.basename(model['Config']))[0]
        assert 'Weights' not in model  # nothing is released
        for role in ('Teacher', 'Student'):
            config = model['Metadata'].get(role, {}).get('Config')
            if config and '::' not in config:
                assert osp.isfile(osp.join(REPO_ROOT, config)), (model, role)
    assert set(hksanc_configs()) <= set(configs)
    assert len(hksanc_configs()) >= 24


def test_teacher_weights_are_the_configs_teacher(meta):
    for model in meta['Models']:
        weights = model['Metadata']['Teacher'].get('Weights')
        if weights is None:
            continue
        cfg = Config.fromfile(osp.join(REPO_ROOT, model['Config']))
        assert cfg.model.teacher_ckpt == weights, model['Name']
        if '://' not in weights:
            assert osp.isfile(osp.join(REPO_ROOT, weights))


def test_top1_equals_the_records(meta, measured):
    listed = {}
    for model in meta['Models']:
        for result in model.get('Results', []):
            assert result['Task'] == 'Image Classification'
            assert result['Dataset'] == 'Fashion-MNIST'
            listed[model['Config']] = result['Metrics'][TOP1]
    hksanc_measured = {
        c: v for c, v in measured.items() if c in set(hksanc_configs())}
    # every measured HKSANC config has its result, and only those
    assert listed == hksanc_measured
    assert len(listed) == 12


def test_v2_means_match_the_paired_report(meta):
    with open(PAIRED) as f:
        paired = json.load(f)
    by_config = {
        method['config']: round(mean(method['top1']), 2)
        for method in paired['methods'].values()
    }
    for model in meta['Models']:
        if model['Config'] in by_config and 'Results' in model:
            assert model['Results'][0]['Metrics'][TOP1] == by_config[
                model['Config']]


def test_teacher_and_student_top1(meta, measured):
    with open(V2_TEACHER_METRICS) as f:
        v2_teacher = round(json.load(f)['accuracy/top1'], 2)
    checked = 0
    for model in meta['Models']:
        teacher = model['Metadata']['Teacher']
        if TOP1 in teacher.get('Metrics', {}):
            assert teacher['Weights'].endswith(
                'preact-resnet29-10e_1xb128_fashion-mnist.pth')
            assert teacher['Metrics'][TOP1] == v2_teacher
            checked += 1
        student = model['Metadata'].get('Student', {})
        if TOP1 in student.get('Metrics', {}):
            # the vanilla student of the same protocol, from its records
            assert student['Metrics'][TOP1] == measured[student['Config']]
            checked += 1
    assert checked == 15


def readme_links() -> List[str]:
    with open(README) as f:
        return re.findall(r'\]\(([^)#\s]+)', f.read())


def test_readme_links_resolve():
    links = [x for x in readme_links() if '://' not in x]
    assert links
    for link in links:
        assert osp.exists(osp.join(osp.dirname(README), link)), link


def test_readme_rows_show_the_metafile_top1(meta):
    """Each measured config's table row carries the metafile's top-1."""
    with open(README) as f:
        rows = [line for line in f if line.startswith('|')]
    for model in meta['Models']:
        if 'Results' not in model:
            continue
        link = '(../../' + model['Config'] + ')'
        value = '{:.2f}'.format(model['Results'][0]['Metrics'][TOP1])
        own = [row for row in rows if link in row]
        assert own, model['Config']
        assert any(value in row for row in own), (model['Config'], value)
