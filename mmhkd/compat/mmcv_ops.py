"""Opt-in stand-in for mmcv's compiled ops (``mmcv._ext``) on mmcv-lite.

mmcv-lite ships the Python half of ``mmcv.ops`` but not the compiled
extension ``mmcv._ext``. Every ``mmcv/ops/*.py`` runs
``ext_module = ext_loader.load_ext('_ext', [names])`` at import time, so
``import mmcv.ops`` (and with it ``mmdet.models``, ``mmseg.models``) fails
with ``No module named 'mmcv._ext'``.

:func:`install_mmcv_ops_stand_in` registers a module as
``sys.modules['mmcv._ext']`` whose entry points follow the calling
conventions of mmcv's Python wrappers (same positional and keyword
arguments, outputs written in place) and use the same arithmetic as
mmcv's kernels:

- ``nms`` (``torchvision.ops.nms``; ``offset=1`` by the same float32 greedy
  loop as mmcv's CPU kernel),
- ``roi_align_forward`` / ``roi_align_backward``: ``pool_mode='avg'`` by
  torchvision, ``pool_mode='max'`` in torch after mmcv's CPU kernel (max
  over each bin's bilinear samples, started at -10000; the gradient goes
  bilinearly to the argmax point),
- ``roi_pool_forward`` / ``roi_pool_backward`` in torch after mmcv's CUDA
  kernel (mmcv has no CPU one): bins are floored/ceiled from the unrounded
  RoI ``[x1, x2 + 1) * spatial_scale``, which torchvision's ``roi_pool``
  (rounding the corners first) does not reproduce,
- ``sigmoid_focal_loss_forward`` / ``_backward`` in torch after mmcv's
  kernel (closed-form gradient; a class weight with a background label is
  refused, as mmcv's kernel reads past the weight),
- ``deform_conv_forward`` / ``deform_conv_backward_input`` /
  ``deform_conv_backward_parameters`` and ``modulated_deform_conv_forward``
  / ``modulated_deform_conv_backward`` (``torchvision.ops.deform_conv2d``).

Every other entry point exists (so ``load_ext``'s checks pass and every
``mmcv.ops`` module imports) but raises :class:`MmcvOpUnavailableError`
naming the op and the model family that needs it (:func:`model_family`)
when it is called: e.g. ``softnms``, ``nms_match``, rotated/quadrilateral
ops, multi-scale deformable attention, CARAFE, ``softmax_focal_loss``,
3-D and point-cloud ops.

The stand-in is opt-in: importing this module installs it (so a config can
say ``custom_imports=dict(imports=['mmhkd.compat.mmcv_ops'])``), and
``import mmhkd`` alone does not. It does nothing when a real compiled
``mmcv._ext`` imports. Nothing in mmcv, torch or torchvision is modified.
"""
import importlib
import importlib.abc
import importlib.machinery
import math
import sys
import types
import warnings
from typing import Any, Callable, NoReturn

import torch
from torch import Tensor

EXT_MODULE = 'mmcv._ext'


class MmcvOpUnavailableError(RuntimeError):
    """Raised when a compiled mmcv op that the stand-in lacks is called."""


# Which model family needs a refused op: (name prefixes, family). The first
# matching prefix wins; the message names the family.
_OP_FAMILIES = (
    (('nms_rotated', 'box_iou_rotated', 'roi_align_rotated',
      'riroi_align_rotated', 'rotated_feature_align', 'active_rotated_filter',
      'nms_quadri', 'box_iou_quadri', 'convex_iou', 'convex_giou',
      'min_area_polygons', 'points_in_polygons',
      'diff_iou_rotated'), 'rotated-box detectors (mmrotate)'),
    (('softnms', ), 'detectors configured with soft-NMS (nms type soft_nms)'),
    (('nms_match', ), 'detectors configured with NMS match'),
    (('ms_deform_attn', ), 'Deformable DETR, DINO and Mask2Former\'s pixel '
     'decoder (multi-scale deformable attention)'),
    (('carafe', ), 'CARAFE upsampling (CARAFE FPN)'),
    (('deform_roi_pool', ), 'deformable RoI pooling heads'),
    (('prroi_pool', ), 'precise RoI pooling (PrRoIPool)'),
    (('bezier_align', ), 'ABCNet-style text spotters (mmocr)'),
    (('border_align', ), 'BorderDet'),
    (('masked_im2col', 'masked_col2im'), 'masked convolution'),
    (('contour_expand', 'pixel_group'), 'PSENet / PANet text detectors '
     '(mmocr)'),
    (('psamask', ), 'PSANet (mmseg)'),
    (('cc_attention', ), 'CCNet (criss-cross attention)'),
    (('correlation', ), 'optical flow models (mmflow)'),
    (('tin_shift', ), 'TIN video recognition (mmaction2)'),
    (('upfirdn2d', 'fused_bias_leakyrelu', 'bias_act', 'filtered_lrelu'),
     'StyleGAN-family generators (mmagic)'),
    (('ball_query', 'stack_ball_query', 'furthest_point_sampling',
      'three_nn', 'three_interpolate', 'gather_points', 'group_points',
      'stack_group_points', 'knn', 'assign_score_withk',
      'chamfer_distance'), 'point-cloud networks (mmdet3d)'),
    (('points_in_boxes', 'hard_voxelize', 'dynamic_voxelize',
      'dynamic_point_to_voxel', 'iou3d', 'roiaware_pool3d',
      'roipoint_pool3d', 'get_indice_pairs', 'indice_', 'fused_indice'),
     '3D detectors (mmdet3d)'),
    (('sync_bn', ), 'multi-GPU SyncBN (mmcv.ops.SyncBatchNorm)'),
    (('softmax_focal_loss', ), 'mmcv.ops.softmax_focal_loss callers'),
    (('roi_align', ), 'RoI heads using RoIAlign'),
    (('bbox_overlaps', ), 'mmcv.ops.bbox_overlaps callers'),
)


