"""HKSANCDistill: the two-step iteration (D step, then student step).

Built from the real Fashion-MNIST HKSANC config with the teacher shrunk to
PreActBottleneckResNet-11 (same 64/128/256 widths) and no checkpoints, on
batches of four random 1x32x32 uint8 images, as mmpretrain's collate gives.

Checks: gradient routing over real train steps (teacher, its neck, head and
its attention connector bit-identical incl. BN statistics; student, student
connector and D trained), isolation of the two steps (D untouched by the
student step, student untouched by the D step), train/eval modes, every
logged term against an independent recomputation from the pre-step weights,
the schedule options (warm-up, D interval, D steps), the error messages and
the loading of the adaptation phase's connector checkpoint.
"""
import copy
import math
import os.path as osp
from typing import Dict, List

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapperDict
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample
from mmrazor.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS

from conftest import CONFIG_ROOT

HKSANC_CONFIG = osp.join(
    CONFIG_ROOT, 'hksanc',
    'hksanc_preact-resnet29_resnet20-half_1xb128_fashion-mnist-1k.py')
ADAPTATION_CONFIG = osp.join(
    CONFIG_ROOT, 'hksanc',
    'hksanc-adaptation_preact-resnet29_1xb128_fashion-mnist.py')
LABELS = [3, 1, 4, 1]

LOSS_KEYS = ('distill.loss_backbone', 'distill.loss_is', 'distill.loss_adv',
             'disc.loss_real', 'disc.loss_fake', 'disc.loss_category',
             'disc.loss_reg')
ACC_KEYS = ('disc.acc_real', 'disc.acc_fake', 'disc.acc_category_teacher',
            'disc.acc_category_student')


# --------------------------------------------------------------- helpers
@pytest.fixture(scope='module')
def hksanc_cfg() -> Config:
    cfg = Config.fromfile(HKSANC_CONFIG)
    cfg.model.teacher_ckpt = None
    cfg.model.teacher_attention_ckpt = None
    cfg.model.teacher.backbone.depth = 11
    return cfg


pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture(autouse=True)
def set_iteration():
    """Put the MessageHub's 'iter' at 0 (earlier Runners leave it set)."""
    hub = MessageHub.get_current_instance()
    hub.update_info('iter', 0)

    def set_iter(value: int) -> None:
        MessageHub.get_current_instance().update_info('iter', value)

    yield set_iter
    hub.update_info('iter', 0)


def build_model(cfg: Config, seed: int = 0, **overrides) -> nn.Module:
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.update(overrides)
    init_default_scope('mmrazor')
    torch.manual_seed(seed)
    return MODELS.build(model_cfg)


def build_optim(cfg: Config, model: nn.Module) -> OptimWrapperDict:
    optim_cfg = copy.deepcopy(dict(cfg.optim_wrapper))
    assert optim_cfg.pop('constructor') == 'HKSANCOptimWrapperConstructor'
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(
            type='HKSANCOptimWrapperConstructor',
            optim_wrapper_cfg=optim_cfg))
    return constructor(model)


def make_batch(seed: int = 0, labels: List[int] = LABELS) -> dict:
    gen = torch.Generator().manual_seed(seed)
    return dict(
        inputs=[
            torch.randint(0, 256, (1, 32, 32), dtype=torch.uint8,
                          generator=gen) for _ in labels
        ],
        data_samples=[DataSample().set_gt_label(k) for k in labels])


def snapshot(module: nn.Module) -> Dict[str, torch.Tensor]:
    """Every parameter and buffer, cloned."""
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def param_snapshot(module: nn.Module) -> Dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in module.named_parameters()}


def changed(before: Dict[str, torch.Tensor],
            after: Dict[str, torch.Tensor]) -> List[str]:
    assert before.keys() == after.keys()
    return [k for k in before if not torch.equal(before[k], after[k])]


def student_side(model: nn.Module) -> nn.ModuleDict:
    return nn.ModuleDict(
        dict(
            student=model.student,
            connector=model.distiller.connectors['student_attention']))


def grads_of(module: nn.Module) -> Dict[str, torch.Tensor]:
    return {
        n: p.grad
        for n, p in module.named_parameters() if p.grad is not None
    }


def value(x) -> float:
    return float(x.detach()) if isinstance(x, torch.Tensor) else float(x)


