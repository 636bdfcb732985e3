"""Tests of mmhkd.compat.mmcv_ops (mmcv's compiled ops on mmcv-lite).

Each provided op is compared, through mmcv's own Python wrappers, with an
independent computation written here; gradients are checked numerically.
mmdet and mmseg are required (``pip install -e '.[tests,det,seg]'``): a
missing one fails these tests instead of skipping them.
"""
import math
import os
import subprocess
import sys
import types

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmhkd.compat import mmcv_ops
from mmhkd.compat.mmcv_ops import (MmcvOpUnavailableError,
                                   install_mmcv_ops_stand_in)

import mmcv.ops  # noqa: E402,I100  (needs the stand-in installed above)

REPO_ROOT = __file__.rsplit('/tests/', 1)[0]
pytestmark = pytest.mark.usefixtures('one_thread')


# ------------------------------------------------------------------ helpers
def random_boxes(n: int, seed: int) -> tuple:
    """Overlapping float32 boxes and distinct float32 scores."""
    rng = np.random.RandomState(seed)
    xy = rng.uniform(0, 40, size=(n, 2))
    wh = rng.uniform(2, 25, size=(n, 2))
    boxes = np.concatenate([xy, xy + wh], axis=1).astype(np.float32)
    scores = rng.permutation(n).astype(np.float32) / n + 0.01
    return boxes, scores


def reference_nms(boxes: np.ndarray, scores: np.ndarray, threshold: float,
                  offset: int = 0) -> list:
    """Textbook greedy NMS in float32: kept indices, best score first."""
    thr = np.float32(threshold)
    off = np.float32(offset)
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    kept = []
    for i in order:
        suppressed = False
        for k in kept:
            w = max(np.float32(0),
                    min(boxes[i, 2], boxes[k, 2]) - max(boxes[i, 0],
                                                        boxes[k, 0]) + off)
            h = max(np.float32(0),
                    min(boxes[i, 3], boxes[k, 3]) - max(boxes[i, 1],
                                                        boxes[k, 1]) + off)
            inter = w * h
            area_i = (boxes[i, 2] - boxes[i, 0] + off) * (
                boxes[i, 3] - boxes[i, 1] + off)
            area_k = (boxes[k, 2] - boxes[k, 0] + off) * (
                boxes[k, 3] - boxes[k, 1] + off)
            if inter / (area_k + area_i - inter) > thr:
                suppressed = True
                break
        if not suppressed:
            kept.append(i)
    return kept


def bilinear(img: np.ndarray, y: float, x: float) -> float:
    """Bilinear sample of a 2-D map, zero outside (-1, H) x (-1, W)."""
    height, width = img.shape
    if y < -1.0 or y > height or x < -1.0 or x > width:
        return 0.0
    y, x = max(y, 0.0), max(x, 0.0)
    y0, x0 = int(math.floor(y)), int(math.floor(x))
    if y0 >= height - 1:
        y0 = y1 = height - 1
        y = float(y0)
    else:
        y1 = y0 + 1
    if x0 >= width - 1:
        x0 = x1 = width - 1
        x = float(x0)
    else:
        x1 = x0 + 1
    ly, lx = y - y0, x - x0
    return ((1 - ly) * (1 - lx) * img[y0, x0] + (1 - ly) * lx * img[y0, x1] +
            ly * (1 - lx) * img[y1, x0] + ly * lx * img[y1, x1])


def reference_roi_align(feat: np.ndarray, rois: np.ndarray, out_h: int,
                        out_w: int, scale: float, sampling_ratio: int,
                        aligned: bool) -> np.ndarray:
    """RoIAlign (avg) by its definition: the mean of a regular grid of
    bilinear samples in each bin."""
    out = np.zeros((len(rois), feat.shape[1], out_h, out_w))
    shift = 0.5 if aligned else 0.0
    for r, (b, x1, y1, x2, y2) in enumerate(rois):
        sx, sy = x1 * scale - shift, y1 * scale - shift
        rw, rh = x2 * scale - shift - sx, y2 * scale - shift - sy
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        bw, bh = rw / out_w, rh / out_h
        gh = sampling_ratio if sampling_ratio > 0 else math.ceil(rh / out_h)
        gw = sampling_ratio if sampling_ratio > 0 else math.ceil(rw / out_w)
        for c in range(feat.shape[1]):
            img = feat[int(b), c]
            for ph in range(out_h):
                for pw in range(out_w):
                    total = 0.0
                    for iy in range(gh):
                        y = sy + ph * bh + (iy + 0.5) * bh / gh
                        for ix in range(gw):
                            x = sx + pw * bw + (ix + 0.5) * bw / gw
                            total += bilinear(img, y, x)
                    out[r, c, ph, pw] = total / max(gh * gw, 1)
    return out