def model_family(name: str) -> str:
    """The model family that needs the compiled op ``name`` (best guess
    from its name; 'models using this op' when unknown)."""
    for prefixes, family in _OP_FAMILIES:
        if name.startswith(prefixes):
            return family
    return 'models using this op'


def _refuse(name: str, why: str = '') -> NoReturn:
    reason = f' ({why})' if why else ''
    raise MmcvOpUnavailableError(
        f"mmcv op '{name}' is not available{reason}; it is needed by "
        f'{model_family(name)}. mmcv-lite has no compiled ops and mmhkd\'s '
        'stand-in (mmhkd.compat.mmcv_ops) provides only nms, roi_align, '
        'roi_pool, sigmoid_focal_loss, deform_conv and '
        'modulated_deform_conv. Install the full mmcv with compiled ops '
        '(`pip uninstall mmcv-lite && mim install "mmcv==2.1.0"`), or use '
        'a model that does not need this op.')


def _unavailable(name: str) -> Callable[..., NoReturn]:
    """A function standing for the compiled entry point ``name``."""

    def unavailable(*args: Any, **kwargs: Any) -> NoReturn:
        _refuse(name)

    unavailable.__name__ = unavailable.__qualname__ = name
    unavailable.__mmhkd_unavailable__ = True
    return unavailable


# --------------------------------------------------------------------- nms
def nms(boxes: Tensor, scores: Tensor, iou_threshold: float,
        offset: int) -> Tensor:
    """Greedy NMS; the indices kept, highest score first (mmcv's ``nms``).

    mmcv compares the IoU with the float32 threshold, so it is rounded to
    float32 before torchvision (which compares in double) sees it.
    """
    if boxes.numel() == 0:
        return boxes.new_empty((0, ), dtype=torch.long)
    threshold = float(torch.tensor(iou_threshold, dtype=torch.float32))
    if offset == 0:
        import torchvision
        return torchvision.ops.nms(boxes, scores, threshold)
    return _nms_with_offset(boxes, scores, threshold, offset)


def _nms_with_offset(boxes: Tensor, scores: Tensor, threshold: float,
                     offset: int) -> Tensor:
    """mmcv's legacy ``offset=1`` NMS (box width ``x2 - x1 + 1``)."""
    x1, y1, x2, y2 = (boxes[:, i].contiguous() for i in range(4))
    areas = (x2 - x1 + offset) * (y2 - y1 + offset)
    order = scores.sort(0, descending=True)[1]
    keep = torch.ones(boxes.size(0), dtype=torch.bool, device=boxes.device)
    zero = boxes.new_zeros(())
    thr = torch.tensor(threshold, dtype=boxes.dtype, device=boxes.device)
    for pos in range(order.numel()):
        if not keep[pos]:
            continue
        i = order[pos]
        rest = order[pos + 1:]
        w = torch.maximum(zero, torch.minimum(x2[i], x2[rest]) -
                          torch.maximum(x1[i], x1[rest]) + offset)
        h = torch.maximum(zero, torch.minimum(y2[i], y2[rest]) -
                          torch.maximum(y1[i], y1[rest]) + offset)
        inter = w * h
        iou = inter / (areas[i] + areas[rest] - inter)
        keep[pos + 1:] &= ~(iou > thr)
    return order[keep]