# ------------------------------------------------------ 1. gradient routing
def test_two_train_steps_route_gradients(hksanc_cfg):
    model = build_model(hksanc_cfg)
    optim = build_optim(hksanc_cfg, model)
    model.train()
    teacher_connector = model.distiller.connectors['teacher_attention']
    student_connector = model.distiller.connectors['student_attention']

    teacher_before = snapshot(model.teacher)
    # the teacher's state covers backbone, GlobalDescriptorNeck and head,
    # with BN running statistics
    for prefix in ('backbone.', 'neck.', 'head.'):
        assert any(k.startswith(prefix) for k in teacher_before), prefix
    assert any(k.endswith('running_mean') for k in teacher_before)
    assert any(k.startswith('neck.') and k.endswith('running_var')
               for k in teacher_before)
    teacher_connector_before = snapshot(teacher_connector)
    assert teacher_connector_before
    backbone_before = param_snapshot(model.student.backbone)
    neck_before = param_snapshot(model.student.neck)
    head_before = param_snapshot(model.student.head)
    transforms_before = [param_snapshot(t) for t in
                         student_connector.transforms]
    estimators_before = [param_snapshot(e) for e in
                         student_connector.estimators]
    disc_before = param_snapshot(model.discriminator)

    for seed in (0, 1):
        model.train_step(make_batch(seed), optim)

    assert changed(teacher_before, snapshot(model.teacher)) == []
    assert changed(teacher_connector_before,
                   snapshot(teacher_connector)) == []

    # every weight of the student network moved
    assert changed(backbone_before, param_snapshot(
        model.student.backbone)) == list(backbone_before)
    assert changed(neck_before, param_snapshot(
        model.student.neck)) == list(neck_before)
    assert changed(head_before, param_snapshot(
        model.student.head)) == list(head_before)
    # channel transforms (conv + BN, 8/16/32 -> 64/128/256) all trained
    assert len(transforms_before) == 3
    for i, before in enumerate(transforms_before):
        after = param_snapshot(student_connector.transforms[i])
        assert changed(before, after) == list(before), f'transform {i}'
    # estimators: query projection and score weight get gradients (the score
    # bias is constant over H x W, the softmax cancels it: no gradient)
    for i, before in enumerate(estimators_before):
        moved = changed(before,
                        param_snapshot(student_connector.estimators[i]))
        assert 'query_proj.weight' in moved and 'score.weight' in moved, (
            i, moved)
    assert changed(disc_before, param_snapshot(
        model.discriminator)) == list(disc_before)


def test_train_step_leaves_no_grad_on_frozen_parts(hksanc_cfg):
    model = build_model(hksanc_cfg)
    optim = build_optim(hksanc_cfg, model)
    model.train()
    model.train_step(make_batch(), optim)

    teacher_params = list(model.teacher.parameters())
    assert teacher_params
    assert all(not p.requires_grad for p in teacher_params)
    assert all(p.grad is None for p in teacher_params)
    connector_params = list(
        model.distiller.connectors['teacher_attention'].parameters())
    assert connector_params
    assert all(not p.requires_grad for p in connector_params)
    assert all(p.grad is None for p in connector_params)
    # the student side and D are trainable and were zeroed after their step
    assert all(p.requires_grad for p in student_side(model).parameters())
    assert all(p.requires_grad for p in model.discriminator.parameters())
    assert grads_of(model.discriminator) == {}
    assert grads_of(student_side(model)) == {}


# ------------------------------------------------ 2. isolation of the steps
def test_student_adversarial_loss_leaves_discriminator_untouched(
        hksanc_cfg):
    model = build_model(hksanc_cfg)
    model.train()
    data = model.data_preprocessor(make_batch(), True)
    inputs = data['inputs']
    labels = torch.tensor(LABELS)
    # give D's BN running statistics values that differ from a batch's
    model.discriminator.train()
    with torch.no_grad():
        model.discriminator(torch.randn(16, 10) * 3 + 1)
    reference = copy.deepcopy(model.discriminator).eval()
    disc_before = snapshot(model.discriminator)

    student_logits = model.student(inputs, mode='tensor')
    loss = model.student_adversarial_loss(student_logits, labels)
    loss.backward()

    assert all(p.grad is None for p in model.discriminator.parameters())
    assert changed(disc_before, snapshot(model.discriminator)) == []
    assert model.discriminator.training
    assert all(m.training for m in model.discriminator.modules())
    assert all(p.requires_grad for p in model.discriminator.parameters())
    # the gradient did reach the student
    assert model.student.head.fc.weight.grad is not None
    assert model.student.head.fc.weight.grad.abs().sum() > 0

    # value: D in EVAL mode (running statistics), BCE(-> teacher) + CE
    with torch.no_grad():
        scores = reference(student_logits.detach())
    expected = F.binary_cross_entropy_with_logits(
        scores[:, 0], torch.ones(4)) + F.cross_entropy(scores[:, 1:], labels)
    assert torch.allclose(loss.detach(), expected, rtol=1e-5, atol=1e-6)
    with torch.no_grad():
        train_mode_scores = copy.deepcopy(model.discriminator).train()(
            student_logits.detach())
    assert not torch.allclose(scores, train_mode_scores)  # modes differ


