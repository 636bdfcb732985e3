"""``mmhkd::`` config paths, resolved as mmengine resolves ``mmrazor::``.

mmengine 0.10.7 turns ``_base_ = ['pkg::dir/name.py']`` (and
``mmengine.hub.get_config('pkg::dir/name.py')``) into
``<package dir>/.mim/configs/dir/name.py``
(``mmengine.config.Config._get_cfg_path``,
``mmengine.config.utils._get_external_cfg_base_path``), after two checks:
``pkg`` must be a key of ``mmengine.config.utils.MODULE2PACKAGE`` (a fixed
list of OpenMMLab projects), and ``<package dir>`` comes from
``mmengine.utils.get_installed_path``, which reads the installed
distribution. It also reads ``<package dir>/.mim/model-index.yml``.

Importing mmhkd calls :func:`register_config_scope`, which

1. adds ``mmhkd`` to ``MODULE2PACKAGE``;
2. answers ``get_installed_path('mmhkd')`` (``mmengine.utils`` and the
   modules that imported it by name) with the folder of the mmhkd package
   that was imported; other packages are answered by mmengine as before.
   For an editable install (``pip install -e .``, setuptools' PEP 660
   finder) mmengine's own answer is ``site-packages/mmhkd``, a folder that
   does not exist: the package lives in the repository. It also reads a
   distribution installed elsewhere before the copy on ``sys.path``.

The repository ships ``mmhkd/.mim/configs`` and ``mmhkd/.mim/model-index.yml``
as links to ``configs/`` and ``model-index.yml``; ``setup.py`` copies them
into a built wheel. mmengine checks the scope while it parses the config,
before any ``custom_imports``: the process must have imported mmhkd first
(mmhkd's ``tools/train.py`` and ``tools/test.py`` do).
"""
import functools
import os.path as osp
import warnings
from typing import Callable

SCOPE = 'mmhkd'
PACKAGE_DIR = osp.dirname(osp.abspath(__file__))
MIM_DIR = osp.join(PACKAGE_DIR, '.mim')


def _answers_mmhkd(get_installed_path: Callable[[str], str]
                   ) -> Callable[[str], str]:
    if getattr(get_installed_path, 'mmhkd_scope', False):
        return get_installed_path

    @functools.wraps(get_installed_path)
    def wrapped(package: str) -> str:
        if package == SCOPE:
            return PACKAGE_DIR
        return get_installed_path(package)

    wrapped.mmhkd_scope = True  # type: ignore[attr-defined]
    return wrapped


def register_config_scope() -> None:
    """Make ``mmhkd::<folder>/<config>.py`` resolve to ``configs/``."""
    import mmengine.config.config as config_module
    import mmengine.config.utils as config_utils
    import mmengine.hub.hub as hub_module
    import mmengine.utils as utils_module
    import mmengine.utils.package_utils as package_utils_module

    # MODULE2PACKAGE; PKG2PROJECT is its older name (the same dict)
    scopes = getattr(config_utils, 'MODULE2PACKAGE',
                     getattr(config_utils, 'PKG2PROJECT', None))
    if scopes is None:  # importing mmhkd must not fail over this
        warnings.warn('mmengine.config.utils has neither MODULE2PACKAGE nor '
                      'PKG2PROJECT: this mmengine resolves `scope::` config '
                      'paths differently; mmhkd:: paths are not available')
        return
    scopes.setdefault(SCOPE, SCOPE)
    # every module that holds its own reference to the function
    for module in (package_utils_module, utils_module, config_module,
                   hub_module):
        if hasattr(module, 'get_installed_path'):
            module.get_installed_path = _answers_mmhkd(
                module.get_installed_path)
