"""Tests of FashionMNISTIdx on the real Fashion-MNIST and its configs."""
import gzip
import hashlib
import os.path as osp
from collections import Counter

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

import mmhkd  # noqa: F401
from mmhkd.datasets import DataFileError, FashionMNISTIdx
from mmhkd.datasets.fashion_mnist import DEBIAN_FASHION_MNIST_ROOT

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASE_CFG = osp.join(REPO_ROOT,
                    'configs/_base_/datasets/fashion_mnist_bs128.py')
SUBSET_CFG = osp.join(REPO_ROOT,
                      'configs/_base_/datasets/fashion_mnist-1k_bs128.py')
CLASSES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal',
           'Shirt', 'Sneaker', 'Bag', 'Ankle boot')


def read_raw(root, prefix):
    """Independent reader: fixed MNIST header sizes, no mmhkd code."""
    with gzip.open(osp.join(root, f'{prefix}-images-idx3-ubyte.gz')) as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16)
    with gzip.open(osp.join(root, f'{prefix}-labels-idx1-ubyte.gz')) as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    return images.reshape(-1, 28, 28), labels.astype(np.int64)


def digest(image):
    return hashlib.md5(np.ascontiguousarray(image).tobytes()).hexdigest()


@pytest.fixture(scope='module')
def raw_train(fashion_mnist_root):
    return read_raw(fashion_mnist_root, 'train')


@pytest.fixture(scope='module')
def raw_test(fashion_mnist_root):
    return read_raw(fashion_mnist_root, 't10k')


@pytest.fixture(scope='module')
def train_digest_list(raw_train):
    return [digest(image) for image in raw_train[0]]


@pytest.fixture(scope='module')
def train_digests(raw_train, train_digest_list):
    """image digest -> labels of all training images with that digest."""
    table = {}
    for key, label in zip(train_digest_list, raw_train[1]):
        table.setdefault(key, []).append(int(label))
    return table


def infos(dataset):
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def build_from_config(path, loader, **overrides):
    from mmpretrain.registry import DATASETS
    cfg = Config.fromfile(path)
    ds_cfg = cfg[loader].dataset
    ds_cfg.update(overrides)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return DATASETS.build(ds_cfg)


def test_default_root_is_debian_location(fashion_mnist_root):
    assert DEBIAN_FASHION_MNIST_ROOT == '/usr/share/datasets/fashion-mnist'
    assert fashion_mnist_root == DEBIAN_FASHION_MNIST_ROOT


def test_full_train_split(raw_train):
    images, labels = raw_train
    ds = FashionMNISTIdx(split='train', serialize_data=False)
    assert len(ds) == 60000 == len(images)
    assert tuple(ds.metainfo['classes']) == CLASSES
    ds_labels = np.array([d['gt_label'] for d in ds.data_list])
    assert set(ds_labels.tolist()) == set(range(10))
    np.testing.assert_array_equal(np.bincount(ds_labels), [6000] * 10)
    np.testing.assert_array_equal(ds_labels, labels)
    for i in (0, 1, 12345, 59999):
        img = ds.data_list[i]['img']
        assert img.shape == (28, 28) and img.dtype == np.uint8
        np.testing.assert_array_equal(img, images[i])


def test_config_normalisation_matches_the_data(raw_train):
    images, _ = raw_train
    cfg = Config.fromfile(BASE_CFG)
    histogram = np.bincount(images.ravel(), minlength=256).astype(float)
    values = np.arange(256.0)
    mean = (histogram * values).sum() / histogram.sum()
    std = np.sqrt((histogram * (values - mean)**2).sum() / histogram.sum())
    assert cfg.data_preprocessor.mean[0] == pytest.approx(mean, abs=0.05)
    assert cfg.data_preprocessor.std[0] == pytest.approx(std, abs=0.05)


@pytest.fixture(scope='module')
def test_pipeline_dataset():
    return build_from_config(BASE_CFG, 'val_dataloader')


def test_full_test_split_serialized(test_pipeline_dataset, raw_test):
    images, labels = raw_test
    ds = test_pipeline_dataset  # default serialize_data=True
    assert isinstance(ds, FashionMNISTIdx) and ds.split == 'test'
    assert len(ds) == 10000
    info = infos(ds)
    ds_labels = np.array([d['gt_label'] for d in info])
    np.testing.assert_array_equal(ds_labels, labels)
    np.testing.assert_array_equal(np.bincount(ds_labels), [1000] * 10)
    np.testing.assert_array_equal(info[9999]['img'], images[9999])
    assert info[0]['img'].shape == (28, 28)
    assert info[0]['img'].dtype == np.uint8


