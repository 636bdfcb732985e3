"""The plain-PyTorch HKSANC loop is the same step as HKSANCDistill.train_step:
from the same state and batch, one step of each gives the same weights."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub

from benchmarks.plain_hksanc_step import plain_hksanc_step
from benchmarks.step_cost import build_runner_for_cost, first_batch
from conftest import CONFIG_ROOT

HKSANC = osp.join(CONFIG_ROOT, 'hksanc', 'hksanc_preact-resnet29_'
                  'resnet20-half_1xb128_fashion-mnist-1k.py')


pytestmark = pytest.mark.usefixtures('restore_default_scope')


@pytest.fixture(scope='module')
def built(tmp_path_factory, fashion_mnist_root):
    cfg = Config.fromfile(HKSANC)
    cfg.train_dataloader.batch_size = 16
    cfg.train_dataloader.dataset.num_per_class = 2
    runner = build_runner_for_cost(cfg, str(tmp_path_factory.mktemp('cost')))
    return runner, cfg, first_batch(runner, cfg)


def test_one_step_matches_the_algorithm(built):
    runner, cfg, batch = built
    algorithm = runner.model
    algorithm.train()
    wrapper = runner.build_optim_wrapper(cfg.optim_wrapper)
    plain = plain_hksanc_step(algorithm, wrapper, batch)
    before = {k: v.clone() for k, v in algorithm.state_dict().items()}
    MessageHub.get_current_instance().update_info('iter', 0)
    algorithm.train_step(batch, wrapper)
    plain()
    after_runner = algorithm.state_dict()
    after_plain = plain.model.state_dict()
    changed = 0
    for key, value in after_runner.items():
        if not value.is_floating_point():
            continue
        assert torch.allclose(value, after_plain[key], atol=2e-5,
                              rtol=1e-4), key
        if key.startswith(('architecture.', 'discriminator.',
                           'distiller.connectors.student_attention')):
            changed += not torch.equal(value, before[key])
        if key.startswith(('teacher.',
                           'distiller.connectors.teacher_attention')):
            assert torch.equal(value, before[key]), key
    assert changed > 50  # both players really moved


def test_plain_step_leaves_the_original_alone(built):
    runner, cfg, batch = built
    algorithm = runner.model
    wrapper = runner.build_optim_wrapper(cfg.optim_wrapper)
    before = {k: v.clone() for k, v in algorithm.state_dict().items()}
    plain_hksanc_step(algorithm, wrapper, batch)()
    for key, value in algorithm.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_profile_parts_cover_the_step(built):
    from benchmarks.step_profile import profile_parts
    runner, cfg, batch = built
    wrapper = runner.build_optim_wrapper(cfg.optim_wrapper)
    parts = profile_parts(plain_hksanc_step(runner.model, wrapper, batch),
                          steps=2, warmup=1)
    assert list(parts) == [
        'teacher forward', 'teacher estimators', 'student forward',
        'student transforms + estimators', 'discriminator step',
        'student losses', 'student backward + update']
    assert all(ms > 0 for ms in parts.values())
