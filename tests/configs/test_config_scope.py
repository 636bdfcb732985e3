"""``mmhkd::`` config paths and the ``mmhkd`` registry scope.

A config in another folder inherits an mmhkd config through
``_base_ = ['mmhkd::...']`` (and ``mmengine.hub.get_config``) and gets the
same config as reading the file, apart from the ``_scope_='mmhkd'`` that
mmengine adds to what a ``scope::`` base defines; every component under that
scope resolves to the class the config's own scope gives, and the model it
builds is the same.
"""
import glob
import logging
import os
import os.path as osp
from typing import Iterator, List, Tuple

import pytest
import torch
from mmengine import registry as mmengine_registry
from mmengine.config import Config
from mmengine.hub import get_config
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope, Registry
from mmengine.utils import get_installed_path

import mmhkd
from conftest import CONFIG_ROOT, REPO_ROOT

NAME = 'hksanc/hksanc_preact-resnet29_resnet20-half_1xb128_fashion-mnist-1k.py'
FILE = osp.join(CONFIG_ROOT, NAME)


def write_child(folder, base: str = 'mmhkd::' + NAME) -> str:
    path = osp.join(str(folder), 'child.py')
    with open(path, 'w') as f:
        f.write(f'_base_ = [{base!r}]\n')
    return path


def without_mmhkd_scope(value):
    """The config with the ``_scope_='mmhkd'`` keys mmengine added removed;
    returns (the stripped value, how many were removed)."""
    if isinstance(value, dict):
        removed = 0
        out = {}
        for key, item in value.items():
            if key == '_scope_' and item == 'mmhkd':
                removed += 1
                continue
            out[key], n = without_mmhkd_scope(item)
            removed += n
        return out, removed
    if isinstance(value, (list, tuple)):
        items = [without_mmhkd_scope(v) for v in value]
        return type(value)(v for v, _ in items), sum(n for _, n in items)
    return value, 0


def test_package_path_is_the_imported_mmhkd():
    assert get_installed_path('mmhkd') == osp.dirname(mmhkd.__file__)
    mim_configs = osp.join(osp.dirname(mmhkd.__file__), '.mim', 'configs')
    assert osp.realpath(mim_configs) == osp.realpath(CONFIG_ROOT)


def test_scope_path_resolves_to_this_checkout(tmp_path):
    child = write_child(tmp_path)
    path, scope = Config._get_cfg_path('mmhkd::' + NAME, child)
    assert scope == 'mmhkd'
    assert osp.realpath(path) == osp.realpath(FILE)


def test_child_config_equals_the_file(tmp_path):
    child = Config.fromfile(write_child(tmp_path))
    direct = Config.fromfile(FILE)
    stripped, removed = without_mmhkd_scope(child.to_dict())
    assert removed > 10  # went through the scope route
    assert stripped == direct.to_dict()
    # a child can change what it inherits
    child_file = write_child(tmp_path)
    with open(child_file, 'a') as f:
        f.write("model = dict(teacher_ckpt='elsewhere.pth')\n")
    assert Config.fromfile(child_file).model.teacher_ckpt == 'elsewhere.pth'


def test_hub_get_config_equals_the_file():
    via_hub = get_config('mmhkd::' + NAME)
    assert via_hub.to_dict() == Config.fromfile(FILE).to_dict()


def test_a_missing_config_names_the_path(tmp_path):
    child = write_child(tmp_path, 'mmhkd::hksanc/no_such_config.py')
    with pytest.raises(FileNotFoundError, match='no_such_config.py'):
        Config.fromfile(child)


def typed_dicts(value, scope: str) -> Iterator[Tuple[str, str]]:
    """(type, effective scope) of every typed dict in a config tree."""
    if isinstance(value, dict):
        scope = value.get('_scope_') or scope
        if isinstance(value.get('type'), str):
            yield value['type'], scope
        for item in value.values():
            yield from typed_dicts(item, scope)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from typed_dicts(item, scope)


def root_registries() -> List[Registry]:
    return [
        r for r in vars(mmengine_registry).values()
        if isinstance(r, Registry) and r.parent is None
    ]


def all_configs() -> List[str]:
    return sorted(
        p for p in glob.glob(osp.join(CONFIG_ROOT, '**', '*.py'),
                             recursive=True)
        if f'{os.sep}_base_{os.sep}' not in p
        and not osp.basename(p).startswith('_'))


# what mmengine's Runner builds from a config (other top-level variables,
# e.g. ``student_model``, are building blocks that a config places inside
# ``model`` under an explicit ``_scope_``)
RUNNER_KEYS = ('model', 'train_dataloader', 'val_dataloader',
               'test_dataloader', 'optim_wrapper', 'param_scheduler',
               'default_hooks', 'custom_hooks', 'val_evaluator',
               'test_evaluator', 'visualizer', 'log_processor', 'train_cfg',
               'val_cfg', 'test_cfg', 'model_wrapper_cfg')


# detection / segmentation configs run in mmdet's / mmseg's scope; the
# ``mmhkd::`` scope serves the classification configs
DENSE_PREDICTION_SCOPES = {'detection': 'mmdet', 'segmentation': 'mmseg'}


