"""Two optimizers for HKSANC: the student side and the discriminator."""
from typing import Optional

import torch.nn as nn
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict
from mmrazor.registry import OPTIM_WRAPPER_CONSTRUCTORS

STUDENT_CHILDREN = ('architecture', 'distiller')


class StudentSide(nn.Module):
    """Groups the student and the distiller's connectors for one optimizer.

    Holds references only; the algorithm still owns the modules. Frozen
    parameters (teacher-side connectors) are in the group but never receive
    gradients, so the optimizer never changes them.
    """

    def __init__(self, algorithm: nn.Module) -> None:
        super().__init__()
        for name in STUDENT_CHILDREN:
            if not hasattr(algorithm, name):
                raise AttributeError(
                    f'{type(algorithm).__name__} has no {name!r}; '
                    'HKSANCOptimWrapperConstructor needs a distillation '
                    'algorithm with architecture and distiller.')
            self.add_module(name, getattr(algorithm, name))


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class HKSANCOptimWrapperConstructor:
    """Build ``OptimWrapperDict(student=..., discriminator=...)``.

    ``student`` covers ``architecture`` and ``distiller`` (the student's
    channel transforms and attention estimators); ``discriminator`` covers
    ``discriminator``. Each key takes a normal optim-wrapper config, with
    optional ``paramwise_cfg``.

    Args:
        optim_wrapper_cfg (dict): ``dict(student=..., discriminator=...)``.
        paramwise_cfg (dict, optional): Not accepted at the top level: put
            it inside ``student`` or ``discriminator``.
    """

    def __init__(self,
                 optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        if paramwise_cfg is not None:
            raise ValueError('Give paramwise_cfg inside optim_wrapper.student '
                             'or optim_wrapper.discriminator.')
        keys = set(optim_wrapper_cfg)
        if keys != {'student', 'discriminator'}:
            raise KeyError(
                'HKSANCOptimWrapperConstructor needs exactly the keys '
                f"'student' and 'discriminator', got {sorted(keys)}.")
        self.optim_wrapper_cfg = optim_wrapper_cfg

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        if hasattr(model, 'module'):
            model = model.module
        modules = dict(
            student=StudentSide(model), discriminator=model.discriminator)
        wrappers = {}
        for key, module in modules.items():
            cfg = dict(self.optim_wrapper_cfg[key])
            paramwise_cfg = cfg.pop('paramwise_cfg', None)
            wrappers[key] = DefaultOptimWrapperConstructor(
                cfg, paramwise_cfg)(module)
        return OptimWrapperDict(**wrappers)