# --------------------------------------------------------------- roi_align
def roi_align_forward(input: Tensor, rois: Tensor, output: Tensor,
                      argmax_y: Tensor, argmax_x: Tensor, aligned_height: int,
                      aligned_width: int, spatial_scale: float,
                      sampling_ratio: int, pool_mode: int,
                      aligned: bool) -> None:
    """Fill ``output`` with RoIAlign of ``input`` (``pool_mode`` 0: max,
    also filling ``argmax_y``/``argmax_x``; 1: avg, by torchvision)."""
    if pool_mode == 0:
        _roi_align_max(input, rois, output, argmax_y, argmax_x,
                       int(aligned_height), int(aligned_width),
                       spatial_scale, int(sampling_ratio), bool(aligned))
        return
    if pool_mode != 1:
        _refuse('roi_align_forward', f'pool_mode={pool_mode}')
    output.copy_(
        torch.ops.torchvision.roi_align(input, rois, float(spatial_scale),
                                        int(aligned_height),
                                        int(aligned_width),
                                        int(sampling_ratio), bool(aligned)))


def roi_align_backward(grad_output: Tensor, rois: Tensor, argmax_y: Tensor,
                       argmax_x: Tensor, grad_input: Tensor,
                       aligned_height: int, aligned_width: int,
                       spatial_scale: float, sampling_ratio: int,
                       pool_mode: int, aligned: bool) -> None:
    """Add RoIAlign's input gradient to ``grad_input``."""
    if pool_mode == 0:
        _roi_align_max_backward(grad_output, rois, argmax_y, argmax_x,
                                grad_input)
        return
    if pool_mode != 1:
        _refuse('roi_align_backward', f'pool_mode={pool_mode}')
    batch, channels, height, width = grad_input.shape
    grad_input.add_(
        torch.ops.torchvision._roi_align_backward(
            grad_output, rois, float(spatial_scale), int(aligned_height),
            int(aligned_width), batch, channels, height, width,
            int(sampling_ratio), bool(aligned)))


# ------------------------------------------------------ roi_align, max mode
_ROI_ALIGN_MAX_FLOOR = -10000.0  # mmcv's CPU kernel starts the max here


def _roi_align_geometry(rois: Tensor, pooled_height: int, pooled_width: int,
                        spatial_scale: float, sampling_ratio: int,
                        aligned: bool, dtype: torch.dtype) -> tuple:
    """Per RoI: start, bin size and grid size in y and x, as mmcv's CPU
    kernel computes them (arithmetic in the input dtype)."""
    rois = rois.detach().to(dtype)
    scale = torch.tensor(spatial_scale, dtype=torch.float32).to(dtype)
    shift = 0.5 if aligned else 0.0
    start_x = rois[:, 1] * scale - shift
    start_y = rois[:, 2] * scale - shift
    size_x = rois[:, 3] * scale - shift - start_x
    size_y = rois[:, 4] * scale - shift - start_y
    if aligned:
        if bool(((size_x < 0) | (size_y < 0)).any()):
            raise ValueError('ROIs in ROIAlign cannot have non-negative '
                             'size! (mmcv asserts this for aligned=True)')
    else:
        size_x, size_y = size_x.clamp(min=1), size_y.clamp(min=1)
    bin_y, bin_x = size_y / pooled_height, size_x / pooled_width
    if sampling_ratio > 0:
        grid_y = torch.full_like(rois[:, 0], sampling_ratio).long()
        grid_x = grid_y
    else:  # ceilf of the float32-rounded quotient
        grid_y = bin_y.float().ceil().long()
        grid_x = bin_x.float().ceil().long()
    return start_y, bin_y, grid_y, start_x, bin_x, grid_x


def _sample_points(start: Tensor, bin_size: Tensor, grid: Tensor,
                   pooled: int, k: int) -> tuple:
    """Sample coordinates (R, pooled, k) and which of the k are on the
    RoI's grid: ``start + p * bin + (i + .5) * bin / grid``."""
    p = torch.arange(pooled, dtype=bin_size.dtype, device=bin_size.device)
    i = torch.arange(k, dtype=bin_size.dtype, device=bin_size.device)
    grid_t = grid.to(bin_size.dtype).clamp(min=1)[:, None, None]
    corner = start[:, None] + p[None] * bin_size[:, None]
    step = (i + 0.5)[None, None] * bin_size[:, None, None] / grid_t
    on_grid = torch.arange(k, device=grid.device) < grid[:, None, None]
    return corner[:, :, None] + step, on_grid.expand(-1, pooled, -1)


def _bilinear_taps(coord: Tensor, size: int) -> tuple:
    """mmcv's ``bilinear_interpolate`` along one axis: low and high
    indices, their weights, and whether the point is on the map."""
    on_map = (coord >= -1.0) & (coord <= size)
    c = coord.clamp(min=0)
    low = c.long()  # truncation, c >= 0
    at_end = low >= size - 1
    low = torch.where(at_end, torch.full_like(low, size - 1), low)
    high = torch.where(at_end, low, low + 1)
    c = torch.where(at_end, low.to(c.dtype), c)
    frac = c - low.to(c.dtype)
    return low, high, 1.0 - frac, frac, on_map