def random_rois(n: int, batch: int, size: float, seed: int) -> torch.Tensor:
    """RoIs (idx, x1, y1, x2, y2) in float64, some reaching past the map."""
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, batch, (n, 1), generator=g).double()
    xy = torch.rand(n, 2, generator=g, dtype=torch.float64) * size - 2
    wh = torch.rand(n, 2, generator=g, dtype=torch.float64) * size * 0.6
    wh[0] = 0.3  # a RoI smaller than one pixel
    return torch.cat([idx, xy, xy + wh], dim=1)


# ------------------------------------------------------------- installation
def test_stand_in_is_installed_as_mmcv_ext():
    ext = sys.modules['mmcv._ext']
    assert ext.__mmhkd_stand_in__ is True
    assert install_mmcv_ops_stand_in() is True  # idempotent
    assert ext.nms is mmcv_ops.nms
    assert mmcv.ops.nms.__module__ == 'mmcv.ops.nms'  # mmcv's own wrapper
    # mmengine's check (DCN learning-rate multipliers, SyncBN conversion)
    from mmengine.utils.dl_utils import mmcv_full_available
    assert mmcv_full_available()


def test_real_ext_is_left_alone(monkeypatch):
    real = types.ModuleType('mmcv._ext')
    monkeypatch.setitem(sys.modules, 'mmcv._ext', real)
    assert mmcv_ops.real_mmcv_ext_importable() is True
    assert install_mmcv_ops_stand_in() is False
    assert sys.modules['mmcv._ext'] is real


def run_python(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=REPO_ROOT)
    return subprocess.run([sys.executable, '-c', code], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True,
                          timeout=600)


def test_mmdet_and_mmseg_import_in_a_fresh_process():
    result = run_python(
        'import mmhkd.compat.mmcv_ops\n'
        'import mmdet.models, mmseg.models\n'
        'from mmdet.registry import MODELS as D\n'
        'from mmseg.registry import MODELS as S\n'
        "assert D.get('RetinaNet') and D.get('FasterRCNN')\n"
        "assert S.get('EncoderDecoder')\n"
        "print('imported')\n")
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'imported' in result.stdout


def test_stand_in_is_opt_in():
    """``import mmhkd`` alone leaves mmcv-lite as it is."""
    result = run_python('import mmhkd, sys\n'
                        'import mmcv.utils.ext_loader as l\n'
                        "print('mmcv._ext' in sys.modules)\n")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == 'False'


# ---------------------------------------------------------------- refusals
def test_unprovided_op_raises_named_error():
    with pytest.raises(MmcvOpUnavailableError,
                       match="'roi_align_rotated_forward'.*rotated-box"):
        mmcv.ops.RoIAlignRotated(2, 1.0)(
            torch.rand(1, 1, 4, 4), torch.tensor([[0., 2., 2., 2., 2., 0.]]))
    boxes, scores = random_boxes(5, 0)
    with pytest.raises(MmcvOpUnavailableError,
                       match="'softnms'.*Install the full mmcv"):
        mmcv.ops.soft_nms(boxes, scores)


@pytest.mark.parametrize('name, family', [
    ('nms_rotated', 'rotated-box detectors (mmrotate)'),
    ('ms_deform_attn_forward', "Deformable DETR, DINO and Mask2Former's "
     'pixel decoder (multi-scale deformable attention)'),
    ('carafe_naive_forward', 'CARAFE upsampling (CARAFE FPN)'),
    ('psamask_forward', 'PSANet (mmseg)'),
    ('upfirdn2d', 'StyleGAN-family generators (mmagic)'),
    ('three_nn_forward', 'point-cloud networks (mmdet3d)'),
    ('points_in_boxes_all_forward', '3D detectors (mmdet3d)'),
    ('pixel_group', 'PSENet / PANet text detectors (mmocr)'),
    ('nms_match', 'detectors configured with NMS match'),
    ('some_future_op', 'models using this op'),
])
def test_refusal_names_the_model_family(name, family):
    ext = sys.modules['mmcv._ext']
    with pytest.raises(MmcvOpUnavailableError) as error:
        getattr(ext, name)()
    assert str(error.value) == (
        f"mmcv op '{name}' is not available; it is needed by {family}. "
        "mmcv-lite has no compiled ops and mmhkd's stand-in "
        '(mmhkd.compat.mmcv_ops) provides only nms, roi_align, roi_pool, '
        'sigmoid_focal_loss, deform_conv and modulated_deform_conv. Install '
        'the full mmcv with compiled ops (`pip uninstall mmcv-lite && mim '
        'install "mmcv==2.1.0"`), or use a model that does not need this '
        'op.')