def test_student_adversarial_loss_restores_eval_mode(hksanc_cfg):
    model = build_model(hksanc_cfg)
    model.eval()
    logits = torch.randn(4, 10, requires_grad=True)
    model.student_adversarial_loss(logits, torch.tensor(LABELS)).backward()
    assert not model.discriminator.training
    assert all(p.requires_grad for p in model.discriminator.parameters())
    assert logits.grad is not None


def test_discriminator_update_leaves_student_untouched(hksanc_cfg):
    model = build_model(hksanc_cfg)
    optim = build_optim(hksanc_cfg, model)
    model.train()
    data = model.data_preprocessor(make_batch(), True)
    inputs = data['inputs']
    labels = torch.tensor(LABELS)
    with torch.no_grad():
        teacher_logits = model.teacher(inputs, mode='tensor')
    student_logits = model.student(inputs, mode='tensor')
    side_before = snapshot(student_side(model))
    disc_before = snapshot(model.discriminator)

    # not detached by the caller: discriminator_loss detaches them itself
    loss, log_vars = model.discriminator_loss(teacher_logits, student_logits,
                                              labels)
    optim['discriminator'].update_params(loss)

    assert changed(side_before, snapshot(student_side(model))) == []
    assert grads_of(student_side(model)) == {}
    assert changed(disc_before, snapshot(model.discriminator)) != []
    assert grads_of(model.discriminator) == {}  # zeroed after the step
    assert {'disc.loss', *[k for k in LOSS_KEYS if k.startswith('disc.')],
            *ACC_KEYS} == set(log_vars)


def test_train_step_isolates_the_two_updates(hksanc_cfg, monkeypatch):
    """Inside a real train_step: the student side is untouched (no grads, no
    change) across the D step, and D across the student's update."""
    model = build_model(hksanc_cfg)
    optim = build_optim(hksanc_cfg, model)
    model.train()
    seen = {}

    original_d_loss = model.discriminator_loss

    def watched_d_loss(teacher_inputs, student_inputs, labels):
        seen['d_inputs_require_grad'] = (teacher_inputs.requires_grad,
                                         student_inputs.requires_grad)
        seen['grads_before_d'] = dict(grads_of(student_side(model)))
        return original_d_loss(teacher_inputs, student_inputs, labels)

    monkeypatch.setattr(model, 'discriminator_loss', watched_d_loss)

    d_wrapper = optim['discriminator']
    original_d_update = d_wrapper.update_params

    def watched_d_update(loss, *args, **kwargs):
        before = snapshot(student_side(model))
        disc_before = snapshot(model.discriminator)
        original_d_update(loss, *args, **kwargs)
        seen['student_changed_by_d'] = changed(
            before, snapshot(student_side(model)))
        seen['student_grads_after_d'] = dict(grads_of(student_side(model)))
        seen['d_changed_by_d'] = changed(disc_before,
                                         snapshot(model.discriminator))

    monkeypatch.setattr(d_wrapper, 'update_params', watched_d_update)

    student_wrapper = optim['student']
    original_update = student_wrapper.update_params

    def watched_update(loss, *args, **kwargs):
        disc_before = snapshot(model.discriminator)
        side_before = snapshot(student_side(model))
        original_update(loss, *args, **kwargs)
        seen['d_changed_by_student'] = changed(
            disc_before, snapshot(model.discriminator))
        seen['d_grads_after_student'] = dict(grads_of(model.discriminator))
        seen['student_changed_by_student'] = changed(
            side_before, snapshot(student_side(model)))
        seen['d_mode_after_student'] = model.discriminator.training

    monkeypatch.setattr(student_wrapper, 'update_params', watched_update)

    model.train_step(make_batch(), optim)

    assert seen['d_inputs_require_grad'] == (False, False)
    assert seen['grads_before_d'] == {}
    assert seen['student_changed_by_d'] == []
    assert seen['student_grads_after_d'] == {}
    assert seen['d_changed_by_d'] != []
    assert seen['d_changed_by_student'] == []
    assert seen['d_grads_after_student'] == {}
    assert seen['student_changed_by_student'] != []
    assert seen['d_mode_after_student'] is True