def _roi_align_max(input: Tensor, rois: Tensor, output: Tensor,
                   argmax_y: Tensor, argmax_x: Tensor, pooled_height: int,
                   pooled_width: int, spatial_scale: float,
                   sampling_ratio: int, aligned: bool) -> None:
    """RoIAlign, max over each bin's bilinear samples (mmcv's CPU kernel:
    the first sample above -10000 that is larger than all before it, in
    row-major grid order; ``argmax_y/x`` are its unclamped coordinates,
    -1 when no sample qualifies)."""
    batch, channels, height, width = input.shape
    if rois.size(0) == 0 or channels == 0:
        return
    dtype = input.dtype
    start_y, bin_y, grid_y, start_x, bin_x, grid_x = _roi_align_geometry(
        rois, pooled_height, pooled_width, spatial_scale, sampling_ratio,
        aligned, dtype)
    image = rois[:, 0].detach().to(dtype).long()
    feat = input.detach().transpose(0, 1).reshape(channels, -1)
    floor_value = torch.tensor(_ROI_ALIGN_MAX_FLOOR, dtype=dtype)
    per_row = channels * pooled_height * pooled_width
    for lo, hi in _chunks(grid_y * grid_x, per_row):
        part = slice(lo, hi)
        k_y = max(int(grid_y[part].max()), 1)
        k_x = max(int(grid_x[part].max()), 1)
        ys, y_on = _sample_points(start_y[part], bin_y[part], grid_y[part],
                                  pooled_height, k_y)
        xs, x_on = _sample_points(start_x[part], bin_x[part], grid_x[part],
                                  pooled_width, k_x)
        y0, y1, hy, ly, y_in = _bilinear_taps(ys, height)
        x0, x1, hx, lx, x_in = _bilinear_taps(xs, width)
        base = (image[part] * height * width).view(-1, 1, 1, 1, 1)

        def tap(yi: Tensor, xi: Tensor) -> Tensor:
            index = (yi[:, :, None, :, None] * width +
                     xi[:, None, :, None, :] + base)
            return feat[:, index.flatten()].view(channels, *index.shape)

        def w(wy: Tensor, wx: Tensor) -> Tensor:
            return wy[:, :, None, :, None] * wx[:, None, :, None, :]

        values = (w(hy, hx) * tap(y0, x0) + w(hy, lx) * tap(y0, x1) +
                  w(ly, hx) * tap(y1, x0) + w(ly, lx) * tap(y1, x1))
        on_map = y_in[:, :, None, :, None] & x_in[:, None, :, None, :]
        values = values.masked_fill(~on_map, 0)
        on_grid = y_on[:, :, None, :, None] & x_on[:, None, :, None, :]
        values = values.masked_fill(~on_grid | values.isnan(), -math.inf)
        best, pick = values.flatten(-2).max(-1)  # (C, R, PH, PW)
        found = best > floor_value
        pick_y = torch.div(pick, k_x, rounding_mode='floor')
        pick_x = pick % k_x
        r = torch.arange(hi - lo, device=input.device).view(1, -1, 1, 1)
        ph = torch.arange(pooled_height, device=input.device).view(
            1, 1, -1, 1)
        pw = torch.arange(pooled_width, device=input.device).view(1, 1, 1, -1)
        arg_y = ys[r, ph, pick_y].masked_fill(~found, -1)
        arg_x = xs[r, pw, pick_x].masked_fill(~found, -1)
        out = torch.where(found, best, floor_value)
        output[lo:hi] = out.transpose(0, 1).to(output.dtype)
        argmax_y[lo:hi] = arg_y.transpose(0, 1).to(argmax_y.dtype)
        argmax_x[lo:hi] = arg_x.transpose(0, 1).to(argmax_x.dtype)


def _roi_align_max_backward(grad_output: Tensor, rois: Tensor,
                            argmax_y: Tensor, argmax_x: Tensor,
                            grad_input: Tensor) -> None:
    """Spread each bin's gradient bilinearly around its argmax point
    (nothing where ``argmax_y`` is -1 or the point is off the map)."""
    batch, channels, height, width = grad_input.shape
    if rois.size(0) == 0 or channels == 0:
        return
    y0, y1, hy, ly, y_in = _bilinear_taps(argmax_y.detach(), height)
    x0, x1, hx, lx, x_in = _bilinear_taps(argmax_x.detach(), width)
    hit = (argmax_y != -1) & y_in & x_in
    image = rois[:, 0].detach().to(grad_input.dtype).long().view(-1, 1, 1, 1)
    channel = torch.arange(channels, device=rois.device).view(1, -1, 1, 1)
    base = (image * channels + channel) * height * width
    grad = grad_output.to(grad_input.dtype)
    flat = grad_input.new_zeros(grad_input.numel())
    for yi, xi, weight in ((y0, x0, hy * hx), (y0, x1, hy * lx),
                           (y1, x0, ly * hx), (y1, x1, ly * lx)):
        index = base + yi * width + xi
        flat.index_add_(0, index[hit], (grad * weight)[hit])
    grad_input.add_(flat.view(grad_input.shape))


