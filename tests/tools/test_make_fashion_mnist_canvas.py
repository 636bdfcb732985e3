"""tools/data/make_fashion_mnist_canvas.py, read back by mmdet and mmseg.

mmdet's ``CocoDataset`` / ``CocoMetric`` and mmseg's ``BaseSegDataset``
read the written set unchanged (mmcv-lite needs mmhkd's mmcv-ops
stand-in, installed first, for these packages to import).
"""
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image
from pycocotools import mask as mask_utils

import mmhkd.compat.mmcv_ops  # noqa: F401  (before mmdet / mmseg)
from conftest import load_tool
from mmhkd.datasets.fashion_mnist import FashionMNISTIdx
from mmhkd.datasets.idx_files import read_idx_file
from mmhkd.datasets.staged_folder import OutputExistsError

from mmdet.datasets import CocoDataset  # noqa: I100
from mmdet.datasets.transforms import LoadAnnotations, PackDetInputs
from mmdet.evaluation import CocoMetric
from mmcv.transforms import LoadImageFromFile  # noqa: I100
from mmseg.datasets import BaseSegDataset  # noqa: I100
from mmseg.datasets.transforms import LoadAnnotations as LoadSegMap

CLASSES = tuple(FashionMNISTIdx.METAINFO['classes'])
ARGS = ['--num-train', '8', '--num-test', '4', '--seed', '5']
pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture(scope='module')
def tool():
    return load_tool('data/make_fashion_mnist_canvas')


@pytest.fixture(scope='module')
def built(tool, tmp_path_factory, fashion_mnist_root):
    out = str(tmp_path_factory.mktemp('canvas') / 'set')
    assert tool.main(['--out', out] + ARGS) == out
    return out


def read_tree(root: str) -> dict:
    files = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = osp.join(folder, name)
            with open(path, 'rb') as f:
                files[osp.relpath(path, root)] = f.read()
    return files


def load_coco(root: str, split: str) -> dict:
    with open(osp.join(root, 'annotations', f'instances_{split}.json')) as f:
        return json.load(f)


def png(root: str, *parts: str) -> np.ndarray:
    return np.asarray(Image.open(osp.join(root, *parts)))


def test_layout_and_byte_identical_rebuild(tool, built, tmp_path):
    files = read_tree(built)
    for split, number in (('train', 8), ('test', 4)):
        for folder in ('images', 'seg_maps'):
            names = sorted(os.listdir(osp.join(built, folder, split)))
            assert names == [f'{i:06d}.png' for i in range(number)]
    assert {'meta.json', 'README.md', 'annotations/instances_train.json',
            'annotations/instances_test.json'} <= set(files)
    again = tool.main(['--out', str(tmp_path / 'again')] + ARGS)
    assert read_tree(again) == files
    other = tool.main(
        ['--out', str(tmp_path / 'other'), '--num-train', '8',
         '--num-test', '4', '--seed', '6'])
    other_files = read_tree(other)
    assert other_files['images/train/000000.png'] != \
        files['images/train/000000.png']
    meta = json.loads(files['meta.json'])
    assert meta['canvas_size'] == 128 and meta['seed'] == 5
    assert meta['counts']['train']['images'] == 8


@pytest.mark.parametrize('split', ['train', 'test'])
def test_annotations_agree_with_the_pngs(built, split, fashion_mnist_root):
    coco = load_coco(built, split)
    assert [c['id'] for c in coco['categories']] == list(range(1, 11))
    assert [c['name'] for c in coco['categories']] == list(CLASSES)
    prefix = 'train' if split == 'train' else 't10k'
    labels = read_idx_file(
        osp.join(fashion_mnist_root, f'{prefix}-labels-idx1-ubyte.gz'))
    sources = [a['source_index'] for a in coco['annotations']]
    assert len(sources) == len(set(sources))
    for image in coco['images']:
        pixels = png(built, 'images', split, image['file_name'])
        seg = png(built, 'seg_maps', split, image['file_name'])
        assert pixels.shape == seg.shape == (128, 128)
        assert (image['height'], image['width']) == (128, 128)
        union = np.zeros(seg.shape, dtype=int)
        for ann in coco['annotations']:
            if ann['image_id'] != image['id']:
                continue
            mask = mask_utils.decode(ann['segmentation']).astype(bool)
            ys, xs = np.nonzero(mask)
            assert ann['bbox'] == [
                xs.min(), ys.min(), xs.max() + 1 - xs.min(),
                ys.max() + 1 - ys.min()]
            assert ann['area'] == mask.sum() and ann['iscrowd'] == 0
            assert ann['category_id'] == labels[ann['source_index']] + 1
            assert (seg[mask] == ann['category_id']).all()
            union += mask
        assert union.max() <= 1  # masks never overlap
        np.testing.assert_array_equal(seg > 0, union == 1)
        np.testing.assert_array_equal(pixels > 0, union == 1)