# -------------------------------------------------------------- D's loss
def softplus(x: torch.Tensor) -> torch.Tensor:
    return torch.log1p(torch.exp(x))


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    picked = logits[torch.arange(len(labels)), labels]
    return (torch.logsumexp(logits, dim=1) - picked).mean()


def test_discriminator_loss_matches_the_formula_written_out(hksanc_cfg):
    """Every term of D's loss, with non-default weights, the fake-as-real
    term on and D's BatchNorm running statistics away from their initial
    values: BCE(teacher -> 1) and BCE(student -> 0) on the real/fake unit,
    category CE on both sides, mu * (L1 + squared L2) of the three weight
    matrices and BCE(dropout(student) -> 1) scored in eval mode with the
    statistics the joint train-mode pass left."""
    model = build_model(hksanc_cfg, seed=2, fake_as_real_dropout=0.3)
    loss_module = model.adversarial_loss
    loss_module.adversarial_weight = 0.7
    loss_module.category_weight = 1.3
    loss_module.regularization_weight = 0.01
    loss_module.fake_as_real_weight = 0.5
    model.train()
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():  # running statistics unlike a fresh D's
        model.discriminator(torch.randn(16, 10, generator=g) * 3 + 1)
    reference = copy.deepcopy(model.discriminator)
    teacher = torch.randn(8, 10, generator=g) * 3
    student = torch.randn(8, 10, generator=g)
    labels = torch.randint(0, 10, (8, ), generator=g)

    torch.manual_seed(5)
    loss, log_vars = model.discriminator_loss(teacher, student, labels)
    loss.backward()

    torch.manual_seed(5)  # D has no dropout: the same mask as in the call
    kept = F.dropout(student, 0.3, training=True)
    assert 0 < int((kept == 0).sum()) < kept.numel()
    reference.train()
    scores = reference(torch.cat([teacher, student]))
    real, fake = scores[:8], scores[8:]
    reference.eval()
    far = reference(kept)
    weights = [m.weight for m in reference.modules()
               if isinstance(m, nn.Linear)]
    assert len(weights) == 3
    expected = {
        'disc.loss_real': 0.7 * softplus(-real[:, 0]).mean(),
        'disc.loss_fake': 0.7 * softplus(fake[:, 0]).mean(),
        'disc.loss_category': 1.3 * (cross_entropy(real[:, 1:], labels) +
                                     cross_entropy(fake[:, 1:], labels)),
        'disc.loss_reg': 0.01 * sum(w.abs().sum() + (w * w).sum()
                                    for w in weights),
        'disc.loss_fake_as_real': 0.5 * softplus(-far[:, 0]).mean(),
    }
    total = sum(expected.values())
    for key, value_ in expected.items():
        torch.testing.assert_close(log_vars[key].detach(), value_.detach())
    torch.testing.assert_close(loss.detach(), total.detach())
    torch.testing.assert_close(log_vars['disc.loss'], total.detach())
    torch.testing.assert_close(log_vars['disc.acc_real'],
                               (real[:, 0] > 0).float().mean())
    torch.testing.assert_close(log_vars['disc.acc_fake'],
                               (fake[:, 0] <= 0).float().mean())
    torch.testing.assert_close(
        log_vars['disc.acc_category_teacher'],
        (real[:, 1:].argmax(1) == labels).float().mean())
    torch.testing.assert_close(
        log_vars['disc.acc_category_student'],
        (fake[:, 1:].argmax(1) == labels).float().mean())
    # the same gradients on D's parameters
    total.backward()
    got = dict(model.discriminator.named_parameters())
    for name, param in reference.named_parameters():
        torch.testing.assert_close(got[name].grad, param.grad,
                                   rtol=1e-4, atol=1e-6)
    # the same running statistics: the joint pass counted, the
    # fake-as-real pass did not; D back in train mode
    assert changed(snapshot(reference), snapshot(model.discriminator)) == []
    assert model.discriminator.training