# ---------------------------------------------------------------- roi_pool
_FLT_MAX = float(torch.finfo(torch.float32).max)
_CHUNK_ELEMENTS = 1 << 22  # values gathered at once (about 16 MB float32)


def _chunks(cost: Tensor, per_row: int) -> list:
    """Split ``range(len(cost))`` into runs whose padded size (run length
    times the run's largest ``cost``, times ``per_row``) stays near
    ``_CHUNK_ELEMENTS``; a run has at least one row."""
    runs, start, widest = [], 0, 0
    for i, c in enumerate(cost.tolist()):
        widest_next = max(widest, int(c))
        if i > start and (i + 1 - start) * widest_next * per_row > \
                _CHUNK_ELEMENTS:
            runs.append((start, i))
            start, widest_next = i, int(c)
        widest = widest_next
    if start < len(cost):
        runs.append((start, len(cost)))
    return runs


def _fused_multiply_add(a: Tensor, b: Tensor, c: Tensor) -> Tensor:
    """``a * b + c`` rounded once to the dtype of ``b`` (nvcc contracts
    mmcv's ``pw * bin_size + roi_x1`` into an FMA). Exact for float32 and
    half operands; float64 is computed unfused."""
    exact = a.double() * b.double() + c.double()
    return exact.to(b.dtype)


def _roi_pool_bin_edges(start: Tensor, size: Tensor, pooled: int,
                        limit: int) -> tuple:
    """Integer bin edges ``[lo, hi)`` (rows: RoIs, columns: bins) as
    mmcv's kernel computes them: ``floorf``/``ceilf`` of the unrounded
    edges (cast to float32, as ``floorf`` takes a float), clipped to
    ``[0, limit]``."""
    bin_size = size / pooled
    index = torch.arange(pooled + 1, dtype=bin_size.dtype,
                         device=bin_size.device)
    edges = _fused_multiply_add(index[None], bin_size[:, None],
                                start[:, None]).float()
    lo = edges[:, :-1].floor().clamp(0, limit).long()
    hi = edges[:, 1:].ceil().clamp(0, limit).long()
    return lo, hi


def roi_pool_forward(input: Tensor, rois: Tensor, output: Tensor,
                     argmax: Tensor, pooled_height: int, pooled_width: int,
                     spatial_scale: float) -> None:
    """Fill ``output`` and ``argmax`` with mmcv's RoI max pooling.

    Follows mmcv's CUDA kernel (mmcv has no CPU one): a RoI spans
    ``[x1, x2 + 1) * spatial_scale`` without rounding, bin ``pw`` spans
    ``floor(x1' + pw * w / pooled_width)`` to ``ceil(x1' + (pw + 1) * w /
    pooled_width)``, clipped to the map; the maximum is the first one in
    row-major order and ``argmax`` is its offset ``h * width + w`` in the
    map. An empty bin gives 0 and argmax -1; a bin whose values are all
    at most ``-FLT_MAX`` (or NaN) gives ``-FLT_MAX`` and -1. A RoI with
    ``x2 + 1 <= x1`` (or the same in y) is skipped: its ``output`` and
    ``argmax`` keep what the caller put there (mmcv's wrapper: zeros).
    """
    num_rois = rois.size(0)
    batch, channels, height, width = input.shape
    if num_rois == 0 or channels == 0:
        return
    dtype = input.dtype
    rois = rois.detach().to(dtype)
    scale = torch.tensor(spatial_scale, dtype=torch.float32).to(dtype)
    x1 = rois[:, 1] * scale
    y1 = rois[:, 2] * scale
    roi_w = (rois[:, 3] + 1) * scale - x1
    roi_h = (rois[:, 4] + 1) * scale - y1
    kept = ((roi_w > 0) & (roi_h > 0)).nonzero()[:, 0]
    if kept.numel() == 0:
        return
    y_lo, y_hi = _roi_pool_bin_edges(y1[kept], roi_h[kept], pooled_height,
                                     height)
    x_lo, x_hi = _roi_pool_bin_edges(x1[kept], roi_w[kept], pooled_width,
                                     width)
    image = rois[kept, 0].long()  # C's int conversion truncates
    feat = input.detach().transpose(0, 1).reshape(channels, -1)
    floor_value = torch.tensor(-_FLT_MAX, dtype=torch.float32).to(dtype)
    span_y = (y_hi - y_lo).clamp(min=0).amax(1)
    span_x = (x_hi - x_lo).clamp(min=0).amax(1)
    per_row = channels * pooled_height * pooled_width
    for start, stop in _chunks(span_y * span_x, per_row):
        part = slice(start, stop)
        k_h = max(int(span_y[part].max()), 1)
        k_w = max(int(span_x[part].max()), 1)
        ys = y_lo[part, :, None] + torch.arange(k_h, device=input.device)
        xs = x_lo[part, :, None] + torch.arange(k_w, device=input.device)
        y_in = ys < y_hi[part, :, None]  # (R, PH, Kh)
        x_in = xs < x_hi[part, :, None]  # (R, PW, Kw)
        offsets = (ys.clamp(max=height - 1)[:, :, None, :, None] * width +
                   xs.clamp(max=width - 1)[:, None, :, None, :])
        index = offsets + (image[part] * height * width).view(-1, 1, 1, 1, 1)
        inside = y_in[:, :, None, :, None] & x_in[:, None, :, None, :]
        values = feat[:, index.flatten()].view(channels, *index.shape)
        values = values.masked_fill(~inside | values.isnan(), -math.inf)
        values = values.flatten(-2)  # (C, R, PH, PW, Kh * Kw)
        best, pick = values.max(-1)
        found = best > floor_value
        position = offsets.flatten(-2).expand(channels, *offsets.shape[:3],
                                              -1)
        arg = position.gather(-1, pick[..., None])[..., 0]
        empty = ~inside.flatten(-2).any(-1)  # (R, PH, PW)
        out = torch.where(found, best, floor_value).masked_fill(empty, 0)
        arg = arg.masked_fill(~found | empty, -1)
        output[kept[part]] = out.transpose(0, 1).to(output.dtype)
        argmax[kept[part]] = arg.transpose(0, 1).to(argmax.dtype)


