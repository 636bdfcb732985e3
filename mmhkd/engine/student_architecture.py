"""The student of a distillation config as a model config in its own scope.

MMRazor's algorithms take the student as ``model.architecture``: a model
config dict with its ``_scope_`` (``'mmpretrain'``, ``'mmdet'``,
``'mmseg'``), or ``dict(cfg_path='mmdet::...')`` (a config shipped with an
OpenMMLab package, MMRazor's style for the COCO configs).
:func:`resolve_architecture` turns either into ``(scope, model_dict)``,
the model dict without ``_scope_``, ready for the scope's ``MODELS``.
"""
import copy
from typing import Optional, Tuple

ARCHITECTURE_KEY = 'architecture'
# the student's scope when neither the architecture nor the config names
# one (mmhkd's classification configs run under default_scope='mmrazor')
FALLBACK_SCOPE = 'mmpretrain'
NOT_A_STUDENT_SCOPE = ('mmrazor', 'mmengine')


def _plain(cfg) -> dict:
    """A deep-copied plain dict of a ``Config``/``ConfigDict``/dict."""
    return copy.deepcopy(cfg.to_dict() if hasattr(cfg, 'to_dict')
                         else dict(cfg))


def _from_cfg_path(architecture: dict) -> Tuple[str, dict]:
    """Resolve ``dict(cfg_path='pkg::path', ...)`` as mmengine does."""
    cfg_path = architecture['cfg_path']
    if '::' not in cfg_path:
        raise ValueError(
            f'model.architecture.cfg_path={cfg_path!r} names no package; '
            "write it as 'mmdet::path/to/config.py' (mmengine.hub style) "
            'or give the architecture as a model config dict')
    scope = cfg_path.split('::', 1)[0]
    try:
        from mmengine.hub import get_config
        package_cfg = get_config(cfg_path)
    except Exception as error:
        raise ValueError(
            f'Cannot resolve model.architecture.cfg_path={cfg_path!r} '
            f'({error!r}); install the {scope} package with its configs '
            '(mim install), or replace cfg_path by the model config dict '
            f"(architecture=dict(_scope_='{scope}', type=..., ...))"
        ) from error
    model = _plain(package_cfg.model)
    if 'data_preprocessor' in package_cfg:  # as mmengine.hub.get_model
        model['data_preprocessor'] = _plain(package_cfg.data_preprocessor)
    # the other keys are get_model's default arguments
    for key, value in architecture.items():
        if key not in ('cfg_path', 'pretrained', '_scope_'):
            model.setdefault(key, copy.deepcopy(value))
    return scope, model


def resolve_architecture(model_cfg: dict,
                         default_scope: Optional[str] = None
                         ) -> Tuple[str, dict]:
    """``(scope, model)`` of the student ``model_cfg.architecture``.

    Args:
        model_cfg (dict): The algorithm's config (``cfg.model``).
        default_scope (str, optional): The distillation config's
            ``default_scope``: the student's scope when the architecture
            names none (unless it is ``'mmrazor'``).

    Returns:
        tuple: The scope (e.g. ``'mmdet'``) and the model config dict
        without ``_scope_`` (a fresh copy).

    Raises:
        KeyError: ``model_cfg`` has no ``architecture`` dict.
        ValueError: A ``cfg_path`` that cannot be resolved.
    """
    architecture = (model_cfg or {}).get(ARCHITECTURE_KEY)
    if not isinstance(architecture, dict):
        raise KeyError('model.architecture (the student) must be a config '
                       'dict to write a student config, got '
                       f'{type(architecture).__name__}')
    architecture = _plain(architecture)
    if architecture.get('cfg_path') and not architecture.get('type'):
        return _from_cfg_path(architecture)
    scope = architecture.pop('_scope_', None)
    model_type = architecture.get('type')
    if scope is None and isinstance(model_type, str) and '.' in model_type:
        scope = model_type.split('.', 1)[0]  # e.g. type='mmdet.RetinaNet'
    if scope is None and default_scope not in NOT_A_STUDENT_SCOPE:
        scope = default_scope
    return scope or FALLBACK_SCOPE, architecture
