"""Every documented config option reaches what is built from the config.

Each case writes a config into ``tmp_path`` that inherits a shipped config
and changes one option where ``configs/_base_/hksanc/hksanc_defaults.py``
(or the config) documents it, builds the model (and, for optimizer options,
the optim wrapper; for data options, the dataset) and reads the option back
from the built object. The shipped value is read first, so a case fails
when the option does not reach the model and when its default changes
without its documentation.
"""
import glob
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import DefaultScope

from conftest import CONFIG_ROOT

HKSANC = osp.join(CONFIG_ROOT, 'hksanc',
                  'hksanc_preact-resnet29_resnet20-half_1xb128_'
                  'fashion-mnist-1k.py')
ADAPTATION = osp.join(CONFIG_ROOT, 'hksanc',
                      'hksanc-adaptation_preact-resnet29_1xb128_'
                      'fashion-mnist.py')
DISTILL_CONFIGS = sorted(
    p for p in glob.glob(osp.join(CONFIG_ROOT, 'hksanc', 'hksanc*.py'))
    if not osp.basename(p).startswith('hksanc-adaptation'))
ALL_CONFIGS = sorted(
    p for p in glob.glob(osp.join(CONFIG_ROOT, '**', '*.py'), recursive=True)
    if f'{osp.sep}_base_{osp.sep}' not in p)

pytestmark = pytest.mark.usefixtures('one_thread')


def child(tmp_path, base: str, body: str) -> Config:
    """A config inheriting ``base`` with ``body`` added, as a user writes
    it."""
    path = tmp_path / 'child.py'
    path.write_text(f'_base_ = [{base!r}]\n{body}\n')
    return Config.fromfile(str(path))


def build(cfg: Config, keep_checkpoints: bool = False) -> nn.Module:
    from mmrazor.registry import MODELS
    if not keep_checkpoints:
        cfg.model.teacher_ckpt = None
        if 'teacher_attention_ckpt' in cfg.model:
            cfg.model.teacher_attention_ckpt = None
    with DefaultScope.overwrite_default_scope('mmrazor'):
        return MODELS.build(cfg.model)


def build_optim(cfg: Config, model: nn.Module):
    from mmengine.optim import build_optim_wrapper
    with DefaultScope.overwrite_default_scope('mmrazor'):
        return build_optim_wrapper(model, cfg.optim_wrapper)


def losses(model):
    return model.distiller.distill_losses


def connectors(model):
    return [model.distiller.connectors[name]
            for name in ('student_attention', 'teacher_attention')]


def estimator_settings(model, key: str):
    """``key`` of every estimator of both connectors, one value if equal."""
    values = {getattr(e, key) for c in connectors(model) for e in c.estimators}
    assert len(values) == 1, values
    return values.pop()


def linears(module):
    return [m for m in module.modules() if isinstance(m, nn.Linear)]


