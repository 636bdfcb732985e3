"""roi_pool and roi_align (max mode) of mmhkd's mmcv-ops stand-in.

Each op runs through mmcv's own Python wrappers and is compared with a
per-bin reference written here with plain loops over the kernel's formula
(mmcv's CUDA kernel for roi_pool, its CPU kernel for roi_align), values
and gradients.
"""
import math

import numpy as np
import pytest
import torch

from mmhkd.compat import mmcv_ops  # noqa: F401  (installs the stand-in)

import mmcv.ops  # noqa: E402,I100

pytestmark = pytest.mark.usefixtures('one_thread')
F32 = np.float32


# ----------------------------------------------------------------- roi_pool
def reference_roi_pool(feat: np.ndarray, rois: np.ndarray, out_h: int,
                       out_w: int, scale: float) -> tuple:
    """mmcv's roi_pool kernel, one bin at a time, in float32.

    Returns the output and the (image, channel, y, x) of each bin's
    maximum (None for no maximum), or None for a skipped RoI.
    """
    feat = feat.astype(F32)
    _, channels, height, width = feat.shape
    out = np.zeros((len(rois), channels, out_h, out_w), dtype=F32)
    where = {}
    s = F32(scale)
    for r, roi in enumerate(rois.astype(F32)):
        b = int(roi[0])
        x1, y1 = roi[1] * s, roi[2] * s
        w = (roi[3] + F32(1)) * s - x1
        h = (roi[4] + F32(1)) * s - y1
        if not (w > 0 and h > 0):
            continue
        bw, bh = w / F32(out_w), h / F32(out_h)

        def edge(i: int, size: F32, start: F32) -> F32:
            # one rounding, as the fused multiply-add nvcc emits
            return F32(float(i) * float(size) + float(start))

        for ph in range(out_h):
            ya = min(max(math.floor(edge(ph, bh, y1)), 0), height)
            yb = min(max(math.ceil(edge(ph + 1, bh, y1)), 0), height)
            for pw in range(out_w):
                xa = min(max(math.floor(edge(pw, bw, x1)), 0), width)
                xb = min(max(math.ceil(edge(pw + 1, bw, x1)), 0), width)
                for c in range(channels):
                    if yb <= ya or xb <= xa:
                        best, at = F32(0), None
                    else:
                        best, at = -np.finfo(F32).max, None
                        for y in range(ya, yb):
                            for x in range(xa, xb):
                                if feat[b, c, y, x] > best:
                                    best, at = feat[b, c, y, x], (b, c, y, x)
                    out[r, c, ph, pw] = best
                    where[r, c, ph, pw] = at
    return out, where


def reference_roi_pool_grad(feat_shape: tuple, where: dict,
                            grad_out: np.ndarray) -> np.ndarray:
    grad = np.zeros(feat_shape)
    for key, at in where.items():
        if at is not None:
            grad[at] += grad_out[key]
    return grad


def pool_rois(n: int, batch: int, size: float, seed: int) -> torch.Tensor:
    """float32 RoIs with fractional corners, some past the map edges."""
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, batch, (n, 1), generator=g).float()
    xy = torch.rand(n, 2, generator=g) * size * 1.1 - 0.2 * size
    wh = torch.rand(n, 2, generator=g) * size * 0.7
    return torch.cat([idx, xy, xy + wh], dim=1)


@pytest.mark.parametrize('spatial_scale', [1.0, 0.5, 0.25])
@pytest.mark.parametrize('output_size', [(2, 3), (3, 3)])
def test_roi_pool_matches_per_bin_reference(spatial_scale, output_size):
    g = torch.Generator().manual_seed(0)
    feat = torch.randn(2, 3, 7, 9, generator=g).requires_grad_()
    rois = pool_rois(8, 2, 9 / spatial_scale, seed=1)
    out = mmcv.ops.roi_pool(feat, rois, output_size, spatial_scale)
    expected, where = reference_roi_pool(feat.detach().numpy(),
                                         rois.numpy(), *output_size,
                                         spatial_scale)
    np.testing.assert_array_equal(out.detach().numpy(), expected)
    grad_out = torch.randn(out.shape, generator=g)
    out.backward(grad_out)
    np.testing.assert_allclose(
        feat.grad.numpy(),
        reference_roi_pool_grad(feat.shape, where, grad_out.numpy()),
        rtol=1e-6, atol=1e-6)


