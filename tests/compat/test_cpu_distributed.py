"""The CPU-aware ``_init_dist_pytorch`` (tools/dist_train.sh without GPU).

The end-to-end use is tests/engine/model_wrappers/test_hksanc_ddp.py (two
gloo processes through tools/dist_train.sh).
"""
import pytest
import torch
import torch.distributed as dist
from mmengine.dist import utils

from mmhkd.compat import patch_cpu_init_dist

pytestmark = pytest.mark.skipif(
    torch.cuda.is_available(), reason='checks the machine without a GPU')


def test_installed_once_by_import():
    patched = utils._init_dist_pytorch
    assert getattr(patched, '_mmhkd_cpu_aware', False)
    patch_cpu_init_dist()
    assert utils._init_dist_pytorch is patched


def test_gloo_starts_without_cuda(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(torch.cuda, 'set_device', calls.append)
    monkeypatch.setenv('RANK', '0')
    monkeypatch.setenv('LOCAL_RANK', '0')
    utils._init_dist_pytorch(
        'gloo', init_method=f'file://{tmp_path}/pg', rank=0, world_size=1)
    try:
        assert dist.is_initialized() and dist.get_backend() == 'gloo'
        assert calls == []  # mmengine's own function calls set_device(0)
    finally:
        dist.destroy_process_group()


def test_nccl_without_gpu_says_what_to_set():
    with pytest.raises(RuntimeError, match="backend='gloo'"):
        utils._init_dist_pytorch('nccl')
