"""Does any form of HKSANC's intermediate supervision (IS) add to the rest?

A diagnostic of the v2 protocol on the validation split (never the test
set; docs/benchmark.md, "Which IS form carries knowledge"): HKSANC with
its shipped defaults less IS (``no-is``, the reference), and with IS in
three forms, each paired by seed with it:

- ``fused``: the shipped IS (the descriptor pools ``L + proj(g)``, the
  paper's equation);
- ``features``: ``pool_source='features'`` on both connectors and in phase
  2 (the query steers the map but is not part of the descriptor; its own
  phase 2 and teacher cache);
- ``features-std``: the same, with both sides' descriptors standardised
  per channel over the batch (``loss_is.standardize=True``).

The measurements behind it (docs/diagnostics.md): with ``'fused'`` 96 % of
the per-sample variance of the teacher's descriptors is linear in its
logits, with ``'features'`` 71-86 %, and what remains is mostly a batch
mean that only a standardised loss lets count. The probe is not a tuning
round: its result changes no default by itself.

``peak_lr`` runs the same arms in another regime: the student's one-cycle
peak learning rate (0.1 in the v2 protocol) set for every arm alike, its
runs in ``peak-lr-<value>/`` under the work root, the phase 2 and caches
shared (the teacher side does not depend on the student's schedule). It
asks whether a regime where every seed fits the teacher's logits makes the
paired differences narrow enough to see what IS adds.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from .peak_lr import peak_lr_options, regime_root
from .protocol_v2 import V2_ADAPTATION, V2_TEACHER, V2_VIEWS, paired_method
from .suite import CACHE_TOOL, Run, adaptation_checkpoint
from .tuning_v2 import V2_VALIDATION_OPTIONS

WORK_ROOT = 'work_dirs/benchmark-v2-is-probe'
RESULTS = 'docs/results/benchmark/v2/is-probe'
# phase 2 and the teacher cache of the validation split that the v2 tuning
# built for the shipped (fused) teacher side, shared
FUSED_ADAPTATION = 'work_dirs/benchmark-v2/adaptation'
FUSED_CACHE = 'work_dirs/benchmark-v2-tuning/caches/hksanc.npy'
REFERENCE = 'no-is'
_CONNECTORS = 'model.distiller.connectors'
_FEATURES = (f'{_CONNECTORS}.student_attention.attention_cfg.'
             'pool_source=features',
             f'{_CONNECTORS}.teacher_attention.attention_cfg.'
             'pool_source=features')
# arm: (v2 method, teacher side 'fused'/'features'/None, extra options)
ARMS: Dict[str, Tuple[str, object, Tuple[str, ...]]] = {
    'no-is': ('hksanc-no-is', None, ()),
    'fused': ('hksanc', 'fused', ()),
    'features': ('hksanc', 'features', _FEATURES),
    'features-std': ('hksanc', 'features', _FEATURES + (
        'model.distiller.distill_losses.loss_is.standardize=True', )),
}
LABELS = {
    'no-is': 'HKSANC w/o IS',
    'fused': "IS, pool_source='fused' (shipped)",
    'features': "IS, pool_source='features'",
    'features-std': "IS, pool_source='features', standardised",
}


def plan_is_probe(num_seeds: int = 4, work_root: str = WORK_ROOT,
                  arms: Sequence[str] = tuple(ARMS),
                  peak_lr: Optional[float] = None) -> List[Run]:
    """Phase 2 with ``'features'``, the caches, then the seeds 0..n-1 of
    ``arms`` (seed-major) on the validation split, at the v2 protocol's
    peak learning rate or at ``peak_lr``."""
    unknown = sorted(set(arms) - set(ARMS))
    if unknown:
        raise ValueError(f'unknown IS probe arms {unknown}; known: '
                         f'{list(ARMS)}')
    run_root = regime_root(work_root, peak_lr)
    data = list(V2_VALIDATION_OPTIONS)
    features_adaptation = osp.join(work_root, 'adaptation-features')
    attention = {'fused': adaptation_checkpoint(FUSED_ADAPTATION),
                 'features': adaptation_checkpoint(features_adaptation)}
    caches = {'fused': FUSED_CACHE,
              'features': osp.join(work_root, 'caches', 'hksanc-features.npy'),
              None: osp.join(work_root, 'caches', 'hksanc-no-is.npy')}
    runs = [
        Run(name='adaptation-fused', config=V2_ADAPTATION, options=[],
            work_dir=FUSED_ADAPTATION),
        Run(name='adaptation-features', config=V2_ADAPTATION,
            options=['model.connector.attention_cfg.pool_source=features'],
            work_dir=features_adaptation),
    ]
    for side in ('fused', 'features', None):
        method = 'hksanc' if side else 'hksanc-no-is'
        options = [f'model.teacher_ckpt={V2_TEACHER}', *data]
        needs = []
        if side:
            options.append(f'model.teacher_attention_ckpt={attention[side]}')
            needs.append(f'adaptation-{side}')
        if side == 'features':
            options.append(_FEATURES[1])
        runs.append(Run(
            name=f'cache-{side or "no-is"}',
            config=paired_method(method).config,
            options=['--views', str(V2_VIEWS), '--out', caches[side],
                     '--cfg-options', *options],
            work_dir=osp.dirname(caches[side]), needs=needs, tool=CACHE_TOOL,
            done_file=caches[side] + '.manifest.json'))
    regimes = {arm: [] if peak_lr is None else peak_lr_options(
        paired_method(ARMS[arm][0]).config, peak_lr) for arm in arms}
    for seed in range(num_seeds):
        for arm in arms:
            method, side, extra = ARMS[arm]
            options = [f'randomness.seed={seed}',
                       f'train_dataloader.sampler.seed={seed}', *data,
                       *extra, *regimes[arm],
                       f'model.teacher_cache={caches[side]}']
            if side:
                options.append(f'model.teacher_attention_ckpt='
                               f'{attention[side]}')
            name = f'{arm}__seed{seed}'
            runs.append(Run(
                name=name, config=paired_method(method).config,
                options=options, work_dir=osp.join(run_root, name),
                needs=[f'cache-{side or "no-is"}'], method=arm, seed=seed))
    return runs


def probe_configs() -> Dict[str, str]:
    """The config of every arm (for ``paired_results``)."""
    return {arm: paired_method(method).config
            for arm, (method, _, _) in ARMS.items()}