def test_roi_pool_gradcheck_through_layer():
    layer = mmcv.ops.RoIPool((2, 3), spatial_scale=0.5)
    # distinct values, so that a small step never changes a bin's maximum
    feat = (torch.randperm(2 * 2 * 6 * 7).double().view(2, 2, 6, 7) /
            10).requires_grad_()
    rois = pool_rois(5, 2, 14, seed=2).double()
    assert torch.autograd.gradcheck(lambda x: layer(x, rois), (feat, ))


def test_roi_pool_differs_from_torchvision_rounding():
    """torchvision rounds the RoI corners first; mmcv floors/ceils the
    unrounded bin edges of ``[x1, x2 + 1)``. Here the two disagree."""
    import torchvision
    feat = torch.arange(1 * 1 * 6 * 6, dtype=torch.float32).view(1, 1, 6, 6)
    rois = torch.tensor([[0., 0.6, 0.6, 2.4, 2.4]])
    ours = mmcv.ops.roi_pool(feat, rois, 2, 1.0)
    tv = torchvision.ops.roi_pool(feat, rois, 2, 1.0)
    # mmcv: [0.6, 3.4) in 2 bins -> [0, 2) and [2, 4)
    expected = torch.tensor([[[[7., 9.], [19., 21.]]]])
    assert torch.equal(ours, expected)
    assert not torch.equal(tv, expected)  # torchvision: [1, 2] and [2, 3)
    ref, _ = reference_roi_pool(feat.numpy(), rois.numpy(), 2, 2, 1.0)
    np.testing.assert_array_equal(ours.numpy(), ref)


def test_roi_pool_empty_bins_and_malformed_rois():
    feat = torch.rand(1, 2, 5, 5, requires_grad=True)
    rois = torch.tensor([
        [0., 7., 7., 9., 9.],  # wholly past the map: every bin empty
        [0., -4., 1., -2., 3.],  # left of the map: empty
        [0., 3., 3., 1., 4.],  # x2 + 1 < x1: malformed, skipped
        [0., 1., 1., 3., 3.],  # an ordinary one
    ])
    out = mmcv.ops.roi_pool(feat, rois, 2, 1.0)
    assert torch.equal(out[:3], torch.zeros(3, 2, 2, 2))
    expected, where = reference_roi_pool(feat.detach().numpy(),
                                         rois.numpy(), 2, 2, 1.0)
    np.testing.assert_array_equal(out.detach().numpy(), expected)
    out[:2].sum().backward(retain_graph=True)
    assert feat.grad.abs().sum() == 0  # empty bins: argmax -1
    feat.grad = None
    out[2].sum().backward()
    # mmcv's wrapper starts argmax at 0 and the kernel skips a malformed
    # RoI, so its gradient lands on pixel (0, 0) of each channel
    grad = torch.zeros(1, 2, 5, 5)
    grad[0, :, 0, 0] = 4
    assert torch.equal(feat.grad, grad)


def test_roi_pool_ties_pick_the_first_maximum_and_no_rois():
    feat = torch.ones(1, 1, 4, 4, requires_grad=True)
    out = mmcv.ops.roi_pool(feat, torch.tensor([[0., 0., 0., 3., 3.]]), 1,
                            1.0)
    out.sum().backward()
    assert out.item() == 1 and feat.grad[0, 0, 0, 0] == 1
    assert feat.grad.sum() == 1
    out = mmcv.ops.roi_pool(feat, torch.zeros(0, 5), 2, 1.0)
    assert out.shape == (0, 1, 2, 2)


def test_roi_pool_all_minus_inf_bin():
    feat = torch.full((1, 1, 3, 3), -math.inf)
    out = mmcv.ops.roi_pool(feat, torch.tensor([[0., 0., 0., 2., 2.]]), 1,
                            1.0)
    assert out.item() == -torch.finfo(torch.float32).max