def test_discriminator_loss_restores_eval_mode(hksanc_cfg):
    model = build_model(hksanc_cfg)
    model.adversarial_loss.fake_as_real_weight = 0.5
    model.eval()
    teacher, student = torch.randn(4, 10), torch.randn(4, 10)
    model.discriminator_loss(teacher, student, torch.tensor(LABELS))
    assert not any(m.training for m in model.discriminator.modules())


# ---------------------------------------------------------------- 3. modes
def test_teacher_side_stays_in_eval_mode(hksanc_cfg):
    model = build_model(hksanc_cfg)
    optim = build_optim(hksanc_cfg, model)
    teacher_side = [model.teacher,
                    model.distiller.connectors['teacher_attention']]
    for _ in range(2):
        model.eval()
        assert not any(m.training for m in model.modules())
        model.train()
        for part in teacher_side:
            assert not any(m.training for m in part.modules())
        for part in (model.student,
                     model.distiller.connectors['student_attention'],
                     model.discriminator):
            assert all(m.training for m in part.modules())
        assert model.training
    model.train_step(make_batch(), optim)
    for part in teacher_side:
        assert not any(m.training for m in part.modules())
    assert all(m.training for m in model.student.modules())
    assert all(m.training for m in model.discriminator.modules())


# ----------------------------------------------------------- 4. log values
def test_logged_terms_match_independent_computation(hksanc_cfg,
                                                    monkeypatch):
    model = build_model(hksanc_cfg)
    optim = build_optim(hksanc_cfg, model)
    model.train()
    reference = copy.deepcopy(model)  # the pre-step weights
    batch = make_batch()

    d_after_step = {}
    d_wrapper = optim['discriminator']
    original_d_update = d_wrapper.update_params

    def keep_d(*args, **kwargs):
        original_d_update(*args, **kwargs)
        d_after_step['d'] = copy.deepcopy(model.discriminator)

    monkeypatch.setattr(d_wrapper, 'update_params', keep_d)
    log_vars = model.train_step(batch, optim)

    for key in LOSS_KEYS + ACC_KEYS + ('loss', 'disc.loss'):
        assert key in log_vars, key
        assert math.isfinite(value(log_vars[key])), key
    assert not [k for k in log_vars if 'fake_as_real' in k]  # weight 0

    # independent recomputation with the pre-step weights, same modes
    reference.train()
    labels = torch.tensor(LABELS)
    with torch.no_grad():
        inputs = reference.data_preprocessor(batch, True)['inputs']
        s_feats = reference.student.extract_feat(inputs)
        s_logits = reference.student.head.fc(s_feats[-1])
        t_feats = reference.teacher.extract_feat(inputs)
        t_logits = reference.teacher.head.fc(t_feats[-1])
        s_desc = reference.distiller.connectors['student_attention'](s_feats)
        t_desc = reference.distiller.connectors['teacher_attention'](t_feats)

    def close(key, expected):
        got = value(log_vars[key])
        assert math.isclose(got, float(expected), rel_tol=1e-4,
                            abs_tol=1e-6), (key, got, float(expected))

    lambda1 = reference.distiller.distill_losses['loss_backbone'].loss_weight
    assert lambda1 == 3.0  # the shipped default (docs/method.md)
    close('distill.loss_backbone',
          lambda1 * F.mse_loss(s_logits, t_logits))
    assert len(s_desc) == len(t_desc) == 3
    close('distill.loss_is',
          sum(((s - t)**2).mean() for s, t in zip(s_desc, t_desc)))

    disc = reference.discriminator.train()
    with torch.no_grad():
        scores = disc(torch.cat([t_logits, s_logits]))
    real, fake = scores[:4], scores[4:]
    close('disc.loss_real',
          F.binary_cross_entropy_with_logits(real[:, 0], torch.ones(4)))
    close('disc.loss_fake',
          F.binary_cross_entropy_with_logits(fake[:, 0], torch.zeros(4)))
    close('disc.loss_category',
          F.cross_entropy(real[:, 1:], labels) +
          F.cross_entropy(fake[:, 1:], labels))
    weights = [m.weight for m in disc.modules() if isinstance(m, nn.Linear)]
    assert len(weights) == 3
    close('disc.loss_reg',
          1e-3 * sum(w.abs().sum() + (w**2).sum() for w in weights))
    close('disc.loss', sum(value(log_vars[k]) for k in LOSS_KEYS[3:]))
    close('disc.acc_real', (real[:, 0] > 0).float().mean())
    close('disc.acc_fake', (fake[:, 0] <= 0).float().mean())
    close('disc.acc_category_teacher',
          (real[:, 1:].argmax(1) == labels).float().mean())
    close('disc.acc_category_student',
          (fake[:, 1:].argmax(1) == labels).float().mean())

    # the student's adversarial term uses D after its update, in eval mode
    d_post = d_after_step['d'].eval()
    with torch.no_grad():
        adv_scores = d_post(s_logits)
    close('distill.loss_adv',
          F.binary_cross_entropy_with_logits(adv_scores[:, 0], torch.ones(4))
          + F.cross_entropy(adv_scores[:, 1:], labels))
    close('loss', sum(value(log_vars[k]) for k in LOSS_KEYS[:3]))


