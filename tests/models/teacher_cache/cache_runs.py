"""Tiny real distillation runs, live and from a teacher cache (helpers)."""
import os.path as osp
from typing import Dict, Optional

import torch
from mmengine.config import Config

from conftest import CONFIG_ROOT

HKSANC = osp.join(CONFIG_ROOT, 'hksanc', 'hksanc_preact-resnet29_resnet20-'
                  'half_1xb128_fashion-mnist-1k.py')
KD = osp.join(CONFIG_ROOT, 'distill', 'kd', 'kd_logits_preact-resnet29_'
              'resnet20-half_1xb128_fashion-mnist-1k.py')
VANILLA_TEACHER = osp.join(CONFIG_ROOT, 'vanilla',
                           'preact-resnet29_1xb128_fashion-mnist.py')


def save_random_teacher(path: str, seed: int = 1) -> str:
    """A randomly initialised teacher checkpoint of the shipped config."""
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        teacher = MODELS.build(Config.fromfile(VANILLA_TEACHER).model)
    torch.manual_seed(seed)
    teacher.init_weights()
    torch.save({'state_dict': teacher.state_dict(), 'meta': {}}, path)
    return path


def save_random_attention(path: str, teacher: str) -> str:
    """An adaptation-phase checkpoint (``connector.*``) of the HKSANC
    config's teacher connector at a random initialisation."""
    if osp.isfile(path):
        return path
    from mmengine.registry import DefaultScope
    from mmrazor.registry import MODELS
    cfg = Config.fromfile(HKSANC)
    cfg.model.teacher_ckpt = teacher
    cfg.model.teacher_attention_ckpt = None
    torch.manual_seed(3)
    with DefaultScope.overwrite_default_scope('mmrazor'):
        model = MODELS.build(cfg.model)
    connector = model.distiller.connectors['teacher_attention']
    connector.init_weights()
    state = {f'connector.{k}': v for k, v in connector.state_dict().items()}
    torch.save({'state_dict': state, 'meta': {}}, path)
    return path


def tiny_options(teacher: str, per_class: int = 2,
                 epochs: int = 2) -> Dict[str, object]:
    """20 training images, batches of 10, no validation during training.

    ``ChannelsLastHook`` is off: the builder runs the teacher in NCHW, and an
    NHWC teacher differs from it in the last bits (about 1e-7 of the values),
    which four adversarial steps amplify to about 1e-5 of the loss; in NCHW
    both sides compute the same numbers, so any real difference shows."""
    return {
        'custom_hooks.0.enabled': False,
        'model.teacher_ckpt': teacher,
        'train_dataloader.dataset.num_per_class': per_class,
        'train_dataloader.batch_size': 10,
        'val_dataloader.dataset.num_per_class': 1,
        'train_cfg.max_epochs': epochs,
        'train_cfg.val_interval': 100,
        'default_hooks.logger.interval': 1,
    }


def tiny_config(config: str, work_dir: str, options: Dict[str, object],
                name: str) -> Config:
    from mmhkd.engine.launch import build_runner_config
    options = dict(options)
    if config == HKSANC and 'model.teacher_attention_ckpt' not in options:
        options['model.teacher_attention_ckpt'] = save_random_attention(
            osp.join(osp.dirname(options['model.teacher_ckpt']),
                     'attention.pth'), options['model.teacher_ckpt'])
    cfg = build_runner_config(config, work_dir=work_dir,
                              cfg_options=options, overwrite=True)
    cfg.experiment_name = name
    return cfg


def train(cfg: Config, num_views: Optional[int] = None):
    """Train; with ``num_views``, on a view pool (cache seed 0) without a
    cache. Returns the Runner."""
    from mmhkd.engine.launch import build_runner
    from mmhkd.engine.view_pool_config import wrap_in_view_pool
    if num_views is not None:
        wrap_in_view_pool(cfg, num_views, 0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        runner = build_runner(cfg)
        runner.train()
    finally:
        torch.set_num_threads(threads)
    return runner


def student_state(runner) -> Dict[str, torch.Tensor]:
    return {
        k: v.detach().clone()
        for k, v in runner.model.state_dict().items()
        if k.startswith('architecture.')
    }
