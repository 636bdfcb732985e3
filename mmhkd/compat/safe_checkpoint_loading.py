"""Load mmengine Runner checkpoints under ``torch.load(weights_only=True)``.

torch >= 2.6 unpickles checkpoints with ``weights_only=True`` by default,
which refuses every global it does not know. An mmengine checkpoint carries a
few harmless ones in its ``message_hub`` (``HistoryBuffer``, numpy arrays,
scalars and dtypes, ``collections.Counter``) and, for the statistic methods
of ``HistoryBuffer``, the call ``getattr(HistoryBuffer, 'min')``. A
``OneCycleLR`` scheduler's state (``param_schedulers``) holds its annealing
function, pickled as ``getattr(OneCycleParamScheduler, '_annealing_cos')``.

This module allow-lists exactly those globals. ``getattr`` is never allowed as
such (``getattr`` over arbitrary objects reaches ``__globals__`` and from there
any callable); it is replaced by :func:`history_buffer_getattr`, which only
returns the statistic methods registered on ``HistoryBuffer``. Safe loading is
never switched off: a checkpoint that pickles any other callable is refused
by torch with an ``UnpicklingError``.
"""
import collections
from typing import Any, Callable, List, Tuple, Union

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.optim.scheduler.param_scheduler import OneCycleParamScheduler

SafeGlobal = Union[Callable, Tuple[Callable, str]]


ONE_CYCLE_ANNEALING = ('_annealing_cos', '_annealing_linear')
ONE_CYCLE_PATH = ('mmengine.optim.scheduler.param_scheduler.'
                  'OneCycleParamScheduler')


class OneCycleAnnealingStandIn:
    """Stands in for ``OneCycleParamScheduler`` while unpickling.

    A checkpoint only needs the class to look up its annealing function;
    allow-listing the real class would also let a checkpoint construct one.
    This stand-in can be neither constructed nor used for anything but
    :func:`history_buffer_getattr` returning the real annealing functions.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> None:
        raise UnsafeCheckpointGlobalError(
            'A checkpoint tried to construct OneCycleParamScheduler; only '
            'its annealing functions may be referenced.')


class UnsafeCheckpointGlobalError(TypeError):
    """Raised when a checkpoint asks ``getattr`` for something not allowed."""


def history_buffer_getattr(obj: Any, name: str) -> Callable:
    """Restricted ``getattr`` used while unpickling mmengine checkpoints.

    Args:
        obj: Must be the class :class:`HistoryBuffer`.
        name (str): A statistic method registered on ``HistoryBuffer``
            (``min``, ``max``, ``current``, ``mean`` or a custom one).

    Returns:
        Callable: ``getattr(HistoryBuffer, name)``, or for ``obj``
        ``OneCycleParamScheduler`` its annealing function
        (``_annealing_cos`` or ``_annealing_linear``).

    Raises:
        UnsafeCheckpointGlobalError: For any other object or attribute.
    """
    allowed = set(HistoryBuffer._statistics_methods) | {
        'min', 'max', 'current', 'mean'}
    if obj in (OneCycleAnnealingStandIn, OneCycleParamScheduler) and \
            name in ONE_CYCLE_ANNEALING:
        return getattr(OneCycleParamScheduler, name)
    if obj is not HistoryBuffer or name not in allowed:
        raise UnsafeCheckpointGlobalError(
            f'Checkpoint asks for getattr({obj!r}, {name!r}); mmhkd only '
            'allows getattr(HistoryBuffer, <statistic method>) and '
            'getattr(OneCycleParamScheduler, <annealing function>) when '
            'loading with weights_only=True. Load this file only if you '
            'trust it.')
    return getattr(HistoryBuffer, name)


def _numpy_multiarray_paths() -> List[str]:
    return ['numpy._core.multiarray', 'numpy.core.multiarray']


def mmengine_checkpoint_safe_globals() -> List[SafeGlobal]:
    """The allow-list: exactly the globals an mmengine checkpoint uses."""
    reconstruct = np.ndarray.__reduce__(np.zeros(1))[0]
    scalar = np.float64(0).__reduce__()[0]
    safe: List[SafeGlobal] = [
        HistoryBuffer,
        (OneCycleAnnealingStandIn, ONE_CYCLE_PATH),
        collections.Counter,
        collections.OrderedDict,
        np.ndarray,
        np.dtype,
        (history_buffer_getattr, '__builtin__.getattr'),
        (history_buffer_getattr, 'builtins.getattr'),
    ]
    for path in _numpy_multiarray_paths():
        safe.append((reconstruct, f'{path}._reconstruct'))
        safe.append((scalar, f'{path}.scalar'))
    # numpy >= 1.25 pickles dtypes through their classes in numpy.dtypes.
    dtype_classes = {type(np.dtype(code)) for code in '?bBhHiIlLqQefdgFDGUSVMm'}
    for cls in dtype_classes:
        safe.append((cls, f'numpy.dtypes.{cls.__name__}'))
    return safe


def allow_mmengine_checkpoint_globals() -> None:
    """Register the allow-list with ``torch.serialization`` (idempotent)."""
    torch.serialization.add_safe_globals(mmengine_checkpoint_safe_globals())
