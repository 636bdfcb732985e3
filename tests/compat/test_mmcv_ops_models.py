"""Whole-model check of the mmcv-ops stand-in: mmdet's Faster R-CNN
(R-18 FPN, from mmdet's own config) trains one step and predicts on CPU,
with RoIAlign and with RoIPool in its RoI extractor."""
import os.path as osp

import pytest
import torch

from mmhkd.compat import mmcv_ops  # noqa: F401  (installs the stand-in)

pytestmark = pytest.mark.usefixtures('one_thread')


def build_faster_rcnn(roi_layer: dict) -> torch.nn.Module:
    import mmdet
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config
    register_all_modules()
    path = osp.join(osp.dirname(mmdet.__file__), '.mim', 'configs',
                    'faster_rcnn', 'faster-rcnn_r50_fpn_1x_coco.py')
    cfg = Config.fromfile(path).model
    cfg.backbone.update(depth=18, init_cfg=None, frozen_stages=-1,
                        norm_eval=False)
    cfg.neck.in_channels = [64, 128, 256, 512]
    cfg.roi_head.bbox_roi_extractor.roi_layer = roi_layer
    cfg.roi_head.bbox_head.num_classes = 3
    torch.manual_seed(0)
    return MODELS.build(cfg)


def batch() -> tuple:
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    g = torch.Generator().manual_seed(1)
    inputs, samples = [], []
    for i in range(2):
        inputs.append(torch.randint(0, 256, (3, 128, 128), generator=g))
        sample = DetDataSample(metainfo=dict(
            img_shape=(128, 128), ori_shape=(128, 128), pad_shape=(128, 128),
            scale_factor=(1.0, 1.0), batch_input_shape=(128, 128)))
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor([[10., 12., 70., 90.], [40., 30., 120., 100.]
                                 ]) + i,
            labels=torch.tensor([0, 2]))
        samples.append(sample)
    return inputs, samples


@pytest.mark.parametrize('roi_layer', [
    dict(type='RoIAlign', output_size=7, sampling_ratio=0),
    dict(type='RoIPool', output_size=7),
])
def test_faster_rcnn_loss_and_predict(roi_layer):
    model = build_faster_rcnn(roi_layer)
    inputs, samples = batch()
    data = model.data_preprocessor(dict(inputs=inputs, data_samples=samples),
                                   True)
    model.train()
    losses = model.loss(data['inputs'], data['data_samples'])
    total, _ = model.parse_losses(losses)  # the RPN's losses are lists
    assert torch.isfinite(total)
    assert losses['loss_bbox'] > 0  # the RoI head saw positive RoIs
    total.backward()
    stem = model.backbone.conv1.weight.grad
    assert stem is not None and stem.abs().sum() > 0
    head = model.roi_head.bbox_head.shared_fcs[0].weight.grad
    assert head is not None and head.abs().sum() > 0
    model.eval()
    data = model.data_preprocessor(dict(inputs=inputs, data_samples=samples),
                                   False)
    with torch.no_grad():
        results = model.predict(data['inputs'], data['data_samples'])
    assert len(results) == 2
    for result in results:
        pred = result.pred_instances
        assert pred.bboxes.shape[1] == 4
        assert len(pred.bboxes) == len(pred.scores) == len(pred.labels)
        assert torch.isfinite(pred.bboxes).all()