def test_any_entry_point_exists_but_refuses():
    ext = sys.modules['mmcv._ext']
    with pytest.raises(MmcvOpUnavailableError, match="'some_future_op'"):
        ext.some_future_op(1)
    assert not hasattr(ext, '_private')


# --------------------------------------------------------------------- nms
@pytest.mark.parametrize('iou_threshold', [0.1, 0.3, 0.5, 0.7, 0.9])
@pytest.mark.parametrize('offset', [0, 1])
@pytest.mark.parametrize('seed', [0, 1, 2])
def test_nms_matches_greedy_reference(iou_threshold, offset, seed):
    boxes, scores = random_boxes(80, seed)
    expected = reference_nms(boxes, scores, iou_threshold, offset)
    dets, inds = mmcv.ops.nms(
        torch.from_numpy(boxes), torch.from_numpy(scores), iou_threshold,
        offset=offset)
    assert inds.tolist() == expected
    assert torch.equal(dets[:, :4], torch.from_numpy(boxes[expected]))
    # numpy in, numpy out
    dets_np, inds_np = mmcv.ops.nms(boxes, scores, iou_threshold, offset)
    assert isinstance(inds_np, np.ndarray) and inds_np.tolist() == expected


def test_nms_score_threshold_max_num_and_empty():
    boxes, scores = random_boxes(60, 3)
    keep = scores > 0.4
    expected = np.flatnonzero(keep)[reference_nms(boxes[keep], scores[keep],
                                                  0.5)][:7].tolist()
    _, inds = mmcv.ops.nms(
        torch.from_numpy(boxes), torch.from_numpy(scores), 0.5,
        score_threshold=0.4, max_num=7)
    assert inds.tolist() == expected
    dets, inds = mmcv.ops.nms(torch.zeros(0, 4), torch.zeros(0), 0.5)
    assert dets.shape == (0, 5) and inds.dtype == torch.long


@pytest.mark.parametrize('split_thr', [10000, 10])
@pytest.mark.parametrize('class_agnostic', [False, True])
def test_batched_nms_matches_reference(split_thr, class_agnostic):
    boxes, scores = random_boxes(90, 4)
    labels = np.random.RandomState(5).randint(0, 3, size=90)
    # mmcv's split branch (more boxes than split_thr) always runs NMS per
    # idx, even when class_agnostic
    per_class = not class_agnostic or split_thr <= 90
    groups = [np.arange(90)] if not per_class else [
        np.flatnonzero(labels == c) for c in range(3)
    ]
    expected = []
    for members in groups:
        expected += members[reference_nms(boxes[members], scores[members],
                                          0.45)].tolist()
    expected.sort(key=lambda i: -scores[i])
    dets, keep = mmcv.ops.batched_nms(
        torch.from_numpy(boxes), torch.from_numpy(scores),
        torch.from_numpy(labels),
        dict(type='nms', iou_threshold=0.45, split_thr=split_thr),
        class_agnostic=class_agnostic)
    assert keep.tolist() == expected
    assert torch.equal(dets[:, 4], torch.from_numpy(scores[expected]))


