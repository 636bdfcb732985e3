"""The student of a distillation config as a plain mmpretrain config.

:func:`student_config_dict` keeps the distillation config's data pipeline,
evaluators, runtime and the student's own optimizer, and replaces the model
by the algorithm's ``architecture`` (without its ``_scope_``, with the
algorithm's data preprocessor, which is what fed the student during
distillation). The result runs under ``default_scope='mmpretrain'`` with
``tools/train.py`` and ``tools/test.py``, and loads the checkpoints written
by ``tools/export_student.py`` / ``StudentExportHook`` strictly. A head loss
that distillation switched off (``loss_weight=0``: the HKSANC configs train
the student on the teacher only) is switched back on (weight 1), so that
training with the written config learns from the labels instead of from
nothing.
"""
import copy
import os
import os.path as osp
from typing import Optional

from mmengine.config import Config

ARCHITECTURE_KEY = 'architecture'
# top-level entries carried over from the distillation config
CARRIED_KEYS = ('custom_imports', 'data_preprocessor', 'train_dataloader',
                'val_dataloader', 'test_dataloader', 'val_evaluator',
                'test_evaluator', 'train_cfg', 'val_cfg', 'test_cfg',
                'auto_scale_lr', 'default_hooks', 'custom_hooks', 'env_cfg',
                'log_processor', 'log_level', 'visualizer', 'randomness')
# optimizer wrapper (and scheduler) of the student in a multi-optimizer
# config: HKSANCOptimWrapperConstructor's, then mmrazor's convention
STUDENT_OPTIM_KEYS = ('student', ARCHITECTURE_KEY)
DISTILLATION_ONLY_HOOKS = ('StudentExportHook', )


def _student_optim(cfg: Config) -> tuple:
    """``(optim_wrapper, param_scheduler)`` of the student, or Nones."""
    optim_wrapper = cfg.get('optim_wrapper')
    scheduler = cfg.get('param_scheduler')
    if optim_wrapper is None:
        return None, None
    if 'constructor' not in optim_wrapper:  # one optimizer for the student
        return optim_wrapper, scheduler
    for key in STUDENT_OPTIM_KEYS:
        if isinstance(optim_wrapper.get(key), dict):
            if isinstance(scheduler, dict) and 'type' not in scheduler:
                scheduler = scheduler.get(key)
            return optim_wrapper[key], scheduler
    return None, None


def _restore_label_loss(model: dict) -> None:
    """Set the head's loss weight to 1 where distillation set it to 0."""
    loss = (model.get('head') or {}).get('loss')
    if isinstance(loss, dict) and loss.get('loss_weight', 1.0) == 0:
        loss['loss_weight'] = 1.0


def student_config_dict(cfg: Config) -> dict:
    """The plain mmpretrain config of the student of ``cfg``.

    Args:
        cfg (Config): A distillation config (``model.architecture`` is the
            student's config dict).

    Returns:
        dict: Ready for ``Config(...)``; ``default_scope='mmpretrain'``.

    Raises:
        KeyError: When ``cfg.model`` has no ``architecture`` dict.
    """
    model_cfg = cfg.get('model') or {}
    architecture = model_cfg.get(ARCHITECTURE_KEY)
    if not isinstance(architecture, dict):
        raise KeyError('model.architecture (the student) must be a config '
                       'dict to write a student config, got '
                       f'{type(architecture).__name__}')
    model = copy.deepcopy(architecture.to_dict() if hasattr(
        architecture, 'to_dict') else dict(architecture))
    model.pop('_scope_', None)
    _restore_label_loss(model)
    preprocessor = model_cfg.get('data_preprocessor',
                                 cfg.get('data_preprocessor'))
    if preprocessor is not None:
        model['data_preprocessor'] = copy.deepcopy(preprocessor)
    out = {k: copy.deepcopy(cfg[k]) for k in CARRIED_KEYS if k in cfg}
    out.update(default_scope='mmpretrain', model=model, load_from=None,
               resume=False)
    if 'custom_hooks' in out:
        out['custom_hooks'] = [
            h for h in out['custom_hooks']
            if h.get('type') not in DISTILLATION_ONLY_HOOKS
        ]
    optim_wrapper, scheduler = _student_optim(cfg)
    if optim_wrapper is None:  # the Runner needs all three or none
        for key in ('train_dataloader', 'train_cfg'):
            out.pop(key, None)
    else:
        out['optim_wrapper'] = copy.deepcopy(optim_wrapper)
        if scheduler is not None:
            out['param_scheduler'] = copy.deepcopy(scheduler)
    return Config(out).to_dict()


def write_student_config(cfg: Config, path: str,
                         source: Optional[str] = None) -> str:
    """Write :func:`student_config_dict` of ``cfg`` as a Python config.

    Args:
        cfg (Config): The distillation config.
        path (str): Output ``.py`` file (replaced when it exists).
        source (str, optional): Where ``cfg`` came from, for the header.

    Returns:
        str: ``path``.
    """
    text = Config(student_config_dict(cfg)).pretty_text
    source = source or getattr(cfg, 'filename', None) or 'a distillation run'
    header = (
        f'# Student of {source}\n# as a plain mmpretrain config (model = '
        'its architecture as it was distilled), written by mmhkd.\n'
        '# Evaluate an exported student with it, e.g.\n'
        f'#   python tools/test.py {path} '
        f'{osp.join(osp.dirname(path), "student_last.pth")}\n')
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(header + text)
    os.replace(tmp, path)
    return path