# (id, body of the child config, what to read from the built model,
#  shipped value, value after the change)
MODEL_OPTIONS = [
    ('lambda1', 'model = dict(distiller=dict(distill_losses=dict('
     'loss_backbone=dict(loss_weight=1.0))))',
     lambda m: losses(m)['loss_backbone'].loss_weight, 3.0, 1.0),
    ('L_b-reduction', 'model = dict(distiller=dict(distill_losses=dict('
     "loss_backbone=dict(reduction='sum'))))",
     lambda m: losses(m)['loss_backbone'].reduction, 'mean', 'sum'),
    ('L_b-mode-kd', 'model = dict(distiller=dict(distill_losses=dict('
     "loss_backbone=dict(mode='kd', temperature=2.0))))",
     lambda m: (losses(m)['loss_backbone'].mode,
                losses(m)['loss_backbone'].temperature),
     ('l2', 4.0), ('kd', 2.0)),
    ('lambda3', 'model = dict(distiller=dict(distill_losses=dict('
     'loss_is=dict(loss_weight=0.5))))',
     lambda m: losses(m)['loss_is'].loss_weight, 1.0, 0.5),
    ('L_is-normalize', 'model = dict(distiller=dict(distill_losses=dict('
     'loss_is=dict(normalize=True))))',
     lambda m: (losses(m)['loss_is'].normalize,
                losses(m)['loss_is'].reduction),
     (False, 'mean'), (True, 'sum')),
    ('L_is-standardize', 'model = dict(distiller=dict(distill_losses=dict('
     'loss_is=dict(standardize=True))))',
     lambda m: losses(m)['loss_is'].standardize, False, True),
    ('L_is-stage-weights', 'model = dict(distiller=dict(distill_losses=dict('
     'loss_is=dict(stage_weights=(1, 2, 3)))))',
     lambda m: losses(m)['loss_is'].stage_weights, None, [1.0, 2.0, 3.0]),
    ('L_is-reduction', 'model = dict(distiller=dict(distill_losses=dict('
     "loss_is=dict(reduction='sum'))))",
     lambda m: losses(m)['loss_is'].reduction, 'mean', 'sum'),
    ('lambda2', 'model = dict(adversarial_loss=dict(loss_weight=2.0))',
     lambda m: m.adversarial_loss.loss_weight, 1.0, 2.0),
    ('adversarial-weight',
     'model = dict(adversarial_loss=dict(adversarial_weight=0.0))',
     lambda m: m.adversarial_loss.adversarial_weight, 1.0, 0.0),
    ('category-weight',
     'model = dict(adversarial_loss=dict(category_weight=0.5))',
     lambda m: m.adversarial_loss.category_weight, 1.0, 0.5),
    ('mu', 'model = dict(adversarial_loss=dict(regularization_weight=1e-4))',
     lambda m: m.adversarial_loss.regularization_weight, 1e-3, 1e-4),
    ('fake-as-real', 'model = dict(adversarial_loss=dict('
     'fake_as_real_weight=1e-3), fake_as_real_dropout=0.0)',
     lambda m: (m.adversarial_loss.fake_as_real_weight,
                m.fake_as_real_dropout), (0.0, 0.5), (1e-3, 0.0)),
    ('D-hidden', 'model = dict(discriminator=dict(hidden_channels=128))',
     lambda m: [tuple(fc.weight.shape) for fc in linears(m.discriminator)],
     [(256, 10), (256, 256), (11, 256)], [(128, 10), (128, 128), (11, 128)]),
    ('D-norm', "model = dict(discriminator=dict(norm='spectral'))",
     lambda m: (any(isinstance(x, nn.BatchNorm1d)
                    for x in m.discriminator.modules()),
                all(hasattr(fc, 'parametrizations')
                    for fc in linears(m.discriminator))),
     (True, False), (False, True)),
    ('D-input', "model = dict(discriminator_input='probabilities', "
     'discriminator_temperature=2.0)',
     lambda m: (m.discriminator_input, m.discriminator_temperature),
     ('logits', 1.0), ('probabilities', 2.0)),
    ('D-steps', 'model = dict(discriminator_steps=2)',
     lambda m: m.discriminator_steps, 1, 2),
    ('D-interval', 'model = dict(discriminator_interval=3)',
     lambda m: m.discriminator_interval, 1, 3),
    ('adversarial-warmup', 'model = dict(adversarial_warmup_iters=5)',
     lambda m: m.adversarial_warmup_iters, 0, 5),
    ('attention-map-loss', "model = dict(attention_map_loss=dict("
     "_delete_=True, type='AttentionMapLoss', loss_weight=2.0))",
     lambda m: getattr(m.attention_map_loss, 'loss_weight', None), None,
     2.0),
    ('IS-warmup-ramp', 'model = dict(intermediate_warmup_iters=10, '
     'intermediate_ramp_iters=20)',
     lambda m: (m.intermediate_warmup_iters, m.intermediate_ramp_iters),
     (0, 0), (10, 20)),
    ('query', "model = dict(distiller=dict(connectors=dict("
     "student_attention=dict(query='hierarchical'), "
     "teacher_attention=dict(query='hierarchical'))))",
     lambda m: [(c.query, [e.query_proj.in_features for e in c.estimators])
                for c in connectors(m)],
     [('global', [128, 128, 128])] * 2,
     [('hierarchical', [128, 256, 128])] * 2),
    ('attention-act', "model = dict(distiller=dict(connectors=dict("
     "student_attention=dict(attention_cfg=dict(act='tanh')), "
     "teacher_attention=dict(attention_cfg=dict(act='tanh')))))",
     lambda m: estimator_settings(m, 'act'), 'relu', 'tanh'),
    ('attention-pool-source', "model = dict(distiller=dict(connectors=dict("
     "student_attention=dict(attention_cfg=dict(pool_source='features')), "
     "teacher_attention=dict(attention_cfg=dict(pool_source='features')))))",
     lambda m: estimator_settings(m, 'pool_source'), 'fused', 'features'),
    ('attention-pooling', "model = dict(distiller=dict(connectors=dict("
     "student_attention=dict(attention_cfg=dict(pooling='mean')), "
     "teacher_attention=dict(attention_cfg=dict(pooling='mean')))))",
     lambda m: estimator_settings(m, 'pooling'), 'weighted_sum', 'mean'),
    ('channel-transform', "model = dict(distiller=dict(connectors=dict("
     "student_attention=dict(transform_cfg=dict(type='conv')))))",
     lambda m: [type(t).__name__ for t in
                m.distiller.connectors['student_attention'].transforms],
     ['Sequential'] * 3, ['Conv2d'] * 3),
    ('student-cross-entropy', 'model = dict(calculate_student_loss=True, '
     'architecture=dict(head=dict(loss=dict(loss_weight=0.5))))',
     lambda m: (m.calculate_student_loss,
                m.student.head.loss_module.loss_weight),
     (False, 0.0), (True, 0.5)),
]


