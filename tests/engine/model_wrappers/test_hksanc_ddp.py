"""HKSANCDistributedDataParallel: both HKSANC steps synchronised.

In-process checks run a one-process gloo group: the wrapper's iteration is
bit-identical to ``HKSANCDistill.train_step`` (default schedule and one with
D steps, D interval, warm-up and the fake-as-real dropout), every forward
runs inside its own optimizer's ``optim_context`` (what ``--amp`` relies
on), other algorithms train as with ``MMDistributedDataParallel``.

The end-to-end check launches two CPU processes through
``tools/dist_train.sh`` (gloo) on real Fashion-MNIST (one image per class,
batch 2 per process, one epoch): each rank dumps its weights (helper hook
``rank_dump_hook.py``, imported by the config); the ranks saw disjoint
samples, yet student, student connector and discriminator end identical on
both ranks and differ from their initial values. Without gradient
synchronisation of either step the ranks would diverge.
"""
import contextlib
import copy
import os
import os.path as osp
import socket
import subprocess
import sys
import textwrap
from typing import Dict, Iterator, List, Set

import pytest
import torch
import torch.distributed as dist
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import DefaultScope, init_default_scope
from mmpretrain.structures import DataSample
from mmrazor.registry import MODEL_WRAPPERS, MODELS, \
    OPTIM_WRAPPER_CONSTRUCTORS

from conftest import CONFIG_ROOT, REPO_ROOT, tiny_run_options
from mmhkd.engine.model_wrappers import HKSANCDistributedDataParallel
from mmhkd.engine.optimizers.hksanc_optim_wrapper_constructor import \
    StudentSide

HKSANC_CONFIG = osp.join(
    CONFIG_ROOT, 'hksanc',
    'hksanc_preact-resnet29_resnet20-half_1xb128_fashion-mnist-1k.py')
VANILLA_TEACHER = osp.join(CONFIG_ROOT, 'vanilla',
                           'preact-resnet29_1xb128_fashion-mnist.py')
HELPERS = osp.dirname(osp.abspath(__file__))
LABELS = [3, 1, 4, 1]
TRAINED = ('architecture.', 'distiller.connectors.student_attention.',
           'discriminator.')
FROZEN = ('teacher.', 'distiller.connectors.teacher_attention.')


# --------------------------------------------------------------- helpers
@pytest.fixture(scope='module')
def hksanc_cfg() -> Config:
    cfg = Config.fromfile(HKSANC_CONFIG)
    cfg.model.teacher_ckpt = None
    cfg.model.teacher_attention_ckpt = None
    cfg.model.teacher.backbone.depth = 11
    return cfg


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def process_group(tmp_path) -> Iterator[None]:
    """A one-process gloo group, destroyed afterwards."""
    dist.init_process_group(
        'gloo', init_method=f'file://{tmp_path}/pg', rank=0, world_size=1)
    yield
    dist.destroy_process_group()


@pytest.fixture
def set_iteration() -> Iterator:
    hub = MessageHub.get_current_instance()

    def set_iter(value: int) -> None:
        MessageHub.get_current_instance().update_info('iter', value)

    set_iter(0)
    yield set_iter
    hub.update_info('iter', 0)


def build_model(cfg: Config, **overrides) -> nn.Module:
    model_cfg = copy.deepcopy(cfg.model)
    adversarial = overrides.pop('adversarial_loss', {})
    model_cfg.adversarial_loss.update(adversarial)
    model_cfg.update(overrides)
    init_default_scope('mmrazor')
    torch.manual_seed(0)
    return MODELS.build(model_cfg)


def build_optim(cfg: Config, model: nn.Module) -> OptimWrapperDict:
    optim_cfg = copy.deepcopy(dict(cfg.optim_wrapper))
    optim_cfg.pop('constructor')
    return OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(
            type='HKSANCOptimWrapperConstructor',
            optim_wrapper_cfg=optim_cfg))(model)


def make_batch(seed: int) -> dict:
    gen = torch.Generator().manual_seed(seed)
    return dict(
        inputs=[
            torch.randint(0, 256, (1, 32, 32), dtype=torch.uint8,
                          generator=gen) for _ in LABELS
        ],
        data_samples=[DataSample().set_gt_label(k) for k in LABELS])


