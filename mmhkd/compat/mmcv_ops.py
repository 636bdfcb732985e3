"""Opt-in stand-in for mmcv's compiled ops (``mmcv._ext``) on mmcv-lite.

mmcv-lite ships the Python half of ``mmcv.ops`` but not the compiled
extension ``mmcv._ext``. Every ``mmcv/ops/*.py`` runs
``ext_module = ext_loader.load_ext('_ext', [names])`` at import time, so
``import mmcv.ops`` (and with it ``mmdet.models``, ``mmseg.models``) fails
with ``No module named 'mmcv._ext'``.

:func:`install_mmcv_ops_stand_in` registers a module as
``sys.modules['mmcv._ext']`` whose entry points follow the calling
conventions of mmcv's Python wrappers (same positional and keyword
arguments, outputs written in place) and compute with torchvision's
operators, which use the same arithmetic as mmcv's kernels:

- ``nms`` (``torchvision.ops.nms``; ``offset=1`` by the same float32 greedy
  loop as mmcv's CPU kernel),
- ``roi_align_forward`` / ``roi_align_backward`` with ``pool_mode='avg'``,
- ``deform_conv_forward`` / ``deform_conv_backward_input`` /
  ``deform_conv_backward_parameters`` and ``modulated_deform_conv_forward``
  / ``modulated_deform_conv_backward`` (``torchvision.ops.deform_conv2d``).

Every other entry point exists (so ``load_ext``'s checks pass and every
``mmcv.ops`` module imports) but raises :class:`MmcvOpUnavailableError`
naming the op when it is called. Notably refused: ``roi_pool_*`` (mmcv
pools bins from unrounded RoI corners with ``x2 + 1``, torchvision rounds
them first, so the outputs differ), ``roi_align`` with ``pool_mode='max'``,
``softnms``, ``nms_match`` and rotated/quadrilateral NMS.

The stand-in is opt-in: importing this module installs it (so a config can
say ``custom_imports=dict(imports=['mmhkd.compat.mmcv_ops'])``), and
``import mmhkd`` alone does not. It does nothing when a real compiled
``mmcv._ext`` imports. Nothing in mmcv, torch or torchvision is modified.
"""
import importlib
import importlib.abc
import importlib.machinery
import sys
import types
import warnings
from typing import Any, Callable, NoReturn

import torch
from torch import Tensor

EXT_MODULE = 'mmcv._ext'


class MmcvOpUnavailableError(RuntimeError):
    """Raised when a compiled mmcv op that the stand-in lacks is called."""


def _refuse(name: str, why: str = '') -> NoReturn:
    reason = f' ({why})' if why else ''
    raise MmcvOpUnavailableError(
        f"mmcv op '{name}' is not available{reason}: mmcv-lite has no "
        'compiled ops and mmhkd\'s stand-in (mmhkd.compat.mmcv_ops) provides '
        'only nms, roi_align (pool_mode="avg"), deform_conv and '
        'modulated_deform_conv. Install the full mmcv with compiled ops '
        '(`pip uninstall mmcv-lite && mim install "mmcv==2.1.0"`), or use a '
        'model that does not need this op.')


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
    """Fill ``output`` with RoIAlign of ``input`` (``pool_mode`` 1: avg)."""
    if pool_mode != 1:
        _refuse('roi_align_forward', 'pool_mode="max": torchvision has only '
                'the average mode')
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
    """Add RoIAlign's input gradient to ``grad_input`` (avg mode)."""
    if pool_mode != 1:
        _refuse('roi_align_backward', 'pool_mode="max": torchvision has only '
                'the average mode')
    batch, channels, height, width = grad_input.shape
    grad_input.add_(
        torch.ops.torchvision._roi_align_backward(
            grad_output, rois, float(spatial_scale), int(aligned_height),
            int(aligned_width), batch, channels, height, width,
            int(sampling_ratio), bool(aligned)))


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
    'real_mmcv_ext_importable', 'PROVIDED_OPS'
]
