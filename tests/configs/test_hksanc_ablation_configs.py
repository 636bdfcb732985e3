"""The HKSANC ablation and ANC-style configs: the switch each one flips
reaches the built model, and each trains one tiny epoch through
``tools/train.py`` on the real Fashion-MNIST."""
import glob
import json
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from conftest import CONFIG_ROOT, load_tool, tiny_run_options

ABLATIONS = sorted(glob.glob(osp.join(CONFIG_ROOT, 'hksanc', 'ablations',
                                      '*.py')))
TEACHER = osp.join(CONFIG_ROOT, 'vanilla',
                   'preact-resnet29_1xb128_fashion-mnist.py')
EXPECTED = {  # config prefix -> (lambda2, real/fake weight, category
    # weight, lambda3, fake-as-real weight): each ablation changes one thing
    'hksanc-no-is': (1.0, 1.0, 1.0, 0.0, 0.0),
    'hksanc-no-adv': (1.0, 0.0, 1.0, 1.0, 0.0),
    'hksanc-no-category': (1.0, 1.0, 0.0, 1.0, 0.0),
    'anc': (1.0, 1.0, 0.0, 0.0, 1e-3),
}


def test_every_ablation_is_listed():
    prefixes = sorted(osp.basename(p).split('_')[0] for p in ABLATIONS)
    assert prefixes == sorted(EXPECTED)


@pytest.mark.parametrize('config', ABLATIONS, ids=osp.basename)
def test_switches_reach_the_model(config):
    from mmrazor.registry import MODELS
    cfg = Config.fromfile(config)
    cfg.model.teacher_ckpt = None
    cfg.model.teacher_attention_ckpt = None
    with DefaultScope.overwrite_default_scope('mmrazor'):
        model = MODELS.build(cfg.model)
    adv = model.adversarial_loss
    losses = model.distiller.distill_losses
    got = (adv.loss_weight, adv.adversarial_weight, adv.category_weight,
           losses['loss_is'].loss_weight if 'loss_is' in losses else 0.0,
           adv.fake_as_real_weight)
    assert got == EXPECTED[osp.basename(config).split('_')[0]]
    if got[3] == 0.0:
        # no IS: the attention part is gone, not computed at weight 0
        assert list(losses.keys()) == ['loss_backbone']
        assert len(model.distiller.connectors) == 0
        assert model.teacher_connectors == []
        assert cfg.model.teacher_attention_ckpt is None


def test_attention_checkpoint_without_connectors_is_refused(tmp_path):
    from mmrazor.registry import MODELS
    cfg = Config.fromfile(osp.join(
        CONFIG_ROOT, 'hksanc', 'ablations', 'hksanc-no-is_preact-resnet29_'
        'resnet20-half_1xb128_fashion-mnist-1k.py'))
    cfg.model.teacher_ckpt = None
    cfg.model.teacher_attention_ckpt = str(tmp_path / 'epoch_1.pth')
    with DefaultScope.overwrite_default_scope('mmrazor'):
        with pytest.raises(ValueError, match='has no teacher connectors'):
            MODELS.build(cfg.model)


@pytest.fixture(scope='module')
def teacher_ckpt(tmp_path_factory):
    from mmpretrain.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        teacher = MODELS.build(Config.fromfile(TEACHER).model)
    teacher.init_weights()
    path = str(tmp_path_factory.mktemp('teacher') / 'teacher.pth')
    torch.save({'state_dict': teacher.state_dict(), 'meta': {}}, path)
    return path


