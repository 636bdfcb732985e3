"""HKSANCDistill's options for the squeezed knowledge (docs/method.md):
the fake-as-real pass that leaves D's BatchNorm alone, the recorded
adaptation settings, the attention-map term, the connector warm-up and
lambda3 ramp, D's inputs, the weight decay of the score convs, and the
warning for a missing teacher checkpoint.

Same tiny set-up as ``test_hksanc_distill.py`` (the real Fashion-MNIST
config with a PreActBottleneckResNet-11 teacher, batches of four images).
"""
import copy
import logging

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmrazor.registry import MODELS

from mmhkd.models.algorithms.teacher_checkpoint import \
    CheckpointMismatchError
from mmhkd.models.losses import map_kl
from test_hksanc_distill import (ADAPTATION_CONFIG, LABELS,  # noqa: F401
                                 build_model, build_optim, changed,
                                 hksanc_cfg, make_batch, param_snapshot,
                                 set_iteration)

pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture
def warnings_logged():
    """Messages of WARNING and above that mmengine's current logger gets."""
    from mmengine.logging import MMLogger
    messages = []

    class Recorder(logging.Handler):

        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    logger = MMLogger.get_current_instance()
    handler = Recorder(level=logging.WARNING)
    logger.addHandler(handler)
    yield messages
    logger.removeHandler(handler)


def bn_buffers(module: nn.Module) -> dict:
    return {
        k: v.clone()
        for k, v in module.state_dict().items()
        if 'running' in k or 'num_batches' in k
    }


# --------------------------------------------- fake-as-real and D's BN
def test_fake_as_real_pass_leaves_batch_norm_statistics_alone(hksanc_cfg):
    far = build_model(hksanc_cfg, seed=1)
    far.adversarial_loss.fake_as_real_weight = 0.5
    plain = copy.deepcopy(far)
    plain.adversarial_loss.fake_as_real_weight = 0.0
    g = torch.Generator().manual_seed(0)
    teacher = torch.randn(8, 10, generator=g) * 3
    student = torch.randn(8, 10, generator=g)
    labels = torch.randint(0, 10, (8, ), generator=g)
    results = {}
    for name, model in (('far', far), ('plain', plain)):
        model.train()
        results[name] = model.discriminator_loss(teacher, student, labels)
    # running statistics: only the joint teacher+student batch counted
    assert changed(bn_buffers(far.discriminator),
                   bn_buffers(plain.discriminator)) == []
    reference = copy.deepcopy(build_model(hksanc_cfg, seed=1).discriminator)
    reference.train()
    reference(torch.cat([teacher, student]))
    assert changed(bn_buffers(reference),
                   bn_buffers(far.discriminator)) == []
    # the term is in the loss, and it still trains D
    (far_loss, far_log), (plain_loss, plain_log) = results['far'], \
        results['plain']
    assert 'disc.loss_fake_as_real' not in plain_log
    torch.testing.assert_close(
        far_loss.detach() - plain_loss.detach(),
        far_log['disc.loss_fake_as_real'].detach())
    for model, loss in ((far, far_loss), (plain, plain_loss)):
        build_optim(hksanc_cfg, model)['discriminator'].update_params(loss)
    assert far.discriminator.training
    assert changed(param_snapshot(far.discriminator),
                   param_snapshot(plain.discriminator)) != []


# ---------------------------------- recorded adaptation attention settings
def adaptation_checkpoint(tmp_path, **connector) -> str:
    cfg = Config.fromfile(ADAPTATION_CONFIG)
    cfg.model.teacher_ckpt = None
    cfg.model.architecture.backbone.depth = 11
    cfg.model.connector.update(connector)
    init_default_scope('mmrazor')
    adaptation = MODELS.build(cfg.model)
    path = str(tmp_path / 'adaptation.pth')
    torch.save({'state_dict': adaptation.state_dict(), 'meta': {}}, path)
    return path