def roi_pool_backward(grad_output: Tensor, rois: Tensor, argmax: Tensor,
                      grad_input: Tensor, pooled_height: int,
                      pooled_width: int, spatial_scale: float) -> None:
    """Add each ``grad_output`` element to ``grad_input`` at its
    ``argmax`` (mmcv's kernel: nothing for argmax -1)."""
    num_rois = rois.size(0)
    batch, channels, height, width = grad_input.shape
    if num_rois == 0 or channels == 0:
        return
    image = rois[:, 0].long().view(-1, 1, 1, 1)
    channel = torch.arange(channels, device=rois.device).view(1, -1, 1, 1)
    arg = argmax.long()
    index = ((image * channels + channel) * height * width + arg).flatten()
    hit = arg.flatten() != -1
    flat = grad_input.new_zeros(grad_input.numel())
    flat.index_add_(0, index[hit],
                    grad_output.flatten()[hit].to(grad_input.dtype))
    grad_input.add_(flat.view(grad_input.shape))


# ------------------------------------------------------- sigmoid focal loss
def _sigmoid_focal_terms(input: Tensor, target: Tensor, weight: Tensor,
                         alpha: float, gamma: float,
                         backward: bool) -> Tensor:
    """mmcv's per-element sigmoid focal loss (or its input gradient):
    class ``c`` of row ``n`` is positive when ``target[n] == c``; logs are
    of probabilities clipped below at ``FLT_MIN``; an empty ``weight``
    means no class weights."""
    tiny = float(torch.finfo(torch.float32).tiny)
    p = torch.sigmoid(input)
    q = 1 - p
    log_p, log_q = p.clamp(min=tiny).log(), q.clamp(min=tiny).log()
    if backward:
        term_p = q.pow(gamma) * (q - gamma * p * log_p)
        term_n = p.pow(gamma) * (gamma * q * log_q - p)
    else:
        term_p = q.pow(gamma) * log_p
        term_n = p.pow(gamma) * log_q
    classes = torch.arange(input.size(1), device=input.device)
    positive = target.view(-1, 1) == classes
    out = torch.where(positive, -alpha * term_p, -(1 - alpha) * term_n)
    if weight.numel() > 0:
        if bool((target >= weight.numel()).any()):
            raise ValueError(
                'sigmoid_focal_loss with a class weight and a background '
                'target (label == num_classes): mmcv\'s kernel reads '
                'weight[label] past its end, so there is no defined result')
        out = out * weight[target].view(-1, 1)
    return out


def sigmoid_focal_loss_forward(input: Tensor, target: Tensor,
                               weight: Tensor, output: Tensor, gamma: float,
                               alpha: float) -> None:
    """Fill ``output`` with mmcv's unreduced sigmoid focal loss."""
    output.copy_(_sigmoid_focal_terms(input, target, weight, alpha, gamma,
                                      False))


