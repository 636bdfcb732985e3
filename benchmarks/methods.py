"""The methods of the Fashion-MNIST benchmark (docs/benchmark.md), and seeds.

Every method is one of the repository's own configs, run by ``tools/train.py``
exactly as a user runs it; the suite only adds ``--cfg-options`` for the seed
and, for HKSANC, the checkpoint of the teacher-attention phase.
"""
from dataclasses import dataclass
from typing import Optional, Tuple

_PAIR = 'preact-resnet29_resnet20-half_1xb128_fashion-mnist-1k'
ADAPTATION_GLOBAL = ('configs/hksanc/hksanc-adaptation_preact-resnet29_'
                     '1xb128_fashion-mnist.py')
ADAPTATION_HIERARCHICAL = ('configs/hksanc/hksanc-adaptation-hierarchical_'
                           'preact-resnet29_1xb128_fashion-mnist.py')


@dataclass(frozen=True)
class Method:
    """One row of the results table.

    Attributes:
        name: Short identifier, also the run folder's name.
        label: Name in tables and plots.
        config: The config run by ``tools/train.py`` (repository-relative).
        num_seeds: Seeds 0..num_seeds-1 (docs/benchmark.md, v1 "Protocol":
            >= 3 for vanilla, KD, DKD and HKSANC, >= 2 for the others).
        adaptation: Config of the teacher-attention phase whose checkpoint
            the method loads (``model.teacher_attention_ckpt``), if any.
    """
    name: str
    label: str
    config: str
    num_seeds: int
    adaptation: Optional[str] = None


METHODS: Tuple[Method, ...] = (
    Method('vanilla', 'Vanilla student',
           'configs/vanilla/resnet20-half_1xb128_fashion-mnist-1k.py', 3),
    Method('kd', 'KD', f'configs/distill/kd/kd_logits_{_PAIR}.py', 3),
    Method('dkd', 'DKD', f'configs/distill/dkd/dkd_logits_{_PAIR}.py', 3),
    Method('at', 'AT', f'configs/distill/at/at_backbone_{_PAIR}.py', 2),
    Method('fitnets', 'FitNets',
           f'configs/distill/fitnets/fitnets_backbone_{_PAIR}.py', 2),
    Method('anc', 'ANC-style (logit L2 + D)',
           f'configs/hksanc/ablations/anc_logits_{_PAIR}.py', 2),
    Method('hksanc', 'HKSANC (global query)',
           f'configs/hksanc/hksanc_{_PAIR}.py', 3, ADAPTATION_GLOBAL),
    Method('hksanc-hierarchical', 'HKSANC (hierarchical query)',
           f'configs/hksanc/hksanc-hierarchical_{_PAIR}.py', 2,
           ADAPTATION_HIERARCHICAL),
    Method('hksanc-no-is', 'HKSANC w/o intermediate supervision',
           f'configs/hksanc/ablations/hksanc-no-is_{_PAIR}.py', 2),
    Method('hksanc-no-adv', 'HKSANC w/o adversarial term',
           f'configs/hksanc/ablations/hksanc-no-adv_{_PAIR}.py', 2,
           ADAPTATION_GLOBAL),
    Method('hksanc-no-category', 'HKSANC w/o category head',
           f'configs/hksanc/ablations/hksanc-no-category_{_PAIR}.py', 2,
           ADAPTATION_GLOBAL),
    # the winners of the tuning trials (validation split), then run on the
    # test set like every other method (benchmarks/tuning.py)
    Method('kd-tuned', 'KD, tuned (T=4, 0.5 KD + 0.5 CE)',
           f'configs/tuned/kd-tuned_logits_{_PAIR}.py', 3),
    Method('hksanc-tuned', 'HKSANC, tuned (lambda1 = 3)',
           f'configs/tuned/hksanc-tuned_{_PAIR}.py', 3, ADAPTATION_GLOBAL),
)


def method_by_name(name: str) -> Method:
    """The method called ``name``.

    Raises:
        KeyError: Naming the known methods.
    """
    for method in METHODS:
        if method.name == name:
            return method
    raise KeyError(f'unknown method {name!r}; known: '
                   f'{[m.name for m in METHODS]}')