def test_adaptation_checkpoint_records_its_attention_settings(tmp_path):
    path = adaptation_checkpoint(tmp_path)
    state = torch.load(path, weights_only=True)['state_dict']
    settings = state['_extra_state']['attention_settings']
    assert settings['query'] == 'global'
    assert settings['attention_cfg'] == dict(
        act='relu', pool_source='fused', pooling='weighted_sum')
    assert settings['stage_channels'] == [64, 128, 256]


@pytest.mark.parametrize('connector, named', [
    (dict(attention_cfg=dict(pool_source='features')),
     "attention_cfg.pool_source: 'features' in the checkpoint, 'fused'"),
    (dict(attention_cfg=dict(act='tanh')), "attention_cfg.act: 'tanh'"),
    (dict(query='hierarchical'), "query: 'hierarchical' in the checkpoint"),
])
def test_distillation_refuses_estimators_adapted_otherwise(
        hksanc_cfg, tmp_path, connector, named):
    path = adaptation_checkpoint(tmp_path, **connector)
    with pytest.raises(ValueError) as err:
        build_model(hksanc_cfg, teacher_attention_ckpt=path)
    assert named in str(err.value)
    assert 'phase 2' in str(err.value)


def test_checkpoint_without_record_still_loads_with_a_warning(
        hksanc_cfg, tmp_path, warnings_logged):
    path = adaptation_checkpoint(tmp_path)
    checkpoint = torch.load(path, weights_only=True)
    del checkpoint['state_dict']['_extra_state']
    torch.save(checkpoint, path)
    model = build_model(hksanc_cfg, teacher_attention_ckpt=path)
    assert any('does not record the attention settings' in m
               for m in warnings_logged)
    expected = {
        k[len('connector.'):]: v
        for k, v in checkpoint['state_dict'].items()
        if k.startswith('connector.')
    }
    got = model.distiller.connectors['teacher_attention'].state_dict()
    assert changed(expected, got) == []


def test_shape_mismatch_names_the_keys_and_the_cause(hksanc_cfg, tmp_path):
    path = adaptation_checkpoint(tmp_path)
    checkpoint = torch.load(path, weights_only=True)
    state = checkpoint['state_dict']
    del state['_extra_state']  # an old checkpoint of another width
    state['connector.estimators.0.query_proj.weight'] = torch.zeros(64, 256)
    torch.save(checkpoint, path)
    with pytest.raises(CheckpointMismatchError) as err:
        build_model(hksanc_cfg, teacher_attention_ckpt=path)
    message = str(err.value)
    assert 'estimators.0.query_proj.weight: (64, 256) in the checkpoint' \
        in message
    assert 'same query mode' in message


def test_missing_attention_checkpoint_names_the_option_and_phase_2(
        hksanc_cfg, tmp_path):
    path = str(tmp_path / 'nowhere.pth')
    with pytest.raises(FileNotFoundError) as err:
        build_model(hksanc_cfg, teacher_attention_ckpt=path)
    assert 'model.teacher_attention_ckpt not found' in str(err.value)
    assert 'phase 2' in str(err.value)


# ------------------------------------------------------ attention-map term
def test_attention_map_loss_is_logged_and_trains_the_student_maps(
        hksanc_cfg):
    model = build_model(
        hksanc_cfg,
        attention_map_loss=dict(type='AttentionMapLoss', loss_weight=2.0))
    model.train()
    batch = model.data_preprocessor(make_batch(), True)
    losses = model.loss(batch['inputs'], batch['data_samples'])
    student = model.distiller.connectors['student_attention']
    teacher = model.distiller.connectors['teacher_attention']
    loss_map = model.attention_map_term()
    expected = 2.0 * sum(
        map_kl(s.detach(), t)
        for s, t in zip(student.attention_maps, teacher.last_attention_maps))
    torch.testing.assert_close(loss_map.detach(), expected)
    model.zero_grad()
    loss_map.backward()
    score_grads = [e.score.weight.grad for e in student.estimators]
    assert all(g is not None and g.abs().sum() > 0 for g in score_grads)
    assert all(p.grad is None for p in teacher.parameters())
    assert 'distill.loss_is' in losses

    log_vars = model.train_step(make_batch(1), build_optim(hksanc_cfg,
                                                           model))
    assert log_vars['distill.loss_map'] > 0
    assert student.attention_maps == () and student.descriptors == ()


