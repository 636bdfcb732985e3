"""The v2 Fashion-MNIST benchmark: methods compared paired by seed.

Every method runs ``configs/fashion-mnist-v2/`` (the 10-epoch teacher, the
1,000 labelled images as a pool of 32 replayable views, validations at
epochs 52-60) with seeds 0..n-1; seed k gives every method the same student
initialisation (``PairedInitHook``), data order and views. The distillation
methods read the teacher from a cache of that pool, built once per teacher
side (``tools/cache_teacher.py``; the same records as the live teacher, see
docs/teacher_cache.md). HKSANC's methods first need phase 2 (adaptation) on
the v2 teacher.
"""
import os.path as osp
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from .peak_lr import peak_lr_options, regime_root
from .suite import CACHE_TOOL, Run, adaptation_checkpoint

V2 = 'configs/fashion-mnist-v2'
_PAIR = 'preact-resnet29-10e_resnet20-half_fashion-mnist-1k-v2'
V2_ADAPTATION = f'{V2}/adaptation_preact-resnet29-10e_fashion-mnist-v2.py'
V2_TEACHER = 'checkpoints/preact-resnet29-10e_1xb128_fashion-mnist.pth'
V2_VIEWS = 32
REFERENCE = 'kd-tuned'
QUICK_VIEWS = 2


@dataclass(frozen=True)
class PairedMethod:
    """One method of the paired benchmark.

    Attributes:
        name: Identifier (run names, ``paired.json``).
        label: Name in tables.
        config: Repository-relative config.
        cache: Whether it distils from a teacher cache (False: no teacher).
        adaptation: Whether it needs HKSANC's phase 2 checkpoint.
        cache_group: Methods of one group have the same teacher side (the
            same teacher, connectors, records and preprocessing) and share
            one cache; default: the method's own name.
    """
    name: str
    label: str
    config: str
    cache: bool = True
    adaptation: bool = False
    cache_group: Optional[str] = None

    @property
    def cache_name(self) -> str:
        """The name of the cache this method reads."""
        return self.cache_group or self.name


V2_METHODS: Tuple[PairedMethod, ...] = (
    PairedMethod('vanilla', 'Vanilla student',
                 f'{V2}/vanilla_resnet20-half_fashion-mnist-1k-v2.py',
                 cache=False),
    PairedMethod('kd-tuned', 'KD, tuned (T=4, 0.9 KD + 0.1 CE)',
                 f'{V2}/kd-tuned_logits_{_PAIR}.py', cache_group='logits'),
    PairedMethod('dkd', 'DKD (mdistiller defaults: T=4, beta=8)',
                 f'{V2}/dkd_logits_{_PAIR}.py', cache_group='logits'),
    PairedMethod('dkd-tuned', 'DKD, tuned (T=4, beta=4)',
                 f'{V2}/dkd-tuned_logits_{_PAIR}.py', cache_group='logits'),
    PairedMethod('hksanc', 'HKSANC (shipped defaults)',
                 f'{V2}/hksanc_{_PAIR}.py', adaptation=True,
                 cache_group='hksanc'),
    PairedMethod('hksanc-no-is', 'HKSANC w/o intermediate supervision',
                 f'{V2}/hksanc-no-is_{_PAIR}.py'),
    PairedMethod('hksanc-no-adv', 'HKSANC w/o real/fake game',
                 f'{V2}/hksanc-no-adv_{_PAIR}.py', adaptation=True,
                 cache_group='hksanc'),
    PairedMethod('hksanc-no-category', 'HKSANC w/o category head',
                 f'{V2}/hksanc-no-category_{_PAIR}.py', adaptation=True,
                 cache_group='hksanc'),
)


def paired_method(name: str) -> PairedMethod:
    """The v2 method called ``name`` (KeyError naming the known ones)."""
    for method in V2_METHODS:
        if method.name == name:
            return method
    raise KeyError(f'unknown v2 method {name!r}; known: '
                   f'{[m.name for m in V2_METHODS]}')


