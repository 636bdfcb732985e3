"""Make ``import mmrazor.models`` work on torch >= 2.

MMRazor 1.0.0 builds its quantization backend configs at import time from
private ``torch.ao`` helpers (``reverse2``, ``reverse3``,
``reverse_sequential_wrapper2``) that torch 2.x removed. Importing any part of
``mmrazor.models`` then dies with the misleading message "`torch>=1.13` is not
installed properly". Distillation never touches that code, so this module
replaces only the package ``mmrazor.structures.quantization.backend_config``
with a stand-in whose names raise :class:`QuantizationUnavailableError` when
used. Nothing in torch is modified.
"""
import sys
import types
from typing import Any, NoReturn

BACKEND_CONFIG_MODULE = 'mmrazor.structures.quantization.backend_config'

BACKEND_CONFIG_NAMES = (
    'BackendConfigs',
    'get_academic_backend_config',
    'get_academic_backend_config_dict',
    'get_native_backend_config',
    'get_native_backend_config_dict',
    'get_openvino_backend_config',
    'get_openvino_backend_config_dict',
    'get_tensorrt_backend_config',
    'get_tensorrt_backend_config_dict',
)


class QuantizationUnavailableError(RuntimeError):
    """Raised when MMRazor's quantization is used on an unsupported torch."""


class UnavailableQuantizationObject:
    """Stand-in for a quantization object that cannot be built on this torch.

    Args:
        name (str): The MMRazor name this object replaces.
    """

    def __init__(self, name: str) -> None:
        self._name = name

    def _fail(self, *args: Any, **kwargs: Any) -> NoReturn:
        import torch
        raise QuantizationUnavailableError(
            f'mmrazor quantization ({self._name}) needs the torch.ao '
            f'quantization API of torch 1.13-1.x, which torch '
            f'{torch.__version__} removed. mmhkd supports MMRazor '
            'distillation only; run quantization in an environment with '
            'torch<2 and mmrazor\'s own requirements.')

    __call__ = _fail
    __getitem__ = _fail
    __iter__ = _fail

    def __repr__(self) -> str:
        return f'<unavailable mmrazor quantization object {self._name}>'


def torch_has_legacy_fuser_helpers() -> bool:
    """Whether torch still ships the helpers mmrazor's backend configs need."""
    from torch.ao.quantization import fuser_method_mappings
    return all(
        hasattr(fuser_method_mappings, name)
        for name in ('reverse2', 'reverse3', 'reverse_sequential_wrapper2'))


def install_quantization_stand_in() -> bool:
    """Install the stand-in backend-config module if torch needs it.

    Must run before ``mmrazor.models`` is first imported. Idempotent.

    Returns:
        bool: True if the stand-in is (now) installed, False when the real
        module can be imported on this torch.
    """
    current = sys.modules.get(BACKEND_CONFIG_MODULE)
    if getattr(current, '__mmhkd_stand_in__', False):
        return True
    if torch_has_legacy_fuser_helpers():
        return False
    if current is not None:
        # A failed earlier import left a half-initialised module behind.
        del sys.modules[BACKEND_CONFIG_MODULE]
    stand_in = types.ModuleType(BACKEND_CONFIG_MODULE)
    stand_in.__doc__ = __doc__
    stand_in.__mmhkd_stand_in__ = True
    for name in BACKEND_CONFIG_NAMES:
        setattr(stand_in, name, UnavailableQuantizationObject(name))
    stand_in.__all__ = list(BACKEND_CONFIG_NAMES)
    sys.modules[BACKEND_CONFIG_MODULE] = stand_in
    return True
