"""tools/data/fetch_deepforest_data.py: VOC to COCO, and the real wheel.

The conversion tests always run. The end-to-end test uses the wheel the
tool keeps in ``data/downloads/`` when present, else downloads it; it
fails when neither the wheel nor PyPI is available.
"""
import json
import os.path as osp

import numpy as np
import pytest
import torch

import mmhkd.compat.mmcv_ops  # noqa: F401  (before mmdet)
from conftest import REPO_ROOT, load_tool

from mmdet.datasets import CocoDataset  # noqa: I100
from mmdet.datasets.transforms import LoadAnnotations, PackDetInputs
from mmdet.evaluation import CocoMetric
from mmcv.transforms import LoadImageFromFile  # noqa: I100

pytestmark = pytest.mark.usefixtures('one_thread')

TINY_VOC = """<annotation>
  <filename>tiny.png</filename>
  <size><width>40</width><height>30</height><depth>3</depth></size>
  <object><name>Tree</name>
    <bndbox><xmin>0</xmin><ymin>2</ymin><xmax>10</xmax><ymax>30</ymax>
    </bndbox></object>
  <object><name>Tree</name>
    <bndbox><xmin>25</xmin><ymin>5</ymin><xmax>40</xmax><ymax>9</ymax>
    </bndbox></object>
</annotation>
"""


@pytest.fixture(scope='module')
def tool():
    return load_tool('data/fetch_deepforest_data')


def test_voc_to_coco(tool, tmp_path):
    path = tmp_path / 'tiny.xml'
    path.write_text(TINY_VOC)
    name, width, height, boxes = tool.parse_voc(path.read_bytes())
    assert (name, width, height) == ('tiny.png', 40, 30)
    coco = tool.to_coco([dict(file_name=name, width=width, height=height,
                              boxes=boxes)])
    assert coco['categories'] == [dict(id=1, name='Tree')]
    assert coco['images'] == [
        dict(id=1, file_name='tiny.png', width=40, height=30)]
    assert [a['bbox'] for a in coco['annotations']] == [[0, 2, 10, 28],
                                                       [25, 5, 15, 4]]
    assert [a['area'] for a in coco['annotations']] == [280, 60]
    assert [a['id'] for a in coco['annotations']] == [1, 2]
    assert {a['image_id'] for a in coco['annotations']} == {1}


@pytest.mark.parametrize('label,box,message', [
    ('Dead', (1, 1, 5, 5), "label 'Dead', expected 'Tree' only"),
    ('Tree', (30, 1, 41, 5), 'empty or outside the 40x30 image'),
    ('Tree', (5, 5, 5, 9), 'empty or outside the 40x30 image'),
])
def test_bad_boxes_are_refused(tool, label, box, message):
    image = dict(file_name='tiny.png', width=40, height=30,
                 boxes=[(label, box)])
    with pytest.raises(ValueError, match=message) as error:
        tool.to_coco([image])
    assert str(error.value).startswith(f'tiny.png box {box}')


def test_wrong_or_missing_wheel(tool, tmp_path):
    with pytest.raises(tool.WheelError, match='Wheel not found'):
        tool.check_wheel(str(tmp_path / tool.WHEEL))
    fake = tmp_path / tool.WHEEL
    fake.write_bytes(b'not a wheel')
    with pytest.raises(tool.WheelError,
                       match='pass the deepforest 2.1.0 wheel from PyPI'):
        tool.check_wheel(str(fake))
    # the folder stays as it was: the staged copy is removed
    out = tmp_path / 'out'
    with pytest.raises(tool.WheelError):
        tool.main(['--out', str(out), '--wheel', str(fake)])
    assert sorted(p.name for p in tmp_path.iterdir()) == [tool.WHEEL]


@pytest.fixture(scope='module')
def wheel(tool, tmp_path_factory):
    cached = osp.join(REPO_ROOT, 'data', 'downloads', tool.WHEEL)
    if osp.isfile(cached):
        return tool.check_wheel(cached)
    try:
        return tool.download_wheel(str(tmp_path_factory.mktemp('wheel')))
    except tool.WheelError as error:
        pytest.fail(f'the deepforest wheel is neither in data/downloads nor '
                    f'downloadable from PyPI (the README set-up needs PyPI '
                    f'too): {error}')


