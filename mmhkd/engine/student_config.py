"""The student of a distillation config as a plain config in its own scope.

:func:`student_config_dict` keeps the distillation config's data pipeline,
evaluators, runtime, ``custom_imports`` and the student's own optimizer, and
replaces the model by the algorithm's ``architecture`` (resolved by
:func:`~mmhkd.engine.student_architecture.resolve_architecture`, with the
data preprocessor that fed the student during distillation: the
algorithm's, else the architecture's own, as MMRazor's ``BaseAlgorithm``
does). ``default_scope`` is the architecture's scope (``'mmpretrain'``,
``'mmdet'``, ``'mmseg'``); MMRazor's distillation loops
(``mmrazor.SingleTeacherDistillValLoop``) become ``ValLoop``/``TestLoop``;
``find_unused_parameters`` and the model wrapper are dropped. The result
runs with this repository's ``tools/test.py`` and the student package's own
``tools/test.py`` / ``tools/train.py``, and loads the checkpoints written by
``tools/export_student.py`` / ``StudentExportHook`` strictly. A
classifier's head loss that distillation switched off (``loss_weight=0``:
the HKSANC configs train the student on the teacher only) is switched back
on (weight 1), so that training with the written config learns from the
labels instead of from nothing.
"""
import copy
import os
import os.path as osp
from typing import Optional

from mmengine.config import Config

from .student_architecture import ARCHITECTURE_KEY, resolve_architecture

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
# loop entry -> the plain loop that replaces a distillation loop there
PLAIN_LOOPS = (('val_cfg', 'ValLoop'), ('test_cfg', 'TestLoop'))


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


def _plain_loop(loop: Optional[dict], plain_type: str) -> Optional[dict]:
    """``loop``, or ``plain_type`` where it is a distillation loop."""
    loop_type = (loop or {}).get('type')
    if not isinstance(loop_type, str) or 'Distill' not in loop_type:
        return loop
    plain = dict(type=plain_type)
    if 'fp16' in loop:
        plain['fp16'] = loop['fp16']
    return plain


def _preprocessor(cfg: Config, model: dict, scope: str) -> None:
    """Give ``model`` the data preprocessor that fed the student."""
    algorithm = cfg.get('model') or {}
    # the algorithm's own, else the Runner's top-level one (which it
    # setdefaults into the algorithm), else the architecture's (kept)
    preprocessor = algorithm.get('data_preprocessor',
                                 cfg.get('data_preprocessor'))
    if preprocessor is None:
        return
    preprocessor = copy.deepcopy(dict(preprocessor))
    if preprocessor.get('_scope_') == scope:
        preprocessor.pop('_scope_')
    model['data_preprocessor'] = preprocessor


def student_config_dict(cfg: Config) -> dict:
    """The plain config of the student of ``cfg``, in the student's scope.

    Args:
        cfg (Config): A distillation config (``model.architecture`` is the
            student: a config dict, or ``dict(cfg_path='pkg::...')``).

    Returns:
        dict: Ready for ``Config(...)``; ``default_scope`` is the student's
        scope (e.g. ``'mmdet'``).

    Raises:
        KeyError: When ``cfg.model`` has no ``architecture`` dict.
        ValueError: An architecture ``cfg_path`` that cannot be resolved.
    """
    scope, model = resolve_architecture(cfg.get('model'),
                                        cfg.get('default_scope'))
    _restore_label_loss(model)
    _preprocessor(cfg, model, scope)
    out = {k: copy.deepcopy(cfg[k]) for k in CARRIED_KEYS if k in cfg}
    out.update(default_scope=scope, model=model, load_from=None,
               resume=False)
    for key, plain_type in PLAIN_LOOPS:
        if key in out:
            out[key] = _plain_loop(out[key], plain_type)
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
    student = student_config_dict(cfg)
    text = Config(student).pretty_text
    source = source or getattr(cfg, 'filename', None) or 'a distillation run'
    header = (
        f'# Student of {source}\n# as a plain {student["default_scope"]} '
        'config (model = its architecture as it was distilled), written by '
        'mmhkd.\n# Evaluate an exported student with it (this repository\'s '
        f'or {student["default_scope"]}\'s own tools/test.py), e.g.\n'
        f'#   python tools/test.py {path} '
        f'{osp.join(osp.dirname(path), "student_last.pth")}\n')
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(header + text)
    os.replace(tmp, path)
    return path