# ------------------------------------------- connector warm-up and ramp
def is_gradients(model, scale):
    """Gradients of L_is on the student backbone and the student connector
    with the connector's input gradient scaled by ``scale``."""
    model.train()
    model.distiller.connectors['student_attention'].input_grad_scale = scale
    batch = model.data_preprocessor(make_batch(), True)
    losses = model.loss(batch['inputs'], batch['data_samples'])
    model.zero_grad()
    losses['distill.loss_is'].backward()
    backbone = {
        n: p.grad.clone()
        for n, p in model.student.backbone.named_parameters()
        if p.grad is not None
    }
    connector = {
        n: p.grad.clone()
        for n, p in model.distiller.connectors[
            'student_attention'].named_parameters() if p.grad is not None
    }
    return backbone, connector, losses['distill.loss_is'].detach()


def test_input_gradient_scale_reaches_backbone_not_connector(hksanc_cfg):
    full = is_gradients(build_model(hksanc_cfg), 1.0)
    detached = is_gradients(build_model(hksanc_cfg), 0.0)
    quarter = is_gradients(build_model(hksanc_cfg), 0.25)
    # same loss value, the connector's gradients unchanged
    torch.testing.assert_close(detached[2], full[2])
    torch.testing.assert_close(quarter[2], full[2])
    for name, grad in full[1].items():
        torch.testing.assert_close(detached[1][name], grad)
        torch.testing.assert_close(quarter[1][name], grad)
    # the backbone gets nothing when detached, a quarter with 0.25
    assert full[0] and all(g.abs().sum() > 0 for g in full[0].values())
    assert all(g.abs().sum() == 0 for g in detached[0].values())
    for name, grad in full[0].items():
        torch.testing.assert_close(quarter[0][name], 0.25 * grad,
                                   rtol=1e-4, atol=1e-7)


def test_warmup_then_ramp_schedule(hksanc_cfg):
    model = build_model(hksanc_cfg, intermediate_warmup_iters=10,
                        intermediate_ramp_iters=20)
    assert [model.intermediate_scale(i) for i in (0, 9, 10, 20, 30, 99)] == [
        0.0, 0.0, 0.0, 0.5, 1.0, 1.0]
    no_ramp = build_model(hksanc_cfg, intermediate_warmup_iters=10)
    assert [no_ramp.intermediate_scale(i) for i in (9, 10)] == [0.0, 1.0]
    assert build_model(hksanc_cfg).intermediate_scale(0) == 1.0


def test_train_step_sets_the_scale_from_the_iteration(
        hksanc_cfg, set_iteration):
    model = build_model(hksanc_cfg, intermediate_warmup_iters=2)
    optim = build_optim(hksanc_cfg, model)
    connector = model.distiller.connectors['student_attention']
    set_iteration(1)
    model.train_step(make_batch(), optim)
    assert connector.input_grad_scale == 0.0
    set_iteration(2)
    model.train_step(make_batch(), optim)
    assert connector.input_grad_scale == 1.0


@pytest.mark.parametrize('key', ['intermediate_warmup_iters',
                                 'intermediate_ramp_iters'])
def test_negative_warmup_is_refused(hksanc_cfg, key):
    with pytest.raises(ValueError, match=f'{key} must be an int >= 0'):
        build_model(hksanc_cfg, **{key: -1})


# ----------------------------------------------------------- D's inputs
def test_discriminator_on_probabilities(hksanc_cfg):
    model = build_model(hksanc_cfg, discriminator_input='probabilities',
                        discriminator_temperature=2.0)
    model.train()
    batch = model.data_preprocessor(make_batch(), True)
    model.loss(batch['inputs'], batch['data_samples'])
    got = model.discriminator_inputs(from_student=True)
    logits = model.distiller.get_record('logits', True)
    torch.testing.assert_close(got, torch.softmax(logits / 2.0, dim=1))
    # train_step gives D the softened probabilities of both sides
    seen = {}
    original = model.discriminator_loss

    def watched(teacher_inputs, student_inputs, labels):
        seen['inputs'] = (teacher_inputs, student_inputs)
        return original(teacher_inputs, student_inputs, labels)

    model.discriminator_loss = watched
    log_vars = model.train_step(make_batch(1), build_optim(hksanc_cfg,
                                                           model))
    assert torch.isfinite(log_vars['disc.loss'])
    for tensor, from_student in zip(seen['inputs'], (False, True)):
        logits = model.distiller.get_record('logits', from_student)
        torch.testing.assert_close(
            tensor, torch.softmax(logits.detach() / 2.0, dim=1))