@pytest.mark.parametrize('config', ABLATIONS, ids=osp.basename)
def test_one_epoch_through_train_tool(config, teacher_ckpt, tmp_path,
                                      fashion_mnist_root):
    tool = load_tool('train')
    options = tiny_run_options('fashion-mnist')
    options.update({'model.teacher_ckpt': teacher_ckpt,
                    'model.teacher_attention_ckpt': None,
                    'train_cfg.max_epochs': 1, 'train_cfg.val_interval': 1})
    work_dir = str(tmp_path / 'run')
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        tool.main([config, '--work-dir', work_dir, '--cfg-options'] +
                  [f'{k}={v}' for k, v in options.items()])
    finally:
        torch.set_num_threads(threads)
    assert osp.isfile(osp.join(work_dir, 'epoch_1.pth'))
    lines = [json.loads(line) for path in glob.glob(
        osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
        for line in open(path)]
    train_lines = [line for line in lines if 'distill.loss_backbone' in line]
    assert train_lines and any('accuracy/top1' in line for line in lines)
    without_is = osp.basename(config).startswith(('anc', 'hksanc-no-is'))
    for line in train_lines:
        assert ('distill.loss_is' in line) is not without_is
        for key in ('distill.loss_backbone', 'disc.loss_real',
                    'disc.loss_fake') + (() if without_is else
                                         ('distill.loss_is', )):
            assert math.isfinite(line[key]), (key, line[key])
    if osp.basename(config).startswith(('anc', 'hksanc-no-category')):
        assert all(line['disc.loss_category'] == 0 for line in train_lines)
    if osp.basename(config).startswith('anc'):
        assert all('disc.loss_fake_as_real' in line for line in train_lines)


HIERARCHICAL_ADAPTATION = osp.join(
    CONFIG_ROOT, 'hksanc',
    'hksanc-adaptation-hierarchical_preact-resnet29_1xb128_fashion-mnist.py')
HIERARCHICAL_DISTILL = osp.join(
    CONFIG_ROOT, 'hksanc', 'hksanc-hierarchical_preact-resnet29_'
    'resnet20-half_1xb128_fashion-mnist-1k.py')


def test_hierarchical_pair_queries_top_down_and_loads_its_adaptation(
        tmp_path):
    """Both phases use the hierarchical query; phase 3 loads phase 2's
    estimators strictly (their query widths differ from the global form)."""
    from mmrazor.registry import MODELS
    adapt_cfg = Config.fromfile(HIERARCHICAL_ADAPTATION)
    adapt_cfg.model.teacher_ckpt = None
    distill_cfg = Config.fromfile(HIERARCHICAL_DISTILL)
    assert distill_cfg.model.teacher_attention_ckpt.startswith(
        'work_dirs/hksanc-adaptation-hierarchical_')
    distill_cfg.model.teacher_ckpt = None
    distill_cfg.model.teacher_attention_ckpt = None
    with DefaultScope.overwrite_default_scope('mmrazor'):
        adaptation = MODELS.build(adapt_cfg.model)
        distill = MODELS.build(distill_cfg.model)
    connectors = distill.distiller.connectors
    for connector in (adaptation.connector, connectors['teacher_attention'],
                      connectors['student_attention']):
        assert connector.query == 'hierarchical'
        # stage i is queried by stage i+1's descriptor, the deepest by g
        widths = [e.query_proj.in_features for e in connector.estimators]
        assert widths == [128, 256, 128]
    path = str(tmp_path / 'adaptation.pth')
    torch.save({'state_dict': adaptation.state_dict(), 'meta': {}}, path)
    distill.load_teacher_attention(path)
    for key, value in adaptation.connector.state_dict().items():
        assert torch.equal(value,
                           connectors['teacher_attention'].state_dict()[key])


def test_hierarchical_pair_trains_through_train_tool(teacher_ckpt, tmp_path,
                                                     fashion_mnist_root):
    """Phase 2 then phase 3 with the hierarchical query, one tiny epoch
    each, the distillation loading the adaptation run's checkpoint."""
    tool = load_tool('train')
    options = tiny_run_options('fashion-mnist')
    options.update({'model.teacher_ckpt': teacher_ckpt,
                    'train_cfg.max_epochs': 1, 'train_cfg.val_interval': 1})
    adapt_dir, distill_dir = str(tmp_path / 'adapt'), str(tmp_path / 'kd')
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        tool.main([HIERARCHICAL_ADAPTATION, '--work-dir', adapt_dir,
                   '--cfg-options'] +
                  [f'{k}={v}' for k, v in options.items()])
        options['model.teacher_attention_ckpt'] = osp.join(
            adapt_dir, 'epoch_1.pth')
        tool.main([HIERARCHICAL_DISTILL, '--work-dir', distill_dir,
                   '--cfg-options'] +
                  [f'{k}={v}' for k, v in options.items()])
    finally:
        torch.set_num_threads(threads)
    adapted = torch.load(osp.join(adapt_dir, 'epoch_1.pth'),
                         weights_only=True)['state_dict']
    distilled = torch.load(osp.join(distill_dir, 'epoch_1.pth'),
                           weights_only=True)['state_dict']
    prefix = 'distiller.connectors.teacher_attention.'
    for key, value in adapted.items():
        if key.startswith('connector.'):
            assert torch.equal(value,
                               distilled[prefix + key[len('connector.'):]])
