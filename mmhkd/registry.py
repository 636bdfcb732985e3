"""Registry nodes of the ``mmhkd`` scope.

A config read through ``_base_ = ['mmhkd::...']`` gets ``_scope_='mmhkd'``
on its outer typed dicts (mmengine marks whatever a ``scope::`` base
defines with that scope, as it does for ``mmrazor::`` and ``mmdet::``).
mmengine then imports ``mmhkd.registry`` and builds those dicts with the
``mmhkd`` node of each registry. mmhkd registers its components in
mmpretrain's and MMRazor's registries, so these nodes hold nothing of their
own: a name is looked up in mmpretrain's node, then in MMRazor's, then in
mmengine's root (each node also falls back to the root). mmpretrain comes
first because the names both define (``CrossEntropyLoss``,
``DeiTClsHead``, ``AutoAugment``) appear in mmhkd's configs only inside
models that mmpretrain builds; mmhkd's distillation models carry an
explicit ``_scope_='mmrazor'``. ``tests/configs/test_config_scope.py``
checks that every component of every shipped config resolves here to the
class its own scope gives.
"""
from typing import List, Optional, Type

import mmpretrain.registry  # noqa: F401  (adds the mmpretrain nodes)
import mmrazor.registry  # noqa: F401  (adds the MMRazor nodes)
from mmengine import registry as mmengine_registry
from mmengine.registry import Registry

SCOPE = 'mmhkd'
# scopes whose nodes are searched, in this order
LOOKUP_SCOPES = ('mmpretrain', 'mmrazor')


class ScopeRegistry(Registry):
    """A node of the ``mmhkd`` scope: resolves names through other nodes."""

    def __init__(self, name: str, parent: Registry,
                 lookups: List[Registry]) -> None:
        super().__init__(
            name, parent=parent, scope=SCOPE, locations=['mmhkd'])
        self.lookups = lookups

    def get(self, key: str) -> Optional[Type]:
        scope, real_key = self.split_scope_key(key)
        if scope is not None and scope != self.scope:
            return super().get(key)
        self.import_from_location()
        if real_key in self._module_dict:
            return self._module_dict[real_key]
        for registry in self.lookups:
            obj = registry.get(real_key)
            if obj is not None:
                return obj
        return super().get(real_key)


def _scope_node(root: Registry) -> Registry:
    if SCOPE in root.children:
        return root.children[SCOPE]
    lookups = [root.children[s] for s in LOOKUP_SCOPES if s in root.children]
    return ScopeRegistry(root.name, root, lookups)


# one node per root registry, named as mmengine names its root registries
NODES = {
    name: _scope_node(value)
    for name, value in vars(mmengine_registry).items()
    if isinstance(value, Registry) and value.parent is None
}
globals().update(NODES)

__all__ = ['SCOPE', 'LOOKUP_SCOPES', 'ScopeRegistry', 'NODES', *NODES]