@pytest.mark.parametrize('body,read,shipped,changed', [
    pytest.param(*case[1:], id=case[0]) for case in MODEL_OPTIONS
])
def test_hksanc_option_reaches_the_model(tmp_path, body, read, shipped,
                                         changed):
    assert read(build(Config.fromfile(HKSANC))) == shipped
    assert read(build(child(tmp_path, HKSANC, body))) == changed


@pytest.mark.parametrize('config', DISTILL_CONFIGS, ids=osp.basename)
def test_every_hksanc_config_takes_the_options_from_model(tmp_path, config):
    """The shared bases pass a child's model options through."""
    cfg = child(tmp_path, config, (
        'model = dict(distiller=dict(distill_losses=dict('
        'loss_backbone=dict(loss_weight=3.0))), discriminator_steps=2)'))
    model = build(cfg)
    assert losses(model)['loss_backbone'].loss_weight == 3.0
    assert model.discriminator_steps == 2


def score_decay(optim_wrapper) -> set:
    """Weight decays of the groups holding the attention score convs."""
    groups = optim_wrapper['student'].optimizer.param_groups
    return {g['weight_decay'] for g in groups
            if any(p.dim() == 4 and p.shape[0] == 1 for p in g['params'])}


def test_optimizer_options_reach_the_optim_wrapper(tmp_path):
    shipped = Config.fromfile(HKSANC)
    wrapper = build_optim(shipped, build(shipped))
    adam = wrapper['discriminator'].optimizer
    assert type(adam).__name__ == 'Adam'
    assert adam.param_groups[0]['lr'] == 1e-4
    assert adam.param_groups[0]['betas'] == (0.5, 0.999)
    assert score_decay(wrapper) == {5e-4}

    cfg = child(tmp_path, HKSANC, (
        'optim_wrapper = dict(\n'
        '    discriminator=dict(optimizer=dict(lr=2e-4)),\n'
        '    student=dict(paramwise_cfg=dict(\n'
        '        custom_keys=dict(score=dict(decay_mult=0.0)))))'))
    wrapper = build_optim(cfg, build(cfg))
    assert wrapper['discriminator'].optimizer.param_groups[0]['lr'] == 2e-4
    assert score_decay(wrapper) == {0.0}


def test_teacher_checkpoints_reach_the_model(tmp_path):
    """model.teacher_ckpt and model.teacher_attention_ckpt are loaded."""
    from mmrazor.registry import MODELS
    adaptation_cfg = Config.fromfile(ADAPTATION)
    adaptation_cfg.model.teacher_ckpt = None
    with DefaultScope.overwrite_default_scope('mmrazor'):
        adaptation = MODELS.build(adaptation_cfg.model)
    torch.manual_seed(3)
    with torch.no_grad():  # unlike any fresh initialisation
        for param in adaptation.parameters():
            param.add_(torch.randn_like(param))
    teacher_path = str(tmp_path / 'teacher.pth')
    torch.save({'state_dict': adaptation.architecture.state_dict()},
               teacher_path)
    attention_path = str(tmp_path / 'adaptation.pth')
    torch.save({'state_dict': adaptation.state_dict()}, attention_path)

    cfg = child(tmp_path, HKSANC, (
        f'model = dict(teacher_ckpt={teacher_path!r}, '
        f'teacher_attention_ckpt={attention_path!r})'))
    model = build(cfg, keep_checkpoints=True)
    for got, want in ((model.teacher, adaptation.architecture),
                      (model.distiller.connectors['teacher_attention'],
                       adaptation.connector)):
        for key, value in want.state_dict().items():
            assert torch.equal(got.state_dict()[key], value), key