def test_test_pipeline_output_format(test_pipeline_dataset, raw_test):
    images, labels = raw_test
    ds = test_pipeline_dataset
    for i in (0, 777):
        item = ds[i]
        inputs = item['inputs']
        assert tuple(inputs.shape) == (1, 32, 32)
        assert str(inputs.dtype) == 'torch.uint8'
        assert int(item['data_samples'].gt_label) == labels[i]
        padded = inputs[0].numpy()
        # padding adds only zeros: the 784 original pixels are all there
        assert padded.astype(np.int64).sum() == images[i].astype(
            np.int64).sum()
        assert np.count_nonzero(padded) == np.count_nonzero(images[i])


def test_test_pipeline_centres_the_image(test_pipeline_dataset, raw_test):
    """28 -> 32 with 2 zero pixels on each side (image in the centre)."""
    images, _ = raw_test
    padded = test_pipeline_dataset[0]['inputs'][0].numpy()
    np.testing.assert_array_equal(padded[2:30, 2:30], images[0])
    border = np.ones((32, 32), bool)
    border[2:30, 2:30] = False
    assert not padded[border].any()


@pytest.fixture(scope='module')
def small_train_pipeline_dataset():
    return build_from_config(
        BASE_CFG, 'train_dataloader', num_per_class=1, subset_seed=0)


def test_train_pipeline_is_random_but_keeps_shape(
        small_train_pipeline_dataset):
    ds = small_train_pipeline_dataset
    assert len(ds) == 10

    def draw(seed):
        np.random.seed(seed)
        return [ds[i]['inputs'].numpy() for i in range(len(ds))]

    first, again, other = draw(0), draw(0), draw(1)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    for x in first + other:
        assert x.shape == (1, 32, 32) and x.dtype == np.uint8
    assert any(not np.array_equal(a, b) for a, b in zip(first, other))
    # crop/flip never invent intensities: pixels come from the image or 0
    for i, x in enumerate(other):
        raw = ds.get_data_info(i)['img']
        assert set(np.unique(x)) <= set(np.unique(raw)) | {0}


def test_num_per_class_subset(train_digests):
    ds = FashionMNISTIdx(split='train', num_per_class=5, subset_seed=0)
    info = infos(ds)
    assert len(info) == 50
    np.testing.assert_array_equal(
        np.bincount([d['gt_label'] for d in info]), [5] * 10)
    for d in info:  # genuine training images with their own labels
        assert d['gt_label'] in train_digests[digest(d['img'])]
    assert len({digest(d['img']) for d in info}) == 50


def test_subset_deterministic_per_seed_and_differs_across_seeds():
    def draw(seed):
        # the test split keeps this quick; the draw is the same code
        ds = FashionMNISTIdx(
            split='test', num_per_class=3, subset_seed=seed,
            serialize_data=False)
        return [digest(d['img']) for d in ds.data_list]

    a, a_again, b = draw(11), draw(11), draw(12)
    assert a == a_again
    assert a != b
    assert len(set(a) & set(b)) < len(a)


@pytest.fixture(scope='module')
def holdout_splits():
    common = dict(split='train', holdout_per_class=4, holdout_seed=3,
                  serialize_data=False)
    only = FashionMNISTIdx(holdout='only', **common)
    exclude = FashionMNISTIdx(holdout='exclude', **common)
    labelled = FashionMNISTIdx(
        holdout='exclude', num_per_class=20, subset_seed=0, **common)
    return only, exclude, labelled


def test_holdout_only_and_exclude_partition_the_train_set(
        holdout_splits, raw_train, train_digest_list):
    only, exclude, _ = holdout_splits
    assert len(only) == 40
    assert len(exclude) == 60000 - 40
    np.testing.assert_array_equal(
        np.bincount([d['gt_label'] for d in only.data_list]), [4] * 10)
    np.testing.assert_array_equal(
        np.bincount([d['gt_label'] for d in exclude.data_list]),
        [6000 - 4] * 10)
    everything = Counter(
        (key, int(label))
        for key, label in zip(train_digest_list, raw_train[1]))
    held = Counter((digest(d['img']), d['gt_label']) for d in only.data_list)
    rest = Counter(
        (digest(d['img']), d['gt_label']) for d in exclude.data_list)
    assert held + rest == everything  # disjoint and together exhaustive