# --------------------------------------------------------------- roi_align
@pytest.mark.parametrize('aligned', [True, False])
@pytest.mark.parametrize('sampling_ratio', [0, 1, 2])
@pytest.mark.parametrize('spatial_scale', [1.0, 0.5])
def test_roi_align_matches_bilinear_reference(aligned, sampling_ratio,
                                              spatial_scale):
    feat = torch.rand(2, 3, 7, 9, dtype=torch.float64,
                      generator=torch.Generator().manual_seed(0))
    rois = random_rois(6, 2, 9 / spatial_scale, seed=1)
    out = mmcv.ops.roi_align(feat, rois, (3, 2), spatial_scale,
                             sampling_ratio, 'avg', aligned)
    expected = reference_roi_align(feat.numpy(), rois.numpy(), 3, 2,
                                   spatial_scale, sampling_ratio, aligned)
    np.testing.assert_allclose(out.numpy(), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize('aligned', [True, False])
@pytest.mark.parametrize('sampling_ratio', [0, 2])
def test_roi_align_gradcheck(aligned, sampling_ratio):
    layer = mmcv.ops.RoIAlign((2, 3), spatial_scale=0.5,
                              sampling_ratio=sampling_ratio, aligned=aligned)
    feat = torch.rand(2, 2, 5, 6, dtype=torch.float64, requires_grad=True)
    rois = random_rois(4, 2, 12, seed=2)
    assert torch.autograd.gradcheck(lambda x: layer(x, rois), (feat, ))


def test_roi_align_float32_matches_float64():
    feat = torch.rand(1, 4, 8, 8, dtype=torch.float64)
    rois = random_rois(5, 1, 8, seed=3)
    layer = mmcv.ops.RoIAlign(4, sampling_ratio=0, aligned=True)
    torch.testing.assert_close(
        layer(feat.float(), rois.float()).double(), layer(feat, rois),
        rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------- deform_conv
def test_deform_conv_zero_offset_is_conv2d():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 4, 7, 6, generator=g, dtype=torch.float64)
    layer = mmcv.ops.DeformConv2d(4, 6, 3, stride=2, padding=1, dilation=1,
                                  groups=2, deform_groups=2).double()
    offset = x.new_zeros(2, 2 * 2 * 9, 4, 3)
    expected = F.conv2d(x, layer.weight, None, 2, 1, 1, 2)
    torch.testing.assert_close(layer(x, offset), expected, rtol=0,
                               atol=1e-12)


def test_deform_conv_whole_pixel_offset_is_shifted_conv2d():
    """Sampling one row lower everywhere (dy = 1) moves the zero padding
    from the top to the bottom: output row i reads input rows i .. i + 2."""
    x = torch.rand(1, 2, 6, 5, dtype=torch.float64)
    layer = mmcv.ops.DeformConv2d(2, 3, 3, padding=1).double()
    offset = x.new_zeros(1, 18, 6, 5)
    offset[:, 0::2] = 1.0  # (dy, dx) pairs per kernel position
    padded = F.pad(x, (1, 1, 0, 2))  # left, right, top, bottom
    torch.testing.assert_close(
        layer(x, offset), F.conv2d(padded, layer.weight), rtol=0,
        atol=1e-12)


def test_deform_conv_gradcheck():
    x = torch.rand(2, 2, 5, 5, dtype=torch.float64, requires_grad=True)
    offset = (torch.rand(2, 2 * 9, 3, 3, dtype=torch.float64) * 2 -
              1).requires_grad_()
    weight = torch.rand(3, 2, 3, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda a, o, w: mmcv.ops.deform_conv2d(a, o, w, 1, 0, 1, 1, 1),
        (x, offset, weight))


def test_modulated_deform_conv_zero_offset_is_conv2d():
    x = torch.rand(1, 4, 6, 6, dtype=torch.float64)
    layer = mmcv.ops.ModulatedDeformConv2d(4, 2, 3, padding=1,
                                           deform_groups=2).double()
    offset = x.new_zeros(1, 2 * 2 * 9, 6, 6)
    mask = x.new_full((1, 2 * 9, 6, 6), 0.5)
    expected = F.conv2d(x, layer.weight, None, 1, 1) * 0.5 + layer.bias.view(
        1, -1, 1, 1)
    torch.testing.assert_close(layer(x, offset, mask), expected, rtol=0,
                               atol=1e-12)


@pytest.mark.parametrize('bias', [True, False])
def test_modulated_deform_conv_gradcheck(bias):
    x = torch.rand(1, 2, 4, 4, dtype=torch.float64, requires_grad=True)
    offset = (torch.rand(1, 18, 4, 4, dtype=torch.float64) * 2 -
              1).requires_grad_()
    mask = torch.rand(1, 9, 4, 4, dtype=torch.float64, requires_grad=True)
    weight = torch.rand(2, 2, 3, 3, dtype=torch.float64, requires_grad=True)
    b = torch.rand(2, dtype=torch.float64, requires_grad=True)
    fn = mmcv.ops.modulated_deform_conv2d
    if bias:
        assert torch.autograd.gradcheck(
            lambda *t: fn(*t, 1, 1, 1, 1, 1), (x, offset, mask, weight, b))
    else:
        assert torch.autograd.gradcheck(
            lambda *t: fn(*t, None, 1, 1, 1, 1, 1), (x, offset, mask, weight))


# --------------------------------------------------- mmdet's own code paths
def test_mmdet_roi_extractor_and_multiclass_nms():
    from mmdet.models.layers import multiclass_nms
    from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
    extractor = SingleRoIExtractor(
        roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
        out_channels=4, featmap_strides=[4, 8])
    feats = tuple(
        torch.rand(1, 4, 128 // s, 128 // s, requires_grad=True)
        for s in (4, 8))
    # a small RoI (level 0) and one of scale >= 112 (level 1)
    rois = torch.tensor([[0., 1., 1., 40., 44.], [0., 2., 3., 126., 120.]])
    out = extractor(feats, rois)
    assert out.shape == (2, 4, 7, 7)
    out.sum().backward()
    assert all(f.grad is not None and f.grad.abs().sum() > 0 for f in feats)

    boxes, scores = random_boxes(40, 6)
    cls_scores = torch.rand(40, 4)  # 3 classes + background
    dets, labels = multiclass_nms(
        torch.from_numpy(boxes).repeat(1, 3), cls_scores, 0.05,
        dict(type='nms', iou_threshold=0.5), max_num=20)
    assert dets.shape[1] == 5 and len(dets) == len(labels) <= 20
