"""One tiny, real HKSANC distillation run shared by the tool tests.

Fashion-MNIST distillation config, one epoch on one image per class
(``tiny_run_options``), from a random teacher checkpoint and without the
adaptation phase's attention checkpoint. Trained once per pytest session:
the first caller trains under ``root``, later callers reuse it.
"""
import glob
import os
import os.path as osp
from typing import Dict

import torch

from conftest import CONFIG_ROOT, load_tool, tiny_run_options  # noqa: F401

DISTILL = osp.join(CONFIG_ROOT, 'hksanc',
                   'hksanc_preact-resnet29_resnet20-half_1xb128_'
                   'fashion-mnist-1k.py')
VANILLA_TEACHER = osp.join(CONFIG_ROOT, 'vanilla',
                           'preact-resnet29_1xb128_fashion-mnist.py')


def save_random_teacher(path: str) -> str:
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        teacher = MODELS.build(Config.fromfile(VANILLA_TEACHER).model)
    torch.manual_seed(1)
    teacher.init_weights()
    torch.save({'state_dict': teacher.state_dict(), 'meta': {}}, path)
    return path


def tiny_hksanc_run(root: str) -> Dict[str, str]:
    """Train (once) and return ``work_dir``, ``checkpoint``, ``config``
    and ``teacher`` (the random teacher checkpoint)."""
    work_dir = osp.join(root, 'hksanc_tiny')
    checkpoint = osp.join(work_dir, 'epoch_1.pth')
    if not (osp.isfile(checkpoint) and glob.glob(
            osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        os.makedirs(root, exist_ok=True)
        teacher = save_random_teacher(osp.join(root, 'teacher.pth'))
        options = tiny_run_options('fashion-mnist')
        options.update({
            'train_cfg.max_epochs': 1,
            'train_cfg.val_interval': 1,
            'model.teacher_ckpt': teacher,
            'model.teacher_attention_ckpt': None,
        })
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # tiny tensors, busy cores
        try:
            load_tool('train').main(
                [DISTILL, '--work-dir', work_dir, '--cfg-options'] +
                [f'{k}={v}' for k, v in options.items()])
        finally:
            torch.set_num_threads(threads)
    return dict(work_dir=work_dir, checkpoint=checkpoint, config=DISTILL,
                teacher=osp.join(root, 'teacher.pth'))