def plan_v2_runs(methods: Sequence[PairedMethod] = V2_METHODS,
                 num_seeds: int = 5,
                 work_root: str = 'work_dirs/benchmark-v2',
                 views: int = V2_VIEWS,
                 extra_options: Sequence[str] = (),
                 quick: bool = False,
                 data_options: Sequence[str] = (),
                 name_suffix: str = '',
                 adaptation_dir: Optional[str] = None,
                 peak_lr: Optional[float] = None) -> List[Run]:
    """Phase 2, one cache per distillation method, then seed-major runs.

    Args:
        methods: The methods.
        num_seeds: Seeds 0..num_seeds-1 for every method.
        work_root: Parent of the work dirs and caches.
        views: Views per image of the caches (the configs' pool size).
        extra_options: More ``--cfg-options`` for every method run.
        quick: One epoch per run, validation on 1,000 test images, a pool
            (and caches) of ``QUICK_VIEWS`` views.
        data_options: ``--cfg-options`` that change the training set (e.g.
            the validation split): given to the method runs and to the
            caches, which must be built for that training set.
        name_suffix: Appended to the method runs' names (tuning trials).
        adaptation_dir: Work dir of phase 2 (default ``work_root/
            adaptation``); a phase 2 that exists is shared, not rerun.
        peak_lr: The students' one-cycle peak learning rate for every
            method (default: each config's, 0.1); the method runs go to
            ``work_root/peak-lr-<value>/``, phase 2 and the caches (the
            teacher side) are shared with the default regime.
    """
    adaptation_dir = adaptation_dir or osp.join(work_root, 'adaptation')
    attention = adaptation_checkpoint(adaptation_dir)
    quick_options = []
    if quick:
        views = QUICK_VIEWS
        quick_options = ['train_cfg.max_epochs=1', 'train_cfg.val_begin=1',
                         'val_dataloader.dataset.indices=1000',
                         f'train_dataloader.dataset.num_views={views}']
    runs: List[Run] = []
    if any(m.adaptation for m in methods):
        runs.append(Run(
            name='adaptation-v2', config=V2_ADAPTATION,
            options=(['train_dataloader.dataset.num_per_class=20',
                      'val_dataloader.dataset.indices=1000']
                     if quick else []),
            work_dir=adaptation_dir))
    caches = {}
    for method in methods:
        if not method.cache or method.cache_name in caches:
            continue
        out = osp.join(work_root, 'caches', f'{method.cache_name}.npy')
        options = [f'model.teacher_ckpt={V2_TEACHER}', *data_options]
        needs = []
        if method.adaptation:
            options.append(f'model.teacher_attention_ckpt={attention}')
            needs.append('adaptation-v2')
        caches[method.cache_name] = out
        runs.append(Run(
            name=f'cache-{method.cache_name}', config=method.config,
            options=['--views', str(views), '--out', out,
                     '--cfg-options', *options],
            work_dir=osp.dirname(out), needs=needs, tool=CACHE_TOOL,
            done_file=out + '.manifest.json'))
    run_root = regime_root(work_root, peak_lr)
    regimes = {m.name: [] if peak_lr is None else
               peak_lr_options(m.config, peak_lr) for m in methods}
    for seed in range(num_seeds):
        for method in methods:
            options = [f'randomness.seed={seed}',
                       f'train_dataloader.sampler.seed={seed}',
                       *quick_options, *data_options, *extra_options,
                       *regimes[method.name]]
            needs = []
            if method.adaptation:
                options.append(f'model.teacher_attention_ckpt={attention}')
            if method.cache:
                options.append(
                    f'model.teacher_cache={caches[method.cache_name]}')
                needs.append(f'cache-{method.cache_name}')
            name = f'{method.name}{name_suffix}__seed{seed}'
            runs.append(Run(name=name, config=method.config, options=options,
                            work_dir=osp.join(run_root, name), needs=needs,
                            method=method.name, seed=seed))
    return runs


def cache_of(method: PairedMethod,
             work_root: str = 'work_dirs/benchmark-v2') -> Optional[str]:
    """Where :func:`plan_v2_runs` puts a method's cache (None: no cache)."""
    if not method.cache:
        return None
    return osp.join(work_root, 'caches', f'{method.cache_name}.npy')
