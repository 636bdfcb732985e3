"""Shared fixtures: real Fashion-MNIST, synthetic CIFAR pickles, tiny runs."""
import os
import os.path as osp
import pickle
import sys
from typing import Dict, Optional

import numpy as np
import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

import mmhkd  # noqa: E402,F401
from mmhkd.datasets.fashion_mnist import DEBIAN_FASHION_MNIST_ROOT  # noqa

CONFIG_ROOT = osp.join(REPO_ROOT, 'configs')


def merged_config(config: str, options):
    """``config`` with ``key=value`` options applied as ``--cfg-options``
    does (values parsed by mmengine's DictAction)."""
    import argparse

    from mmengine.config import Config, DictAction
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(parser.parse_args(
        ['--cfg-options', *options]).cfg_options)
    return cfg


def write_mmengine_launch(work_dir, stamp: str, lines, log_text: str = 'log'
                          ) -> None:
    """Write one mmengine launch as a Runner leaves it in its work dir:
    ``<stamp>/vis_data/scalars.json`` (one JSON line per entry) and
    ``<stamp>/<stamp>.log``."""
    import json
    launch = work_dir / stamp
    (launch / 'vis_data').mkdir(parents=True)
    with open(launch / 'vis_data' / 'scalars.json', 'w') as f:
        for line in lines:
            f.write(json.dumps(line) + '\n')
    (launch / f'{stamp}.log').write_text(log_text)


def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'slow: long check; CI runs it only with MMHKD_FULL=1')


def pytest_collection_modifyitems(config, items):
    if os.environ.get('MMHKD_FULL') == '1':
        return
    skip_slow = pytest.mark.skip(reason='slow: set MMHKD_FULL=1 to run')
    for item in items:
        if 'slow' in item.keywords:
            item.add_marker(skip_slow)


@pytest.fixture(scope='session')
def fashion_mnist_root() -> str:
    """The real Fashion-MNIST installed by the README's set-up command."""
    needed = ['train-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']
    missing = [
        f for f in needed
        if not osp.isfile(osp.join(DEBIAN_FASHION_MNIST_ROOT, f))
    ]
    if missing:
        pytest.fail(f'Fashion-MNIST is not installed ({missing} missing '
                    f'under {DEBIAN_FASHION_MNIST_ROOT}); run the README '
                    'set-up (apt-get install -y dataset-fashion-mnist).')
    return DEBIAN_FASHION_MNIST_ROOT


def write_synthetic_cifar(root: str, num_classes: int, num_train: int = 20,
                          num_test: int = 10, seed: int = 0) -> str:
    """Write small random files in the official CIFAR pickle layout."""
    rng = np.random.RandomState(seed)

    def batch(n: int) -> dict:
        data = rng.randint(0, 256, size=(n, 3 * 32 * 32), dtype=np.uint8)
        labels = [int(i % num_classes) for i in range(n)]
        key = 'labels' if num_classes == 10 else 'fine_labels'
        return {'data': data, key: labels}

    if num_classes == 10:
        folder = osp.join(root, 'cifar-10-batches-py')
        files = {f'data_batch_{i}': batch(num_train // 5) for i in range(1, 6)}
        files['test_batch'] = batch(num_test)
        files['batches.meta'] = {
            'label_names': [f'class{i}' for i in range(10)]
        }
    else:
        folder = osp.join(root, 'cifar-100-python')
        files = {'train': batch(num_train), 'test': batch(num_test)}
        files['meta'] = {
            'fine_label_names': [f'class{i}' for i in range(100)]
        }
    os.makedirs(folder, exist_ok=True)
    for name, content in files.items():
        with open(osp.join(folder, name), 'wb') as f:
            pickle.dump(content, f)
    return root


@pytest.fixture(scope='session')
def cifar10_root(tmp_path_factory) -> str:
    return write_synthetic_cifar(
        str(tmp_path_factory.mktemp('cifar10')), 10)


@pytest.fixture(scope='session')
def cifar100_root(tmp_path_factory) -> str:
    return write_synthetic_cifar(
        str(tmp_path_factory.mktemp('cifar100')), 100, num_train=200)


def tiny_run_options(dataset: str,
                     data_root: Optional[str] = None,
                     batch_size: int = 4) -> Dict[str, object]:
    """cfg-options that shrink a config to one short epoch on tiny data."""
    options: Dict[str, object] = {
        'train_dataloader.batch_size': batch_size,
        'train_dataloader.num_workers': 0,
        'val_dataloader.batch_size': batch_size,
        'val_dataloader.num_workers': 0,
        'test_dataloader.num_workers': 0,
        'default_hooks.logger.interval': 1,
    }
    if dataset == 'fashion-mnist':
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader'):
            options[f'{loader}.dataset.num_per_class'] = 1
    else:
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader'):
            options[f'{loader}.dataset.data_root'] = data_root
            options[f'{loader}.dataset.verify_md5'] = False
    return options


def load_tool(name: str):
    """A fresh module of ``tools/<name>.py`` (the tools are not a package).

    Each call executes the file again, so a test may monkeypatch the
    returned module without affecting other tests.
    """
    import importlib.util
    path = osp.join(REPO_ROOT, 'tools', f'{name}.py')
    module_name = 'mmhkd_tool_' + name.replace('/', '_')
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _drop_new_default_scopes():
    from mmengine.registry import DefaultScope
    before = set(DefaultScope._instance_dict)
    yield
    for name in list(DefaultScope._instance_dict):
        if name not in before:
            del DefaultScope._instance_dict[name]


# Building a Runner or calling init_default_scope makes that scope
# ('mmpretrain', 'mmdet', ...) the process's current one; every test module
# (around its module-scoped fixtures) and every test drops the scopes it
# created, so that later tests that build without an explicit scope see the
# state they had before.
restore_default_scope = pytest.fixture(
    scope='module', autouse=True,
    name='restore_default_scope')(_drop_new_default_scopes)
restore_default_scope_per_test = pytest.fixture(
    autouse=True,
    name='restore_default_scope_per_test')(_drop_new_default_scopes)


@pytest.fixture(scope='module')
def one_thread():
    """One intra-op thread for a test module (tiny tensors on busy cores).

    Use with ``pytestmark = pytest.mark.usefixtures('one_thread')``.
    """
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