@pytest.fixture(scope='module')
def fetched(tool, wheel, tmp_path_factory):
    out = str(tmp_path_factory.mktemp('deepforest') / 'deepforest')
    return tool.main(['--out', out, '--wheel', wheel])


def test_fetched_set(fetched):
    with open(osp.join(fetched, 'LICENSE')) as f:
        assert f.read().startswith('MIT License')
    with open(osp.join(fetched, 'annotations', 'instances.json')) as f:
        coco = json.load(f)
    counts = {
        image['file_name']: sum(a['image_id'] == image['id']
                                for a in coco['annotations'])
        for image in coco['images']
    }
    assert counts == {
        'OSBS_029.png': 61,
        '2019_YELL_2_541000_4977000_image_crop.png': 279,
        '2019_YELL_2_528000_4978000_image_crop2.png': 574,
    }
    with open(osp.join(fetched, 'NOTICE.md')) as f:
        assert '- OSBS_029.png: 61 boxes' in f.read()


def test_mmdet_reads_it_and_coco_metric_scores_gt_one(fetched):
    dataset = CocoDataset(
        data_root=fetched, ann_file='annotations/instances.json',
        data_prefix=dict(img='images/'), metainfo=dict(classes=('Tree', )),
        filter_cfg=None,
        pipeline=[LoadImageFromFile(), LoadAnnotations(with_bbox=True),
                  PackDetInputs()])
    with open(osp.join(fetched, 'annotations', 'instances.json')) as f:
        coco = json.load(f)
    samples = []
    for i in range(len(dataset)):
        packed = dataset[i]
        sample = packed['data_samples']
        image = next(m for m in coco['images'] if m['id'] == sample.img_id)
        assert packed['inputs'].shape[1:] == (image['height'],
                                              image['width'])
        boxes = [[x, y, x + w, y + h] for x, y, w, h in (
            a['bbox'] for a in coco['annotations']
            if a['image_id'] == sample.img_id)]
        gt = sample.gt_instances.bboxes.tensor
        np.testing.assert_array_equal(gt.numpy(), boxes)
        samples.append(dict(
            img_id=sample.img_id, ori_shape=sample.ori_shape,
            pred_instances=dict(bboxes=gt, scores=torch.ones(len(gt)),
                                labels=torch.zeros(len(gt), dtype=int))))
    assert len(samples) == 3
    metric = CocoMetric(
        ann_file=osp.join(fetched, 'annotations', 'instances.json'))
    metric.dataset_meta = dict(classes=('Tree', ))
    metric.process({}, samples)
    scores = metric.evaluate(3)
    assert scores['coco/bbox_mAP_50'] == pytest.approx(1.0)
    assert scores['coco/bbox_mAP_75'] == pytest.approx(1.0)
    # pycocotools computes the headline mAP (0.50:0.95) from the first 100
    # detections per image; two images hold 279 and 574 trees, so even the
    # ground truth scores < 1 there (docs/datasets.md).
    assert scores['coco/bbox_mAP'] < 0.5


def test_deepforest_check_config_trains_and_evaluates(fetched, tmp_path):
    """configs/detection/..._deepforest-check.py: one iteration and a
    validation through mmengine's Runner on the real aerial photographs."""
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(osp.join(
        REPO_ROOT, 'configs', 'detection',
        'retinanet_r18-half-fpn64_1xb2-600i_deepforest-check.py'))
    cfg.work_dir = str(tmp_path)
    cfg.train_dataloader.dataset.data_root = fetched + '/'
    cfg.val_dataloader.dataset.data_root = fetched + '/'
    cfg.test_dataloader = cfg.val_dataloader
    cfg.val_evaluator.ann_file = osp.join(fetched, 'annotations',
                                          'instances.json')
    cfg.test_evaluator = cfg.val_evaluator
    cfg.train_cfg.update(max_iters=1, val_interval=1)
    cfg.param_scheduler = None
    cfg.default_hooks.checkpoint.interval = 1
    # an untrained head scores below 0.05: keep boxes for the metric
    cfg.model.test_cfg.update(score_thr=0.0, nms_pre=100, max_per_img=50)
    runner = Runner.from_cfg(cfg)
    runner.train()
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert loss == loss and loss > 0
    assert runner.model.bbox_head.num_classes == 1
    metrics = runner.val()
    assert 0.0 <= metrics['coco/bbox_mAP'] <= 1.0