def test_discriminator_on_descriptors(hksanc_cfg):
    discriminator = dict(hksanc_cfg.model.discriminator, in_channels=448)
    model = build_model(hksanc_cfg, discriminator_input='descriptors',
                        discriminator=discriminator)
    model.train()
    batch = model.data_preprocessor(make_batch(), True)
    model.loss(batch['inputs'], batch['data_samples'])
    student = model.discriminator_inputs(from_student=True)
    assert student.shape == (len(LABELS), 64 + 128 + 256)
    assert student.requires_grad
    before = param_snapshot(
        model.distiller.connectors['student_attention'])
    model.train_step(make_batch(1), build_optim(hksanc_cfg, model))
    assert changed(before, param_snapshot(
        model.distiller.connectors['student_attention'])) != []


def test_unknown_discriminator_input_is_refused(hksanc_cfg):
    with pytest.raises(ValueError, match="discriminator_input='features'"):
        build_model(hksanc_cfg, discriminator_input='features')


# ------------------------------------------------- connector names
def test_connectors_named_otherwise_are_set_by_the_two_options(
        hksanc_cfg, set_iteration):
    """A config whose distiller names its connectors otherwise: the
    default student_connectors are refused by name; set with
    teacher_connectors they get the warm-up scale and the map loss."""
    cfg = copy.deepcopy(hksanc_cfg)
    distiller = cfg.model.distiller
    distiller.connectors = dict(
        s_att=distiller.connectors['student_attention'],
        t_att=distiller.connectors['teacher_attention'])
    mapping = distiller.loss_forward_mappings.loss_is
    mapping.student_descriptors.connector = 's_att'
    mapping.teacher_descriptors.connector = 't_att'
    map_loss = dict(type='AttentionMapLoss', loss_weight=1.0)
    with pytest.raises(KeyError,
                       match=r"student_connectors \['student_attention'\]"):
        build_model(cfg, teacher_connectors=('t_att', ),
                    attention_map_loss=map_loss)
    model = build_model(cfg, teacher_connectors=('t_att', ),
                        student_connectors=('s_att', ),
                        attention_map_loss=map_loss,
                        intermediate_warmup_iters=1)
    model.train()
    set_iteration(0)
    log_vars = model.train_step(make_batch(), build_optim(cfg, model))
    assert model.distiller.connectors['s_att'].input_grad_scale == 0.0
    assert log_vars['distill.loss_map'] > 0
    teacher_side = model.distiller.connectors['t_att']
    assert not teacher_side.training
    assert all(not p.requires_grad for p in teacher_side.parameters())


# -------------------------------------- weight decay of the score convs
def test_score_decay_mult_reaches_the_optimizer(hksanc_cfg):
    cfg = copy.deepcopy(hksanc_cfg)
    cfg.optim_wrapper.student.paramwise_cfg.custom_keys.score.decay_mult = 0.
    model = build_model(cfg)
    optimizer = build_optim(cfg, model)['student'].optimizer
    score_ids = {
        id(p)
        for n, p in model.distiller.named_parameters() if '.score.' in n
    }
    assert score_ids
    for group in optimizer.param_groups:
        ids = {id(p) for p in group['params']}
        if ids & score_ids:
            assert ids <= score_ids and group['weight_decay'] == 0.0
        else:
            assert group['weight_decay'] == 5e-4


# ------------------------------------------------- missing teacher weights
def test_missing_teacher_checkpoint_warns(hksanc_cfg, warnings_logged):
    build_model(hksanc_cfg)
    assert any('model.teacher_ckpt is not set' in m for m in warnings_logged)
