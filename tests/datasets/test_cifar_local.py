"""Tests of CIFAR10Local/CIFAR100Local on synthetic pickles."""
import os
import os.path as osp
import pickle
import re

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

import mmhkd  # noqa: F401
from mmhkd.datasets import CIFAR10Local, CIFAR100Local, DataFileError

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(REPO_ROOT, 'configs/_base_/datasets')


def expected_split(root, folder, files, label_key):
    """Read the pickles written by the fixture, independently of mmpretrain."""
    images, labels = [], []
    for name in files:
        with open(osp.join(root, folder, name), 'rb') as f:
            entry = pickle.load(f)
        images.append(
            np.asarray(entry['data']).reshape(-1, 3, 32, 32).transpose(
                0, 2, 3, 1))
        labels.extend(entry[label_key])
    return np.concatenate(images), labels


CIFAR10_TRAIN = [f'data_batch_{i}' for i in range(1, 6)]


@pytest.mark.parametrize('split,files', [('train', CIFAR10_TRAIN),
                                         ('test', ['test_batch'])])
def test_cifar10_loads_without_md5(cifar10_root, split, files):
    ds = CIFAR10Local(data_root=cifar10_root, split=split, verify_md5=False)
    images, labels = expected_split(cifar10_root, 'cifar-10-batches-py',
                                    files, 'labels')
    assert len(ds) == len(labels) == (20 if split == 'train' else 10)
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        assert info['img'].shape == (32, 32, 3)
        assert info['img'].dtype == np.uint8
        np.testing.assert_array_equal(info['img'], images[i])
        assert info['gt_label'] == labels[i]
    assert len(ds.metainfo['classes']) == 10


@pytest.mark.parametrize('split,files,size', [('train', ['train'], 200),
                                              ('test', ['test'], 10)])
def test_cifar100_loads_without_md5(cifar100_root, split, files, size):
    ds = CIFAR100Local(data_root=cifar100_root, split=split,
                       verify_md5=False)
    images, labels = expected_split(cifar100_root, 'cifar-100-python', files,
                                    'fine_labels')
    assert len(ds) == size
    got = [ds.get_data_info(i) for i in range(len(ds))]
    np.testing.assert_array_equal(np.stack([g['img'] for g in got]), images)
    assert [g['gt_label'] for g in got] == labels
    assert got[0]['img'].shape == (32, 32, 3)
    assert len(ds.metainfo['classes']) == 100


@pytest.mark.parametrize('cls,fixture', [(CIFAR10Local, 'cifar10_root'),
                                         (CIFAR100Local, 'cifar100_root')])
def test_md5_checked_by_default(cls, fixture, request):
    root = request.getfixturevalue(fixture)
    with pytest.raises(DataFileError) as error:
        cls(data_root=root, split='test')
    message = str(error.value)
    # mmengine gives data_prefix['root'] a trailing separator
    assert re.match(rf'{cls.__name__} data under {re.escape(root)}/? is '
                    r'not usable: md5 mismatch ', message)
    assert 'verify_md5=False' in message
    assert cls.url in message


def test_md5_mismatch_lists_every_file(cifar10_root):
    with pytest.raises(DataFileError) as error:
        CIFAR10Local(data_root=cifar10_root, split='train', verify_md5=True)
    message = str(error.value)
    folder = osp.join(cifar10_root, 'cifar-10-batches-py')
    for name in CIFAR10_TRAIN + ['test_batch', 'batches.meta']:
        assert f'md5 mismatch {osp.join(folder, name)}' in message
    assert 'missing' not in message.split('is not usable:')[1].split('.')[0]


def test_missing_folder_names_missing_file(tmp_path):
    root = str(tmp_path / 'empty')
    with pytest.raises(DataFileError) as error:
        CIFAR10Local(data_root=root, split='train', verify_md5=False)
    message = str(error.value)
    assert (f'missing {osp.join(root, "cifar-10-batches-py", "data_batch_1")}'
            in message)
    assert 'data_root' in message


def test_single_missing_file_is_named(tmp_path):
    from conftest import write_synthetic_cifar
    root = write_synthetic_cifar(str(tmp_path), 100)
    absent = osp.join(root, 'cifar-100-python', 'meta')
    os.remove(absent)
    with pytest.raises(DataFileError) as error:
        CIFAR100Local(data_root=root, split='test', verify_md5=False)
    problems = str(error.value).split('is not usable: ')[1].split('. ')[0]
    assert problems == f'missing {absent}'


def test_never_downloads(tmp_path):
    root = str(tmp_path / 'nothing')
    ds_kwargs = dict(data_root=root, split='test', verify_md5=False,
                     download=True)
    with pytest.raises(DataFileError, match='missing'):
        CIFAR10Local(**ds_kwargs)
    assert not osp.exists(osp.join(root, 'cifar-10-python.tar.gz'))


@pytest.mark.parametrize('config,fixture,num_train,cls', [
    ('cifar10_bs64.py', 'cifar10_root', 20, CIFAR10Local),
    ('cifar100_bs64.py', 'cifar100_root', 200, CIFAR100Local),
])
def test_dataset_configs_build(config, fixture, num_train, cls, request):
    from mmpretrain.registry import DATASETS
    root = request.getfixturevalue(fixture)
    cfg = Config.fromfile(osp.join(CONFIGS, config))
    sizes = {}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        ds_cfg = cfg[loader].dataset.copy()
        ds_cfg.update(data_root=root, verify_md5=False)
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            ds = DATASETS.build(ds_cfg)
        assert type(ds) is cls
        sizes[loader] = len(ds)
        item = ds[0]
        assert tuple(item['inputs'].shape) == (3, 32, 32)
        assert int(item['data_samples'].gt_label) == ds.get_data_info(
            0)['gt_label']
    assert sizes == dict(train_dataloader=num_train, val_dataloader=10,
                         test_dataloader=10)


def test_test_pipeline_keeps_pixels(cifar10_root):
    from mmpretrain.registry import DATASETS
    cfg = Config.fromfile(osp.join(CONFIGS, 'cifar10_bs64.py'))
    ds_cfg = cfg.val_dataloader.dataset
    ds_cfg.update(data_root=cifar10_root, verify_md5=False)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        ds = DATASETS.build(ds_cfg)
    images, _ = expected_split(cifar10_root, 'cifar-10-batches-py',
                               ['test_batch'], 'labels')
    np.testing.assert_array_equal(ds[3]['inputs'].numpy().transpose(1, 2, 0),
                                  images[3])