def test_adaptation_options_reach_the_model(tmp_path):
    from mmrazor.registry import MODELS

    def built(cfg):
        cfg.model.teacher_ckpt = None
        with DefaultScope.overwrite_default_scope('mmrazor'):
            return MODELS.build(cfg.model)

    def settings(connector):
        return connector.query, {(e.act, e.pool_source, e.pooling)
                                 for e in connector.estimators}

    assert settings(built(Config.fromfile(ADAPTATION)).connector) == (
        'global', {('relu', 'fused', 'weighted_sum')})
    changed = built(child(tmp_path, ADAPTATION, (
        "model = dict(connector=dict(query='hierarchical', "
        "attention_cfg=dict(act='tanh', pool_source='features', "
        "pooling='mean')))"))).connector
    assert settings(changed) == ('hierarchical',
                                 {('tanh', 'features', 'mean')})


def test_adaptation_images_per_class(tmp_path, fashion_mnist_root):
    from mmpretrain.registry import DATASETS

    def size(cfg):
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            return len(DATASETS.build(cfg.train_dataloader.dataset))

    assert size(Config.fromfile(ADAPTATION)) == 20000
    assert size(child(tmp_path, ADAPTATION, (
        'train_dataloader = dict(dataset=dict(num_per_class=50))'))) == 500


def test_cifar_data_root_reaches_the_datasets(tmp_path, cifar100_root):
    """The CIFAR dataset bases: data_root set on each loader's dataset."""
    from mmpretrain.registry import DATASETS
    config = osp.join(CONFIG_ROOT, 'hksanc',
                      'hksanc_resnet56_resnet20_1xb64_cifar100.py')
    body = '\n'.join(
        f'{loader} = dict(dataset=dict(data_root={cifar100_root!r}, '
        'verify_md5=False))'
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader'))
    cfg = child(tmp_path, config, body)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        sizes = [len(DATASETS.build(cfg[f'{split}_dataloader'].dataset))
                 for split in ('train', 'val', 'test')]
    assert sizes == [200, 10, 10]  # conftest's synthetic CIFAR-100


@pytest.mark.parametrize('config', DISTILL_CONFIGS, ids=osp.basename)
def test_phase2_and_phase3_attention_settings_agree(config):
    """Each distillation config's teacher estimators come from an
    adaptation config with the same query and attention_cfg (the attention
    settings are written out in both bases)."""
    distill = Config.fromfile(config).model
    ckpt = distill.teacher_attention_ckpt
    adaptation = Config.fromfile(osp.join(
        CONFIG_ROOT, 'hksanc', osp.basename(osp.dirname(ckpt)) + '.py'))
    source = adaptation.model.connector
    for name in ('student_attention', 'teacher_attention'):
        target = distill.distiller.connectors[name]
        assert target.query == source.query, name
        assert target.attention_cfg == source.attention_cfg, name


# Top-level keys a config may have: what mmengine's Runner and mmhkd's tools
# read, the networks the model is assembled from, the v2 protocol's
# constants (configs/fashion-mnist-v2/_protocol.py), and the variables of
# mmpretrain's own bases (default_runtime, imagenet_bs32).
RUNNER_KEYS = {
    'auto_scale_lr', 'custom_hooks', 'custom_imports', 'data_preprocessor',
    'default_hooks', 'default_scope', 'env_cfg', 'find_unused_parameters',
    'load_from', 'log_level', 'log_processor', 'model', 'model_wrapper_cfg',
    'optim_wrapper', 'param_scheduler', 'randomness', 'resume', 'test_cfg',
    'test_dataloader', 'test_evaluator', 'train_cfg', 'train_dataloader',
    'val_cfg', 'val_dataloader', 'val_evaluator', 'visualizer'
}
NETWORKS = {'teacher_model', 'student_model', 'teacher', 'student'}
V2_PROTOCOL = {'v2_teacher_ckpt', 'v2_num_views', 'v2_cache_seed',
               'v2_train_cfg'}
MMPRETRAIN_BASES = {'vis_backends', 'dataset_type', 'train_pipeline',
                    'test_pipeline'}
# mmdet's COCO bases (the detection configs for COCO inherit them)
MMDET_BASES = MMPRETRAIN_BASES | {'data_root', 'backend_args'}


@pytest.mark.parametrize('config', ALL_CONFIGS,
                         ids=lambda p: osp.relpath(p, CONFIG_ROOT))
def test_no_top_level_knobs(config):
    """A top-level variable is evaluated once, in its own file: a child
    that redefines it changes nothing. The options live in model,
    optim_wrapper and the loaders; no config defines other variables."""
    keys = set(Config.fromfile(config).keys())
    allowed = RUNNER_KEYS | NETWORKS | V2_PROTOCOL
    if 'in1k' in osp.basename(config):
        allowed |= MMPRETRAIN_BASES
    elif osp.basename(config).endswith('_coco.py'):
        allowed |= MMDET_BASES
    else:
        allowed |= {'vis_backends'}
    assert keys <= allowed, sorted(keys - allowed)