# ------------------------------------------------------- roi_align, max mode
def bilinear(img: np.ndarray, y: float, x: float) -> float:
    """mmcv's bilinear_interpolate on a 2-D map (0 off the map)."""
    height, width = img.shape
    if y < -1.0 or y > height or x < -1.0 or x > width:
        return 0.0
    y, x = max(y, 0.0), max(x, 0.0)
    y0, x0 = int(y), int(x)
    y1, x1 = min(y0 + 1, height - 1), min(x0 + 1, width - 1)
    if y0 >= height - 1:
        y0, y = height - 1, float(height - 1)
    if x0 >= width - 1:
        x0, x = width - 1, float(width - 1)
    ly, lx = y - y0, x - x0
    return ((1 - ly) * (1 - lx) * img[y0, x0] + (1 - ly) * lx * img[y0, x1] +
            ly * (1 - lx) * img[y1, x0] + ly * lx * img[y1, x1])


def reference_roi_align_max(feat: np.ndarray, rois: np.ndarray, out_h: int,
                            out_w: int, scale: float, sampling_ratio: int,
                            aligned: bool) -> np.ndarray:
    out = np.zeros((len(rois), feat.shape[1], out_h, out_w))
    shift = 0.5 if aligned else 0.0
    for r, (b, x1, y1, x2, y2) in enumerate(rois):
        sx, sy = x1 * scale - shift, y1 * scale - shift
        rw, rh = x2 * scale - shift - sx, y2 * scale - shift - sy
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        bw, bh = rw / out_w, rh / out_h
        gh = sampling_ratio or math.ceil(rh / out_h)
        gw = sampling_ratio or math.ceil(rw / out_w)
        for c in range(feat.shape[1]):
            for ph in range(out_h):
                for pw in range(out_w):
                    samples = [
                        bilinear(feat[int(b), c],
                                 sy + ph * bh + (iy + 0.5) * bh / gh,
                                 sx + pw * bw + (ix + 0.5) * bw / gw)
                        for iy in range(gh) for ix in range(gw)
                    ]
                    out[r, c, ph, pw] = max(samples + [-10000.0])
    return out


def align_rois(n: int, batch: int, size: float, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, batch, (n, 1), generator=g).double()
    xy = torch.rand(n, 2, generator=g, dtype=torch.float64) * size - 2
    wh = torch.rand(n, 2, generator=g, dtype=torch.float64) * size * 0.6
    wh[0] = 0.3  # smaller than a pixel
    return torch.cat([idx, xy, xy + wh], dim=1)


@pytest.mark.parametrize('aligned', [True, False])
@pytest.mark.parametrize('sampling_ratio', [0, 1, 2])
@pytest.mark.parametrize('spatial_scale', [1.0, 0.5])
def test_roi_align_max_matches_reference(aligned, sampling_ratio,
                                         spatial_scale):
    feat = torch.randn(2, 3, 7, 9, dtype=torch.float64,
                       generator=torch.Generator().manual_seed(0))
    rois = align_rois(6, 2, 9 / spatial_scale, seed=1)
    out = mmcv.ops.roi_align(feat, rois, (3, 2), spatial_scale,
                             sampling_ratio, 'max', aligned)
    expected = reference_roi_align_max(feat.numpy(), rois.numpy(), 3, 2,
                                       spatial_scale, sampling_ratio,
                                       aligned)
    np.testing.assert_allclose(out.numpy(), expected, rtol=0, atol=1e-12)
    avg = mmcv.ops.roi_align(feat, rois, (3, 2), spatial_scale,
                             sampling_ratio, 'avg', aligned)
    # one sample per bin: max and avg agree; more: the mode matters
    assert torch.allclose(out, avg) == (sampling_ratio == 1)


@pytest.mark.parametrize('aligned', [True, False])
@pytest.mark.parametrize('sampling_ratio', [0, 2])
def test_roi_align_max_gradcheck(aligned, sampling_ratio):
    layer = mmcv.ops.RoIAlign((2, 3), spatial_scale=0.5,
                              sampling_ratio=sampling_ratio,
                              pool_mode='max', aligned=aligned)
    feat = torch.randn(2, 2, 5, 6, dtype=torch.float64, requires_grad=True)
    rois = align_rois(4, 2, 12, seed=2)
    assert torch.autograd.gradcheck(lambda x: layer(x, rois), (feat, ))