def test_labelled_subset_avoids_the_holdout(holdout_splits):
    only, _, labelled = holdout_splits
    assert len(labelled) == 200
    np.testing.assert_array_equal(
        np.bincount([d['gt_label'] for d in labelled.data_list]), [20] * 10)
    held = {digest(d['img']) for d in only.data_list}
    assert not held & {digest(d['img']) for d in labelled.data_list}


def test_holdout_is_deterministic():
    def held_out(seed):
        return FashionMNISTIdx(split='test', holdout_per_class=4,
                               holdout_seed=seed, holdout='only',
                               serialize_data=False)

    only, again, other = held_out(3), held_out(3), held_out(4)
    key = lambda ds: [digest(d['img']) for d in ds.data_list]  # noqa
    assert key(only) == key(again)
    assert key(only) != key(other)


def test_one_k_config_is_100_per_class():
    ds = build_from_config(SUBSET_CFG, 'train_dataloader',
                           serialize_data=False)
    assert len(ds) == 1000
    np.testing.assert_array_equal(
        np.bincount([d['gt_label'] for d in ds.data_list]), [100] * 10)
    cfg = Config.fromfile(SUBSET_CFG)
    # accuracy is read on the full test set
    assert 'num_per_class' not in cfg.val_dataloader.dataset


def test_bad_split():
    with pytest.raises(ValueError,
                       match=r"^split must be 'train' or 'test', got 'val'$"):
        FashionMNISTIdx(split='val')


def test_bad_holdout():
    with pytest.raises(ValueError,
                       match=r"^holdout must be None, 'only' or 'exclude', "
                       r"got 'all'$"):
        FashionMNISTIdx(holdout='all', holdout_per_class=2)
    with pytest.raises(ValueError,
                       match=r'^holdout needs holdout_per_class > 0$'):
        FashionMNISTIdx(holdout='only')


def test_too_large_subset_names_the_class():
    with pytest.raises(ValueError,
                       match=r'^Class 0 has only 1000 samples, cannot draw '
                       r'num_per_class=1001\.$'):
        FashionMNISTIdx(split='test', num_per_class=1001)


def test_missing_root(tmp_path):
    root = str(tmp_path / 'absent')
    with pytest.raises(DataFileError) as error:
        FashionMNISTIdx(data_root=root, split='test')
    message = str(error.value)
    assert osp.join(root, 't10k-images-idx3-ubyte.gz') in message
    assert 'apt-get install -y dataset-fashion-mnist' in message


def test_reads_plain_files_in_another_root(tmp_path, raw_test):
    images, labels = raw_test
    for name in ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'):
        with gzip.open(osp.join(DEBIAN_FASHION_MNIST_ROOT,
                                name + '.gz')) as f:
            (tmp_path / name).write_bytes(f.read())
    ds = FashionMNISTIdx(data_root=str(tmp_path), split='test',
                         num_per_class=2, serialize_data=False)
    assert len(ds) == 20
    for d in ds.data_list:
        matches = np.flatnonzero(
            (images == d['img']).all(axis=(1, 2)))
        assert len(matches) >= 1
        assert d['gt_label'] in set(labels[matches].tolist())


def test_label_out_of_range_is_a_data_error_at_load_time(tmp_path):
    """A label outside 0..9 (a corrupt or foreign file) used to surface as a
    raw IndexError in the first iteration."""
    for name in ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'):
        with gzip.open(osp.join(DEBIAN_FASHION_MNIST_ROOT,
                                name + '.gz')) as f:
            (tmp_path / name).write_bytes(f.read())
    labels = bytearray((tmp_path / 't10k-labels-idx1-ubyte').read_bytes())
    labels[8 + 5] = 12  # IDX header is 8 bytes: image 5 gets label 12
    (tmp_path / 't10k-labels-idx1-ubyte').write_bytes(bytes(labels))
    with pytest.raises(DataFileError) as error:
        FashionMNISTIdx(data_root=str(tmp_path), split='test')
    message = str(error.value)
    assert 'label 12 of image 5 is outside 0..9 (1 such labels)' in message
    assert 't10k-labels-idx1-ubyte' in message