def sigmoid_focal_loss_backward(input: Tensor, target: Tensor,
                                weight: Tensor, grad_input: Tensor,
                                gamma: float, alpha: float) -> None:
    """Fill ``grad_input`` with the loss's derivative per logit (mmcv's
    closed form; the wrapper then scales it by ``grad_output``)."""
    grad_input.copy_(_sigmoid_focal_terms(input, target, weight, alpha,
                                          gamma, True))


# ------------------------------------------------------------- deform_conv
def _deform_conv(input: Tensor, weight: Tensor, offset: Tensor,
                 mask: Tensor, bias: Tensor, stride_h: int, stride_w: int,
                 pad_h: int, pad_w: int, dil_h: int, dil_w: int, group: int,
                 deformable_group: int, use_mask: bool) -> Tensor:
    return torch.ops.torchvision.deform_conv2d(input, weight, offset, mask,
                                               bias, stride_h, stride_w,
                                               pad_h, pad_w, dil_h, dil_w,
                                               group, deformable_group,
                                               use_mask)


def _no_bias(weight: Tensor) -> Tensor:
    return weight.new_zeros(weight.size(0))


def _no_mask(input: Tensor) -> Tensor:
    return input.new_zeros((input.size(0), 1))  # torchvision checks its batch


def deform_conv_forward(input: Tensor, weight: Tensor, offset: Tensor,
                        output: Tensor, columns: Tensor, ones: Tensor,
                        kW: int, kH: int, dW: int, dH: int, padW: int,
                        padH: int, dilationW: int, dilationH: int, group: int,
                        deformable_group: int, im2col_step: int) -> None:
    """Fill ``output`` with the deformable convolution (DCNv1, no bias)."""
    output.copy_(
        _deform_conv(input, weight, offset, _no_mask(input), _no_bias(weight),
                     dH, dW, padH, padW, dilationH, dilationW, group,
                     deformable_group, False))


def _deform_conv_grads(input: Tensor, offset: Tensor, weight: Tensor,
                       grad_output: Tensor, dW: int, dH: int, padW: int,
                       padH: int, dilationW: int, dilationH: int, group: int,
                       deformable_group: int) -> tuple:
    with torch.enable_grad():
        leaves = [t.detach().requires_grad_() for t in (input, offset, weight)]
        out = _deform_conv(leaves[0], leaves[2], leaves[1],
                           _no_mask(input), _no_bias(weight), dH, dW, padH,
                           padW, dilationH, dilationW, group,
                           deformable_group, False)
        return torch.autograd.grad(out, leaves, grad_output)


def deform_conv_backward_input(input: Tensor, offset: Tensor,
                               gradOutput: Tensor, gradInput: Tensor,
                               gradOffset: Tensor, weight: Tensor,
                               columns: Tensor, kW: int, kH: int, dW: int,
                               dH: int, padW: int, padH: int, dilationW: int,
                               dilationH: int, group: int,
                               deformable_group: int,
                               im2col_step: int) -> None:
    """Fill ``gradInput`` and ``gradOffset`` (DCNv1)."""
    grads = _deform_conv_grads(input, offset, weight, gradOutput, dW, dH,
                               padW, padH, dilationW, dilationH, group,
                               deformable_group)
    gradInput.copy_(grads[0])
    gradOffset.copy_(grads[1])


def deform_conv_backward_parameters(input: Tensor, offset: Tensor,
                                    gradOutput: Tensor, gradWeight: Tensor,
                                    columns: Tensor, ones: Tensor, kW: int,
                                    kH: int, dW: int, dH: int, padW: int,
                                    padH: int, dilationW: int, dilationH: int,
                                    group: int, deformable_group: int,
                                    scale: float, im2col_step: int) -> None:
    """Add ``scale`` times the weight gradient to ``gradWeight`` (DCNv1)."""
    weight = gradWeight.new_zeros(gradWeight.shape)  # linear in weight
    grads = _deform_conv_grads(input, offset, weight, gradOutput, dW, dH,
                               padW, padH, dilationW, dilationH, group,
                               deformable_group)
    gradWeight.add_(grads[2], alpha=scale)


def modulated_deform_conv_forward(input: Tensor, weight: Tensor, bias: Tensor,
                                  ones: Tensor, offset: Tensor, mask: Tensor,
                                  output: Tensor, columns: Tensor,
                                  kernel_h: int, kernel_w: int, stride_h: int,
                                  stride_w: int, pad_h: int, pad_w: int,
                                  dilation_h: int, dilation_w: int,
                                  group: int, deformable_group: int,
                                  with_bias: bool) -> None:
    """Fill ``output`` with the modulated deformable convolution (DCNv2)."""
    bias = bias if with_bias else _no_bias(weight)
    output.copy_(
        _deform_conv(input, weight, offset, mask, bias, stride_h, stride_w,
                     pad_h, pad_w, dilation_h, dilation_w, group,
                     deformable_group, True))