def test_roi_align_max_gradient_goes_to_the_argmax_point():
    """Constant map: every sample ties, the first (top-left) one wins and
    its four bilinear neighbours get the gradient."""
    feat = torch.ones(1, 1, 6, 6, dtype=torch.float64, requires_grad=True)
    rois = torch.tensor([[0., 1., 1., 4., 4.]], dtype=torch.float64)
    out = mmcv.ops.roi_align(feat, rois, 1, 1.0, 2, 'max', False)
    out.backward()
    # samples at 1 + 3 * (0.5, 1.5) / 2 = 1.75, 3.25; the first is
    # (1.75, 1.75): weights .25*.25, .25*.75, .75*.25, .75*.75
    expected = torch.zeros(1, 1, 6, 6, dtype=torch.float64)
    expected[0, 0, 1:3, 1:3] = torch.tensor([[0.0625, 0.1875],
                                             [0.1875, 0.5625]])
    assert out.item() == 1
    torch.testing.assert_close(feat.grad, expected, rtol=0, atol=1e-15)


def test_roi_align_max_floor_and_empty_grid():
    feat = torch.full((1, 1, 4, 4), -20000.0, requires_grad=True)
    rois = torch.tensor([[0., 0., 0., 3., 3.], [0., 1., 1., 1., 1.]])
    out = mmcv.ops.roi_align(feat, rois, 2, 1.0, 0, 'max', True)
    # below mmcv's CPU starting value -10000; a zero-size RoI samples nothing
    assert torch.equal(out, torch.full((2, 1, 2, 2), -10000.0))
    out.sum().backward()
    assert feat.grad.abs().sum() == 0
    with pytest.raises(ValueError, match='non-negative size'):
        mmcv.ops.roi_align(feat, torch.tensor([[0., 3., 0., 1., 3.]]), 2,
                           1.0, 0, 'max', True)


# ------------------------------------------------------- sigmoid focal loss
@pytest.mark.parametrize('reduction', ['none', 'mean', 'sum'])
@pytest.mark.parametrize('with_weight', [False, True])
@pytest.mark.parametrize('gamma, alpha', [(2.0, 0.25), (1.5, 0.6)])
def test_sigmoid_focal_loss_matches_mmdet_pytorch_version(
        reduction, with_weight, gamma, alpha):
    """mmdet's pure-PyTorch focal loss (BCE with logits times the focal
    weight, on one-hot targets; label ``num_classes`` is background) is an
    independent computation of the same loss; autograd gives its
    gradient. mmcv weights by class (``weight[target]``)."""
    from mmdet.models.losses.focal_loss import py_sigmoid_focal_loss
    g = torch.Generator().manual_seed(0)
    logits = (torch.randn(12, 5, generator=g, dtype=torch.float64) *
              3).requires_grad_()
    # 5: background, only without class weights (mmcv's kernel would read
    # weight[5], past the end)
    target = torch.randint(0, 5 if with_weight else 6, (12, ), generator=g)
    class_weight = torch.rand(5, generator=g, dtype=torch.float64)
    out = mmcv.ops.sigmoid_focal_loss(logits, target, gamma, alpha,
                                      class_weight if with_weight else None,
                                      reduction)
    one_hot = torch.nn.functional.one_hot(target, 6)[:, :5]
    ref = py_sigmoid_focal_loss(logits, one_hot.double(), None, gamma,
                                alpha, 'none')
    if with_weight:  # mmcv's rows take the weight of their target class
        ref = ref * class_weight[target].view(-1, 1)
    ref = {'none': ref, 'sum': ref.sum(), 'mean': ref.sum() / 12}[reduction]
    torch.testing.assert_close(out, ref, rtol=1e-10, atol=1e-12)
    grad_out = torch.rand(out.shape, generator=g, dtype=torch.float64)
    mine, = torch.autograd.grad(out, logits, grad_out)
    expected, = torch.autograd.grad(ref, logits, grad_out)
    torch.testing.assert_close(mine, expected, rtol=1e-8, atol=1e-10)


def test_sigmoid_focal_loss_weight_with_background_is_refused():
    with pytest.raises(ValueError, match='past its end'):
        mmcv.ops.sigmoid_focal_loss(torch.rand(2, 3), torch.tensor([0, 3]),
                                    2.0, 0.25, torch.ones(3), 'sum')