def test_mmdet_coco_dataset_reads_it(built):
    dataset = CocoDataset(
        data_root=built, ann_file='annotations/instances_train.json',
        data_prefix=dict(img='images/train/'),
        metainfo=dict(classes=CLASSES), filter_cfg=None,
        pipeline=[LoadImageFromFile(),
                  LoadAnnotations(with_bbox=True, with_mask=True),
                  PackDetInputs()])
    coco = load_coco(built, 'train')
    assert len(dataset) == 8
    for i in range(len(dataset)):
        sample = dataset[i]['data_samples']
        image_id = sample.img_id
        anns = [a for a in coco['annotations'] if a['image_id'] == image_id]
        boxes = [[x, y, x + w, y + h] for x, y, w, h in
                 (a['bbox'] for a in anns)]
        gt = sample.gt_instances
        np.testing.assert_array_equal(gt.bboxes.tensor.numpy(), boxes)
        assert gt.labels.tolist() == [a['category_id'] - 1 for a in anns]
        seg = png(built, 'seg_maps', 'train', f'{i:06d}.png')
        masks = gt.masks.to_ndarray().astype(bool)
        for mask, ann in zip(masks, anns):
            assert (seg[mask] == ann['category_id']).all()
        assert masks.sum() == (seg > 0).sum()


def evaluate(built: str, shift: float) -> dict:
    coco = load_coco(built, 'test')
    metric = CocoMetric(
        ann_file=osp.join(built, 'annotations', 'instances_test.json'),
        metric=['bbox', 'segm'])
    metric.dataset_meta = dict(classes=CLASSES)
    samples = []
    for image in coco['images']:
        anns = [a for a in coco['annotations']
                if a['image_id'] == image['id']]
        boxes = torch.tensor(
            [[x + shift, y, x + w + shift, y + h]
             for x, y, w, h in (a['bbox'] for a in anns)],
            dtype=torch.float32).reshape(-1, 4)
        masks = np.stack([mask_utils.decode(a['segmentation']) for a in anns
                          ]).astype(bool)
        samples.append(
            dict(img_id=image['id'], ori_shape=(128, 128),
                 pred_instances=dict(
                     bboxes=boxes, scores=torch.ones(len(anns)),
                     labels=torch.tensor(
                         [a['category_id'] - 1 for a in anns]),
                     masks=torch.from_numpy(masks))))
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def test_coco_metric_scores_the_ground_truth_one(built):
    exact = evaluate(built, shift=0)
    assert exact['coco/bbox_mAP'] == pytest.approx(1.0)
    assert exact['coco/segm_mAP'] == pytest.approx(1.0)
    shifted = evaluate(built, shift=6)
    assert shifted['coco/bbox_mAP'] < 0.9
    assert shifted['coco/segm_mAP'] == pytest.approx(1.0)


def test_mmseg_base_seg_dataset_reads_it(built):
    dataset = BaseSegDataset(
        data_root=built, img_suffix='.png', seg_map_suffix='.png',
        data_prefix=dict(img_path='images/train',
                         seg_map_path='seg_maps/train'),
        metainfo=dict(classes=('background', ) + CLASSES),
        reduce_zero_label=False,
        pipeline=[LoadImageFromFile(), LoadSegMap()])
    assert len(dataset) == 8
    assert len(dataset.metainfo['classes']) == 11
    for i in range(len(dataset)):
        result = dataset[i]
        name = osp.basename(result['img_path'])
        np.testing.assert_array_equal(
            result['gt_seg_map'], png(built, 'seg_maps', 'train', name))
        assert result['img'].shape == (128, 128, 3)


def test_refuses_to_overwrite_without_force(tool, built, tmp_path):
    before = read_tree(built)
    with pytest.raises(OutputExistsError) as error:
        tool.main(['--out', built] + ARGS[:2])
    assert str(error.value) == (
        f'Output folder {built} exists and is not empty; pass --force to '
        'replace it, or choose another --out.')
    assert read_tree(built) == before
    out = tmp_path / 'forced'
    out.mkdir()
    (out / 'stale.txt').write_text('old')
    tool.main(['--out', str(out), '--force', '--num-train', '2',
               '--num-test', '1'])
    assert not (out / 'stale.txt').exists()
    assert len(os.listdir(out / 'images' / 'train')) == 2


def test_failed_run_leaves_nothing(tool, tmp_path):
    out = tmp_path / 'failed'
    with pytest.raises(ValueError, match='ask for at most 2500 canvases'):
        tool.main(['--out', str(out), '--num-train', '1',
                   '--num-test', '2501'])
    assert os.listdir(tmp_path) == []