# ------------------------------------------------------- 5. the schedule
def test_adversarial_warmup(hksanc_cfg, set_iteration):
    model = build_model(hksanc_cfg, adversarial_warmup_iters=3)
    optim = build_optim(hksanc_cfg, model)
    model.train()
    set_iteration(2)
    log_vars = model.train_step(make_batch(), optim)
    assert 'distill.loss_adv' not in log_vars
    assert 'disc.loss_real' in log_vars  # D still trains during warm-up
    assert math.isclose(
        value(log_vars['loss']),
        value(log_vars['distill.loss_backbone']) +
        value(log_vars['distill.loss_is']), rel_tol=1e-6)
    set_iteration(3)
    log_vars = model.train_step(make_batch(), optim)
    assert 'distill.loss_adv' in log_vars


def test_discriminator_interval(hksanc_cfg, set_iteration):
    model = build_model(hksanc_cfg, discriminator_interval=2)
    optim = build_optim(hksanc_cfg, model)
    model.train()
    set_iteration(1)
    disc_before = snapshot(model.discriminator)
    log_vars = model.train_step(make_batch(), optim)
    assert not [k for k in log_vars if k.startswith('disc.')]
    assert 'distill.loss_adv' in log_vars
    assert changed(disc_before, snapshot(model.discriminator)) == []
    set_iteration(2)
    log_vars = model.train_step(make_batch(), optim)
    assert {*LOSS_KEYS[3:], *ACC_KEYS} <= set(log_vars)
    assert changed(disc_before, snapshot(model.discriminator)) != []


@pytest.mark.parametrize('steps', [1, 2])
def test_discriminator_steps(hksanc_cfg, monkeypatch, steps):
    model = build_model(hksanc_cfg, discriminator_steps=steps)
    optim = build_optim(hksanc_cfg, model)
    model.train()
    calls = {'discriminator': 0, 'student': 0}
    for key in calls:
        optimizer = optim[key].optimizer
        original = optimizer.step

        def counting_step(*args, _key=key, _original=original, **kwargs):
            calls[_key] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(optimizer, 'step', counting_step)
    model.train_step(make_batch(), optim)
    assert calls == {'discriminator': steps, 'student': 1}


# ------------------------------------------------------------- 6. errors
def test_missing_optim_wrapper_key(hksanc_cfg):
    model = build_model(hksanc_cfg)
    optim = build_optim(hksanc_cfg, model)
    for missing in ('student', 'discriminator'):
        kept = [k for k in ('student', 'discriminator') if k != missing]
        partial = OptimWrapperDict(**{k: optim[k] for k in kept})
        with pytest.raises(KeyError) as err:
            model.train_step(make_batch(), partial)
        message = err.value.args[0]
        assert 'HKSANCOptimWrapperConstructor' in message
        assert f"missing ['{missing}']" in message


def test_plain_optim_wrapper_is_refused_with_the_constructor_to_use(
        hksanc_cfg):
    """A config's plain optim_wrapper=dict(optimizer=...) gives one
    OptimWrapper; the message names the constructor (it used to be a raw
    "argument of type 'OptimWrapper' is not iterable")."""
    from mmengine.optim import OptimWrapper
    model = build_model(hksanc_cfg)
    plain = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(TypeError) as err:
        model.train_step(make_batch(), plain)
    message = str(err.value)
    assert 'got a single OptimWrapper' in message
    assert "constructor='HKSANCOptimWrapperConstructor'" in message


def test_unknown_teacher_connector(hksanc_cfg):
    with pytest.raises(KeyError) as err:
        build_model(hksanc_cfg, teacher_connectors=('teacher_attn', ))
    message = err.value.args[0]
    assert 'teacher_attn' in message
    assert 'student_attention' in message and 'teacher_attention' in message