def test_every_component_resolves_as_in_its_own_scope():
    """Under ``_scope_='mmhkd'`` every type that the Runner builds from a
    shipped classification config gets the class the config's default
    scope gives it."""
    import mmhkd.registry  # noqa: F401  (what mmengine imports on demand)
    roots = root_registries()
    checked = set()
    for path in all_configs():
        cfg = Config.fromfile(path)
        default = cfg.get('default_scope')
        folder = osp.relpath(path, CONFIG_ROOT).split(os.sep)[0]
        if folder in DENSE_PREDICTION_SCOPES:
            assert default == DENSE_PREDICTION_SCOPES[folder], path
            continue
        assert default in ('mmrazor', 'mmpretrain'), path
        built = {k: cfg[k] for k in RUNNER_KEYS if k in cfg}
        assert 'model' in built, path
        for type_name, scope in typed_dicts(built, default):
            if scope != default or '.' in type_name:
                continue  # an explicit scope is kept by a child config
            for root in roots:
                own = root._search_child(default) or root
                expected = own.get(type_name)
                if expected is None:
                    continue
                assert root._search_child('mmhkd').get(type_name) is (
                    expected), (path, root.name, type_name)
                checked.add((root.name, type_name))
    assert len(checked) > 40


def test_scope_nodes_prefer_mmpretrain_then_mmrazor():
    from mmhkd.registry import MODELS
    from mmpretrain.registry import MODELS as PRETRAIN_MODELS
    from mmrazor.registry import MODELS as RAZOR_MODELS
    assert MODELS.get('CrossEntropyLoss') is PRETRAIN_MODELS.get(
        'CrossEntropyLoss')
    assert MODELS.get('HKSANCDistill') is RAZOR_MODELS.get('HKSANCDistill')
    assert MODELS.get('mmrazor.CrossEntropyLoss') is RAZOR_MODELS.get(
        'CrossEntropyLoss')
    assert MODELS.get('mmhkd.HKSANCDistill') is RAZOR_MODELS.get(
        'HKSANCDistill')


class Collect(logging.Handler):

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def build_model(cfg: Config) -> torch.nn.Module:
    from mmengine.registry import MODELS
    model = cfg.model.copy()
    model['teacher_attention_ckpt'] = None
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        torch.manual_seed(0)
        return MODELS.build(model)


def resolve(registry: Registry, scope: str, type_name: str):
    """The class a Runner under ``default_scope='mmrazor'`` gets for a dict
    of that type with ``_scope_=scope`` (``None``: no ``_scope_``)."""
    with DefaultScope.overwrite_default_scope('mmrazor'):
        with registry.switch_scope_and_registry(scope) as scoped:
            return scoped.get(type_name)


def test_child_builds_the_same_model_and_parts(tmp_path, monkeypatch):
    """The model (``_scope_='mmrazor'`` in the base, kept) builds the same
    network with the same weights, and the parts mmengine marked ``mmhkd``
    (hooks, samplers, optimizers, schedulers) resolve to the same classes,
    with no registry warning naming mmhkd."""
    monkeypatch.chdir(REPO_ROOT)  # the configs' teacher checkpoint path
    from mmengine.registry import (DATA_SAMPLERS, HOOKS, OPTIMIZERS,
                                   PARAM_SCHEDULERS)
    child = Config.fromfile(write_child(tmp_path))
    direct = Config.fromfile(FILE)
    assert child.default_scope == direct.default_scope == 'mmrazor'
    assert child.model['_scope_'] == 'mmrazor'
    parts = [(HOOKS, c, d) for c, d in zip(child.custom_hooks,
                                           direct.custom_hooks)]
    parts += [(PARAM_SCHEDULERS, c, d) for c, d in zip(
        child.param_scheduler.student, direct.param_scheduler.student)]
    parts += [(DATA_SAMPLERS, child[k].sampler, direct[k].sampler)
              for k in ('train_dataloader', 'val_dataloader')]
    parts += [(OPTIMIZERS, child.optim_wrapper[k].optimizer,
               direct.optim_wrapper[k].optimizer)
              for k in ('student', 'discriminator')]
    logger = MMLogger.get_current_instance()
    collect = Collect()
    logger.addHandler(collect)
    try:
        a, b = build_model(child), build_model(direct)
        for registry, c, d in parts:
            assert c['_scope_'] == 'mmhkd' and '_scope_' not in d
            expected = resolve(registry, None, d['type'])
            assert expected is not None
            assert resolve(registry, 'mmhkd', c['type']) is expected
    finally:
        logger.removeHandler(collect)
    assert len(parts) >= 8
    assert type(a) is type(b)
    assert [type(m) for m in a.modules()] == [type(m) for m in b.modules()]
    state_a, state_b = a.state_dict(), b.state_dict()
    assert state_a.keys() == state_b.keys()
    assert all(torch.equal(state_a[k], state_b[k]) for k in state_a)
    assert not [m for m in collect.messages if 'mmhkd' in m], collect.messages
