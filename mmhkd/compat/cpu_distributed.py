"""Let mmengine's 'pytorch' launcher start on machines without a GPU.

mmengine 0.10.7's ``_init_dist_pytorch`` calls ``torch.cuda.set_device``
before ``init_process_group`` whatever the backend, so ``tools/dist_train.sh``
dies with "Found no NVIDIA driver" on a CPU-only machine even with the gloo
backend. :func:`patch_cpu_init_dist` wraps it: with no CUDA device (and
no other accelerator mmengine knows) it only calls ``init_process_group``;
otherwise mmengine's function runs unchanged.
"""
from typing import Callable

import torch
import torch.distributed as torch_dist

_PATCHED = '_mmhkd_cpu_aware'


def _has_accelerator() -> bool:
    from mmengine.device import (is_mlu_available, is_musa_available,
                                 is_npu_available)
    return (torch.cuda.is_available() or is_mlu_available()
            or is_npu_available() or is_musa_available())


def _cpu_aware(original: Callable) -> Callable:

    def init_dist_pytorch(backend: str = 'nccl',
                          init_backend: str = 'torch',
                          **kwargs) -> None:
        if _has_accelerator() or init_backend != 'torch':
            return original(backend, init_backend=init_backend, **kwargs)
        if backend == 'nccl':
            raise RuntimeError(
                'No GPU: the nccl backend cannot run here; set '
                "env_cfg.dist_cfg.backend='gloo'.")
        torch_dist.init_process_group(backend=backend, **kwargs)

    setattr(init_dist_pytorch, _PATCHED, True)
    init_dist_pytorch.__wrapped__ = original
    return init_dist_pytorch


def patch_cpu_init_dist() -> None:
    """Install the CPU-aware ``_init_dist_pytorch`` (idempotent)."""
    from mmengine.dist import utils
    if not getattr(utils._init_dist_pytorch, _PATCHED, False):
        utils._init_dist_pytorch = _cpu_aware(utils._init_dist_pytorch)