def assert_same_tree(a, b, where: str = '') -> None:
    """Nested dicts/lists of tensors and numbers are exactly equal."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and torch.equal(a, b), where
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for k in a:
            assert_same_tree(a[k], b[k], f'{where}.{k}')
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_tree(x, y, f'{where}[{i}]')
    else:
        assert a == b, (where, a, b)


# --------------------------------------------------------- registration
def test_registered_for_configs():
    assert MODEL_WRAPPERS.get('HKSANCDistributedDataParallel') is \
        HKSANCDistributedDataParallel
    # the Runner looks the type up in mmengine's root registry
    assert MMENGINE_MODEL_WRAPPERS.get('HKSANCDistributedDataParallel') is \
        HKSANCDistributedDataParallel
    assert Config.fromfile(HKSANC_CONFIG).model_wrapper_cfg == dict(
        type='HKSANCDistributedDataParallel')


# ------------------------------------------------- one-process behaviour
@pytest.mark.parametrize(
    'overrides', [
        {},
        dict(
            discriminator_steps=2,
            discriminator_interval=2,
            adversarial_warmup_iters=1,
            adversarial_loss=dict(fake_as_real_weight=0.5)),
    ],
    ids=['defaults', 'steps-interval-warmup-fake-as-real'])
def test_matches_single_process_train_step(hksanc_cfg, process_group,
                                           set_iteration, overrides):
    reference = build_model(hksanc_cfg, **copy.deepcopy(overrides))
    module = build_model(hksanc_cfg, **copy.deepcopy(overrides))
    assert_same_tree(reference.state_dict(), module.state_dict())
    reference_optim = build_optim(hksanc_cfg, reference)
    wrapper = HKSANCDistributedDataParallel(module=module, device_ids=[0])
    assert wrapper.module is module
    assert wrapper.find_unused_parameters
    optim = build_optim(hksanc_cfg, wrapper)
    for iteration in range(4):
        set_iteration(iteration)
        torch.manual_seed(100 + iteration)
        expected = reference.train_step(make_batch(iteration),
                                        reference_optim)
        torch.manual_seed(100 + iteration)
        got = wrapper.train_step(make_batch(iteration), optim)
        assert_same_tree({k: v.detach() for k, v in expected.items()},
                         {k: v.detach() for k, v in got.items()},
                         f'log_vars@{iteration}')
    assert_same_tree(reference.state_dict(), module.state_dict(), 'model')
    assert_same_tree(reference_optim.state_dict(), optim.state_dict(),
                     'optimizer')


class SpyWrapper(OptimWrapper):
    """Records which optimizer contexts are open (AMP's autocast lives
    in ``optim_context``)."""

    open_contexts: Set[str] = set()

    def __init__(self, name: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.name = name

    @contextlib.contextmanager
    def optim_context(self, model: nn.Module) -> Iterator[None]:
        SpyWrapper.open_contexts.add(self.name)
        try:
            with super().optim_context(model):
                yield
        finally:
            SpyWrapper.open_contexts.discard(self.name)


def test_every_forward_runs_in_its_optimizers_context(hksanc_cfg,
                                                      process_group,
                                                      set_iteration):
    module = build_model(hksanc_cfg)
    wrapper = HKSANCDistributedDataParallel(module=module)
    optim = OptimWrapperDict(
        student=SpyWrapper(
            'student',
            optimizer=torch.optim.SGD(
                StudentSide(module).parameters(), lr=0.1)),
        discriminator=SpyWrapper(
            'discriminator',
            optimizer=torch.optim.Adam(module.discriminator.parameters())))
    seen: Dict[str, List[Set[str]]] = dict(student=[], discriminator=[])
    for name in seen:
        getattr(module, name).register_forward_pre_hook(
            lambda mod, args, _name=name: seen[_name].append(
                set(SpyWrapper.open_contexts)))
    wrapper.train_step(make_batch(0), optim)
    assert seen['student'] == [{'student'}]
    # D step under D's context, then the student's L_adv under the student's
    assert seen['discriminator'] == [{'discriminator'}, {'student'}]


def test_other_algorithms_train_as_mmddp(process_group):

    class Linear(BaseModel):

        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(2, 1)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            return dict(loss=self.fc(inputs).pow(2).mean())

    module = Linear()
    before = module.fc.weight.detach().clone()
    wrapper = HKSANCDistributedDataParallel(module=module, device_ids=[0])
    assert wrapper.discriminator_ddp is None
    optim = OptimWrapper(torch.optim.SGD(module.parameters(), lr=0.1))
    log_vars = wrapper.train_step(dict(inputs=torch.ones(3, 2)), optim)
    assert set(log_vars) == {'loss'}
    assert not torch.equal(before, module.fc.weight)


# ----------------------------------------- two processes, real launcher
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def write_random_teacher(path: str) -> None:
    from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        teacher = MMPRETRAIN_MODELS.build(
            Config.fromfile(VANILLA_TEACHER).model)
    torch.manual_seed(1)
    teacher.init_weights()
    torch.save({'state_dict': teacher.state_dict(), 'meta': {}}, path)


def write_dump_config(path: str) -> None:
    """The HKSANC config plus the per-rank dump hook."""
    hooks = Config.fromfile(HKSANC_CONFIG).to_dict().get('custom_hooks', [])
    hooks = [dict(h) for h in hooks] + [dict(type='RankDumpHook')]
    with open(path, 'w') as f:
        f.write(
            textwrap.dedent(f'''\
                _base_ = [{HKSANC_CONFIG!r}]
                custom_imports = dict(
                    imports=['mmhkd', 'rank_dump_hook'],
                    allow_failed_imports=False)
                custom_hooks = {hooks!r}
                '''))


def select(state: Dict[str, torch.Tensor],
           prefix: str) -> Dict[str, torch.Tensor]:
    return {k: v for k, v in state.items() if k.startswith(prefix)}


def test_two_processes_through_dist_train_sh(fashion_mnist_root, tmp_path):
    teacher = str(tmp_path / 'teacher.pth')
    write_random_teacher(teacher)
    config = str(tmp_path / 'hksanc_rank_dump.py')
    write_dump_config(config)
    work_dir = str(tmp_path / 'work')
    options = tiny_run_options('fashion-mnist', batch_size=2)
    options.update({
        'model.teacher_ckpt': teacher,
        'model.teacher_attention_ckpt': None,
        'train_cfg.max_epochs': 1,
    })
    env = dict(
        os.environ,
        PYTHON=sys.executable,
        PORT=str(free_port()),
        OMP_NUM_THREADS='1',
        PYTHONPATH=os.pathsep.join(
            p for p in (HELPERS, os.environ.get('PYTHONPATH')) if p))
    venv = osp.join(REPO_ROOT, '.venv', 'bin', 'python')
    if osp.exists(venv) and osp.samefile(venv, sys.executable):
        # the README's set-up: dist_train.sh must find the venv by itself,
        # with no activated venv and no torch on PATH
        del env['PYTHON']
        env['PATH'] = '/usr/bin:/bin'
    command = [
        'bash', osp.join(REPO_ROOT, 'tools', 'dist_train.sh'), config, '2',
        '--work-dir', work_dir, '--cfg-options'
    ] + [f'{k}={v}' for k, v in options.items()]
    run = subprocess.run(
        command,
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=400)
    assert run.returncode == 0, run.stdout[-6000:]

    ranks = [
        torch.load(osp.join(work_dir, f'rank{r}.pth'), weights_only=False)
        for r in range(2)
    ]
    for rank, dump in enumerate(ranks):
        assert (dump['rank'], dump['world_size']) == (rank, 2)
        assert dump['wrapper'] == 'HKSANCDistributedDataParallel'

    # DistributedSampler: each rank its own half of the ten images
    seen = [{i for b in dump['batches'] for i in b['sample_idx']}
            for dump in ranks]
    assert len(seen[0]) == len(seen[1]) == 5
    assert seen[0].isdisjoint(seen[1])
    assert seen[0] | seen[1] == set(range(10))
    assert [len(dump['batches']) for dump in ranks] == [3, 3]

    first, second = (dump['final']['params'] for dump in ranks)
    for prefix in TRAINED:
        init = select(ranks[0]['init']['params'], prefix)
        assert init, prefix
        assert_same_tree(init, select(ranks[1]['init']['params'], prefix))
        final = select(first, prefix)
        assert_same_tree(final, select(second, prefix), prefix)
        changed = [k for k in init if not torch.equal(init[k], final[k])]
        assert len(changed) == len(init), (prefix, set(init) - set(changed))
    for prefix in FROZEN:
        assert_same_tree(
            select(ranks[0]['init']['params'], prefix), select(first, prefix))
        assert_same_tree(select(first, prefix), select(second, prefix))
    # Adam moments and SGD momentum come from the all-reduced gradients
    assert_same_tree(ranks[0]['optimizer'], ranks[1]['optimizer'])
    # RNGStateHook stores rank 0's states for all ranks: they are equal
    assert_same_tree(ranks[0]['rng_state'], ranks[1]['rng_state'])

    checkpoint = torch.load(
        osp.join(work_dir, 'epoch_1.pth'), map_location='cpu',
        weights_only=True)
    for prefix in TRAINED:
        final = select(first, prefix)
        assert_same_tree({k: checkpoint['state_dict'][k] for k in final},
                         final, prefix)
