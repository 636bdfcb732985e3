"""Gradients of each loss term at the outputs of the student's stages.

HKSANC (Li et al., AAAI 2020) trains the student with
``lambda1 * L_b + lambda2 * L_adv + lambda3 * L_is``. Whether a term helps
depends on what its gradient does to the backbone: its size next to the
others and its direction. This module captures every stage's output with a
forward hook and reports, per term and stage, the norm of
``d term / d stage output`` and the cosine between the terms' gradients.
"""
from contextlib import contextmanager
from itertools import combinations
from typing import Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

import torch
import torch.nn as nn


def find_stage_modules(backbone: nn.Module) -> List[Tuple[str, nn.Module]]:
    """The residual stages of a backbone, shallow -> deep.

    Recognises mmhkd's ``CifarResNet`` (``stages``, a ModuleList),
    mmpretrain's ResNets (``res_layers``, the names ``layer1..``) and any
    backbone with ``layer1``, ``layer2``, ... attributes.

    Raises:
        ValueError: When none of these is found.
    """
    stages = getattr(backbone, 'stages', None)
    if isinstance(stages, nn.ModuleList) and len(stages) > 0:
        return [(f'stages.{i}', m) for i, m in enumerate(stages)]
    names = list(getattr(backbone, 'res_layers', None) or [])
    if not names:
        index = 1
        while isinstance(getattr(backbone, f'layer{index}', None),
                         nn.Module):
            names.append(f'layer{index}')
            index += 1
    if not names:
        raise ValueError(
            f'{type(backbone).__name__} has no `stages` ModuleList and no '
            '`layer1`, `layer2`, ... modules; cannot find its stages.')
    return [(name, getattr(backbone, name)) for name in names]


class StageCapture:
    """Forward hooks that keep each stage's output for ``autograd.grad``.

    The hook keeps the stage's output and hands the rest of the network a
    copy (``clone``): everything downstream reaches the kept tensor through
    the copy, so the gradient with respect to it is the full gradient
    reaching the stage, and no later in-place operation (e.g. a ReLU with
    ``inplace=True``) can modify it.
    """

    def __init__(self, modules: Sequence[nn.Module]) -> None:
        self.modules = list(modules)
        self.outputs: List[Optional[torch.Tensor]] = [None] * len(modules)
        self._handles: list = []

    def _hook(self, index: int):

        def hook(module: nn.Module, args, output):
            if not isinstance(output, torch.Tensor):
                raise TypeError('stage outputs must be tensors, got '
                                f'{type(output).__name__}')
            self.outputs[index] = output
            return output.clone()

        return hook

    def __enter__(self) -> 'StageCapture':
        self._handles = [
            m.register_forward_hook(self._hook(i))
            for i, m in enumerate(self.modules)
        ]
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []


@contextmanager
def capture_stages(modules: Sequence[nn.Module]) -> Iterator[StageCapture]:
    """Context manager form of :class:`StageCapture`."""
    capture = StageCapture(modules)
    with capture:
        yield capture


def term_gradients(terms: Mapping[str, torch.Tensor],
                   outputs: Sequence[torch.Tensor]
                   ) -> Dict[str, List[Optional[torch.Tensor]]]:
    """``d term / d output`` for every term and captured output.

    A term that does not reach an output (or has no graph) gets ``None``
    there. The graph is retained, so the terms may share it.
    """
    grads: Dict[str, List[Optional[torch.Tensor]]] = {}
    for name, term in terms.items():
        if not term.requires_grad:
            grads[name] = [None] * len(outputs)
            continue
        found = torch.autograd.grad(
            term, list(outputs), retain_graph=True, allow_unused=True)
        grads[name] = [None if g is None else g.detach() for g in found]
    return grads


def cosine(a: Optional[torch.Tensor],
           b: Optional[torch.Tensor]) -> Optional[float]:
    """Cosine of two flattened gradients; ``None`` if either is missing or
    zero (no direction)."""
    if a is None or b is None:
        return None
    a, b = a.flatten().double(), b.flatten().double()
    norms = a.norm() * b.norm()
    if norms == 0:
        return None
    return float(a @ b / norms)


def gradient_statistics(grads: Mapping[str, Sequence[Optional[torch.Tensor]]]
                        ) -> Dict[str, object]:
    """Norms per term and stage, and the cosine of each pair per stage.

    Returns:
        dict: ``norms[term]`` is a list with one float per stage (0.0 where
        the term does not reach the stage); ``cosines['a|b']`` a list with
        one float (or ``None``) per stage.
    """
    norms = {
        name: [0.0 if g is None else float(g.double().norm()) for g in gs]
        for name, gs in grads.items()
    }
    cosines = {}
    for a, b in combinations(list(grads), 2):
        cosines[f'{a}|{b}'] = [
            cosine(ga, gb) for ga, gb in zip(grads[a], grads[b])
        ]
    return dict(norms=norms, cosines=cosines)


def parameter_gradient_norm(term: torch.Tensor,
                            params: Sequence[nn.Parameter]) -> float:
    """L2 norm of ``d term / d params`` over all ``params`` (0.0 if the term
    reaches none of them). The graph is retained."""
    params = [p for p in params if p.requires_grad]
    if not params or not term.requires_grad:
        return 0.0
    found = torch.autograd.grad(
        term, params, retain_graph=True, allow_unused=True)
    total = sum(float((g.double()**2).sum()) for g in found if g is not None)
    return total**0.5
