"""DetectionAttentionAdaptation: the teacher detector's FPN estimators learn
multi-label class presence; only the connector and the head learn."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

import mmhkd.compat.mmcv_ops  # noqa: F401  (before mmdet)
from conftest import CONFIG_ROOT
from mmhkd.models.algorithms.detection_attention_adaptation import \
    presence_targets
from mmrazor.registry import MODELS

from mmdet.structures import DetDataSample  # noqa: I100

CONFIG = (f'{CONFIG_ROOT}/detection/hksanc-adaptation_retinanet_r34-fpn128_'
          'fashion-mnist-canvas.py')
pytestmark = pytest.mark.usefixtures('one_thread')


def sample(labels):
    s = DetDataSample(metainfo=dict(img_shape=(64, 64), pad_shape=(64, 64)))
    boxes = torch.tensor([[4., 4., 30., 30.]] * len(labels))
    s.gt_instances = InstanceData(bboxes=boxes.reshape(-1, 4),
                                  labels=torch.tensor(labels).long())
    return s


def test_presence_targets():
    targets = presence_targets([sample([3, 3, 7]), sample([]),
                                sample([0])], num_classes=10)
    expected = torch.zeros(3, 10)
    expected[0, 3] = expected[0, 7] = expected[2, 0] = 1
    torch.testing.assert_close(targets, expected)


def test_presence_targets_refuse_bad_labels():
    with pytest.raises(ValueError, match='gt label 10 is out of range for '
                       'num_classes=10'):
        presence_targets([sample([10])], num_classes=10)
    with pytest.raises(ValueError, match='needs detection samples with '
                       'gt_instances'):
        presence_targets([DetDataSample()], num_classes=10)


@pytest.fixture(scope='module')
def adaptation():
    cfg = Config.fromfile(CONFIG)
    cfg.model.teacher_ckpt = None
    init_default_scope('mmdet')
    torch.manual_seed(0)
    return MODELS.build(cfg.model)


def test_loss_is_bce_of_the_presence_head(adaptation):
    torch.manual_seed(1)
    inputs = torch.randn(2, 3, 64, 64)
    samples = [sample([1, 4]), sample([9])]
    adaptation.train()
    loss = adaptation.loss(inputs, samples)['loss_attention_presence']
    with torch.no_grad():
        levels = adaptation.architecture.neck(
            adaptation.architecture.backbone(inputs))
    descriptors = adaptation.connector(levels)
    logits = adaptation.head(torch.cat(descriptors, dim=1))
    target = torch.zeros(2, 10)
    target[0, 1] = target[0, 4] = target[1, 9] = 1
    torch.testing.assert_close(
        loss, F.binary_cross_entropy_with_logits(logits, target))
    adaptation.zero_grad()
    loss.backward()
    assert all(p.grad is None for p in adaptation.architecture.parameters())
    assert adaptation.head.weight.grad.abs().sum() > 0
    assert adaptation.connector.estimators[0].score.weight.grad.abs().sum() \
        > 0
    assert not adaptation.architecture.training


def test_predict_sets_presence_scores(adaptation):
    adaptation.eval()
    samples = adaptation._predict(torch.randn(2, 3, 64, 64),
                                  [sample([1]), sample([2])])
    for s in samples:
        assert s.pred_presence.shape == (10, )
        assert ((s.pred_presence > 0) & (s.pred_presence < 1)).all()