def test_missing_logits_recorder(hksanc_cfg):
    with pytest.raises(KeyError) as err:
        build_model(hksanc_cfg, logits_recorder='scores')
    message = err.value.args[0]
    assert 'student_recorders' in message and "'scores'" in message
    # present on the student side only: the teacher side is named
    cfg = copy.deepcopy(hksanc_cfg)
    cfg.model.distiller.student_recorders['scores'] = dict(
        type='ModuleOutputs', source='head.fc')
    with pytest.raises(KeyError) as err:
        build_model(cfg, logits_recorder='scores')
    assert 'teacher_recorders' in err.value.args[0]


@pytest.mark.parametrize('key', ['discriminator_steps',
                                 'discriminator_interval'])
def test_discriminator_schedule_must_be_positive(hksanc_cfg, key):
    with pytest.raises(ValueError, match='must be >= 1'):
        build_model(hksanc_cfg, **{key: 0})


def test_teacher_attention_ckpt_missing_file(hksanc_cfg, tmp_path):
    path = str(tmp_path / 'nowhere.pth')
    with pytest.raises(FileNotFoundError, match='nowhere.pth'):
        build_model(hksanc_cfg, teacher_attention_ckpt=path)


def teacher_connector_state(hksanc_cfg) -> Dict[str, torch.Tensor]:
    model = build_model(hksanc_cfg, seed=3)
    return model.distiller.connectors['teacher_attention'].state_dict()


def test_teacher_attention_ckpt_key_mismatch(hksanc_cfg, tmp_path):
    state = {
        f'connector.{k}': v
        for k, v in teacher_connector_state(hksanc_cfg).items()
    }
    dropped = 'connector.estimators.2.score.weight'
    del state[dropped]
    state['connector.extra.weight'] = torch.zeros(1)
    path = str(tmp_path / 'mismatch.pth')
    torch.save({'state_dict': state, 'meta': {}}, path)
    with pytest.raises(KeyError) as err:
        build_model(hksanc_cfg, teacher_attention_ckpt=path)
    message = err.value.args[0]
    assert 'missing keys' in message and 'estimators.2.score.weight' in message
    assert 'unexpected keys' in message and 'extra.weight' in message


def test_teacher_attention_ckpt_without_connector(hksanc_cfg, tmp_path):
    path = str(tmp_path / 'teacher_only.pth')
    torch.save({'state_dict': {'backbone.w': torch.zeros(1)}}, path)
    with pytest.raises(KeyError, match="no weights under 'connector.'"):
        build_model(hksanc_cfg, teacher_attention_ckpt=path)


# -------------------------------------------- 7. teacher_attention_ckpt
def test_teacher_attention_ckpt_loads_adaptation_connector(
        hksanc_cfg, tmp_path):
    adapt_cfg = Config.fromfile(ADAPTATION_CONFIG)
    adapt_cfg.model.teacher_ckpt = None
    adapt_cfg.model.architecture.backbone.depth = 11
    init_default_scope('mmrazor')
    torch.manual_seed(7)
    adaptation = MODELS.build(adapt_cfg.model)
    with torch.no_grad():  # unlike any fresh initialisation
        for param in adaptation.connector.parameters():
            param.add_(torch.randn_like(param))
    path = str(tmp_path / 'adaptation.pth')
    torch.save({'state_dict': adaptation.state_dict(), 'meta': {}}, path)

    expected = adaptation.connector.state_dict()
    fresh = build_model(hksanc_cfg).distiller.connectors[
        'teacher_attention'].state_dict()
    assert changed(expected, fresh) != []  # the check below can fail

    model = build_model(hksanc_cfg, teacher_attention_ckpt=path)
    connector = model.distiller.connectors['teacher_attention']
    assert changed(expected, connector.state_dict()) == []
    # still frozen, and the Runner's init_weights does not overwrite it
    assert all(not p.requires_grad for p in connector.parameters())
    model.init_weights()
    assert changed(expected, connector.state_dict()) == []
    # the student connector is not touched by the teacher's checkpoint
    student_connector = model.distiller.connectors['student_attention']
    assert not any(
        torch.equal(p, expected[f'estimators.{i}.query_proj.weight'])
        for i, p in enumerate(
            e.query_proj.weight for e in student_connector.estimators))
