"""mmhkd.analysis.diagnose and tools/analysis/diagnose_hksanc.py on a tiny
subset of the real HKSANC Fashion-MNIST config."""
import json
import os.path as osp
import time

import pytest
import torch

from conftest import CONFIG_ROOT, REPO_ROOT, load_tool
from mmhkd.analysis import diagnose as diag
from mmhkd.models.algorithms.teacher_checkpoint import CheckpointMismatchError

CONFIG = osp.join(CONFIG_ROOT, 'hksanc',
                  'hksanc_preact-resnet29_resnet20-half_1xb128_'
                  'fashion-mnist-1k.py')
TEACHER = osp.join(REPO_ROOT, 'checkpoints',
                   'preact-resnet29_1xb128_fashion-mnist.pth')
# one image per class, batches of 8 (8 + 2), no phase-2 checkpoint
TINY = {
    'train_dataloader.batch_size': 8,
    'train_dataloader.num_workers': 0,
    'train_dataloader.dataset.num_per_class': 1,
    'test_dataloader.num_workers': 0,
    'test_dataloader.dataset.num_per_class': 1,
    'model.teacher_ckpt': TEACHER,
    'model.teacher_attention_ckpt': None,
}

pytestmark = pytest.mark.usefixtures('one_thread', 'restore_default_scope',
                                     'fashion_mnist_root')


@pytest.fixture(scope='module')
def tiny():
    from mmengine.config import Config
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(TINY)
    torch.manual_seed(0)
    model = diag.build_model(cfg)
    train = diag.take(diag.build_loader(cfg, cfg.train_dataloader, 0), 1)
    held = diag.take(
        diag.build_loader(cfg, cfg.test_dataloader, 0, batch_size=8), 1)
    return cfg, model, train, held


def test_tool_end_to_end_on_a_tiny_subset(tmp_path):
    out_json, out_md = str(tmp_path / 'd.json'), str(tmp_path / 'd.md')
    start = time.time()
    load_tool('analysis/diagnose_hksanc').main(
        [CONFIG, '--batches', '2', '--fit-steps', '8', '--out-json',
         out_json, '--out-md', out_md, '--cfg-options'] +
        [f'{k}={v}' for k, v in TINY.items()])
    assert time.time() - start < 30
    with open(out_json) as f:
        result = json.load(f)
    assert result['stages'] == ['stages.0', 'stages.1', 'stages.2']
    assert result['images'] == 10 and result['batches'] == 2
    for name in ('distill.loss_backbone', 'distill.loss_is',
                 'distill.loss_adv', 'reference.cross_entropy'):
        term = result['terms'][name]
        assert len(term['stage_grad_norm']) == 3
        assert all(v > 0 for v in term['stage_grad_norm'])
    ce = result['terms']['reference.cross_entropy']
    assert ce['stage_grad_norm_over_ce'] == pytest.approx([1.0] * 3)
    # L_b never reaches the connectors; L_is reaches both parts
    assert result['terms']['distill.loss_backbone'][
        'parameter_grad_norm']['student_connectors'] == 0.0
    assert result['terms']['distill.loss_is']['parameter_grad_norm'][
        'student_connectors'] > 0
    assert all(-1 <= c <= 1 for cs in result['cosines'].values()
               for c in cs)
    fit = result['connector_fit']
    assert fit['steps'] == 8 and fit['heldout_images'] == 10
    assert len(fit['share']['stages']) == 3 and fit['share']['total'] <= 1
    assert [p['steps'] for p in fit['curve']] == [0, 1, 2, 4, 8]
    assert len(result['attention']) == 3
    for stage, hw in zip(result['attention'], (1024, 256, 64)):
        assert stage['positions'] == [hw, hw]
        assert 0 <= stage['teacher_entropy'] <= 1
        assert 0 <= stage['student_entropy'] <= 1
        assert stage['kl_teacher_student'] >= 0
    for mode in ('eval', 'train_joint'):
        assert all(0 <= v <= 1
                   for v in result['discriminator'][mode].values())
    with open(out_md) as f:
        markdown = f.read()
    assert '## Share of L_is removed' in markdown
    assert '`distill.loss_is`' in markdown


def test_new_loss_terms_are_picked_up(tiny, monkeypatch):
    """A term another change adds to ``model.loss`` (here 3 x L_is) is
    reported with its own gradients: 3x the norms, cosine 1 with L_is."""
    _, model, train, held = tiny
    plain_loss = model.loss

    def loss_with_extra(inputs, samples):
        losses = plain_loss(inputs, samples)
        losses['distill.loss_extra'] = 3 * losses['distill.loss_is']
        return losses

    monkeypatch.setattr(model, 'loss', loss_with_extra)
    result = diag.diagnose(model, train, held, fit_steps=0)
    extra, is_ = (result['terms']['distill.loss_extra'],
                  result['terms']['distill.loss_is'])
    assert extra['value'] == pytest.approx(3 * is_['value'], rel=1e-5)
    assert extra['stage_grad_norm'] == pytest.approx(
        [3 * v for v in is_['stage_grad_norm']], rel=1e-5)
    assert result['cosines']['distill.loss_is|distill.loss_extra'] == \
        pytest.approx([1.0] * 3, abs=1e-6)
    assert result['connector_fit']['share']['total'] == 0.0


def test_reference_ce_gradient_against_a_plain_student_pass(tiny):
    """d CE / d (last stage output) from the tool equals the gradient of a
    separate, hook-free forward of the student alone."""
    _, model, train, held = tiny
    state = {k: v.clone() for k, v in model.state_dict().items()}
    result = diag.diagnose(model, train, held, fit_steps=0)
    model.load_state_dict(state)  # BN running statistics as before
    data = model.data_preprocessor(train[0], True)
    student = model.architecture
    feats = student.backbone.stem(data['inputs'])
    for stage in student.backbone.stages[:2]:
        feats = stage(feats)
    last = student.backbone.stages[2](feats).detach().requires_grad_(True)
    logits = student.head.fc(student.neck((last, ))[-1])
    labels = torch.cat([s.gt_label for s in data['data_samples']])
    grad, = torch.autograd.grad(
        torch.nn.functional.cross_entropy(logits, labels), last)
    assert result['terms']['reference.cross_entropy']['stage_grad_norm'][
        2] == pytest.approx(float(grad.norm()), rel=1e-4)


def test_checkpoint_is_loaded_strictly(tiny, tmp_path):
    cfg, model, _, _ = tiny
    state = {k: v.clone() for k, v in model.state_dict().items()}
    key = next(k for k in state if k.startswith('architecture.head'))
    state[key] = torch.full_like(state[key], 0.5)
    path = str(tmp_path / 'run.pth')
    torch.save({'state_dict': {'module.' + k: v
                               for k, v in state.items()}}, path)
    loaded = diag.build_model(cfg, path)
    torch.testing.assert_close(loaded.state_dict()[key], state[key])
    del state[key]
    torch.save({'state_dict': state}, path)
    with pytest.raises(CheckpointMismatchError, match='missing keys'):
        diag.build_model(cfg, path)