def modulated_deform_conv_backward(
        input: Tensor, weight: Tensor, bias: Tensor, ones: Tensor,
        offset: Tensor, mask: Tensor, columns: Tensor, grad_input: Tensor,
        grad_weight: Tensor, grad_bias: Tensor, grad_offset: Tensor,
        grad_mask: Tensor, grad_output: Tensor, kernel_h: int, kernel_w: int,
        stride_h: int, stride_w: int, pad_h: int, pad_w: int,
        dilation_h: int, dilation_w: int, group: int, deformable_group: int,
        with_bias: bool) -> None:
    """Fill the gradients of input, weight, bias, offset and mask (DCNv2)."""
    with torch.enable_grad():
        leaves = [
            t.detach().requires_grad_()
            for t in (input, weight, offset, mask)
        ]
        b = (bias.detach().requires_grad_()
             if with_bias else _no_bias(weight))
        out = _deform_conv(leaves[0], leaves[1], leaves[2], leaves[3], b,
                           stride_h, stride_w, pad_h, pad_w, dilation_h,
                           dilation_w, group, deformable_group, True)
        inputs = leaves + ([b] if with_bias else [])
        grads = torch.autograd.grad(out, inputs, grad_output)
    for target, grad in zip(
        (grad_input, grad_weight, grad_offset, grad_mask, grad_bias), grads):
        target.copy_(grad)


PROVIDED_OPS = {
    name: globals()[name]
    for name in (
        'nms',
        'roi_align_forward',
        'roi_align_backward',
        'roi_pool_forward',
        'roi_pool_backward',
        'sigmoid_focal_loss_forward',
        'sigmoid_focal_loss_backward',
        'deform_conv_forward',
        'deform_conv_backward_input',
        'deform_conv_backward_parameters',
        'modulated_deform_conv_forward',
        'modulated_deform_conv_backward',
    )
}


class _StandInExt(types.ModuleType):
    """``mmcv._ext`` stand-in: provided ops, and a refusing function for
    any other public name (so ``ext_loader.load_ext``'s checks pass)."""

    def __getattr__(self, name: str) -> Callable[..., NoReturn]:
        if name.startswith('_'):
            raise AttributeError(name)
        function = _unavailable(name)
        setattr(self, name, function)
        return function


class _StandInLoader(importlib.abc.Loader):
    """Loader named by the stand-in's ``__spec__``: ``pkgutil.find_loader``
    (mmengine's ``mmcv_full_available``) then answers that ``mmcv.ops``
    imports, which it does."""

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Any:
        return sys.modules[EXT_MODULE]

    def exec_module(self, module: types.ModuleType) -> None:
        pass


def real_mmcv_ext_importable() -> bool:
    """Whether a compiled ``mmcv._ext`` (not this stand-in) imports."""
    current = sys.modules.get(EXT_MODULE)
    if current is not None:
        return not getattr(current, '__mmhkd_stand_in__', False)
    try:
        importlib.import_module(EXT_MODULE)
    except ModuleNotFoundError as error:
        if error.name not in (EXT_MODULE, 'mmcv'):
            warnings.warn(f'mmcv._ext exists but does not import ({error}); '
                          'using mmhkd\'s stand-in for mmcv ops')
        return False
    except (ImportError, OSError) as error:
        warnings.warn(f'mmcv._ext exists but does not import ({error}); '
                      'using mmhkd\'s stand-in for mmcv ops')
        return False
    return True


def install_mmcv_ops_stand_in() -> bool:
    """Register the stand-in as ``mmcv._ext`` unless a real one imports.

    Must run before ``mmcv.ops`` (or mmdet/mmseg models) is first imported.
    Idempotent.

    Returns:
        bool: True if the stand-in is (now) installed, False when the real
        compiled extension is used.
    """
    if real_mmcv_ext_importable():
        return False
    if EXT_MODULE in sys.modules:
        return True
    import torchvision  # noqa: F401  (registers torch.ops.torchvision)
    stand_in = _StandInExt(EXT_MODULE)
    stand_in.__spec__ = importlib.machinery.ModuleSpec(
        EXT_MODULE, _StandInLoader(), origin=__name__)
    stand_in.__doc__ = __doc__
    stand_in.__mmhkd_stand_in__ = True
    for name, function in PROVIDED_OPS.items():
        setattr(stand_in, name, function)
    sys.modules[EXT_MODULE] = stand_in
    import mmcv
    mmcv._ext = stand_in
    return True


install_mmcv_ops_stand_in()

__all__ = [
    'MmcvOpUnavailableError', 'install_mmcv_ops_stand_in',
    'real_mmcv_ext_importable', 'PROVIDED_OPS', 'model_family'
]
