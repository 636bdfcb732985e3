"""compute_attention and the attention figure, on a random HKSANC model.

The model is the Fashion-MNIST distillation config's, with random weights
saved to a checkpoint and loaded back by build_distill_model; the images are
real test images through the config's test pipeline.
"""
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from conftest import CONFIG_ROOT, tiny_run_options
from mmhkd.visualization.attention_figure import (draw_attention_figure,
                                                  figure_pixels)
from mmhkd.visualization.attention_maps import (attention_connectors,
                                                build_dataset,
                                                build_distill_model,
                                                channels_flipped,
                                                compute_attention,
                                                display_image, upsample)
from mmhkd.visualization.overlay import overlay_attention

DISTILL = osp.join(CONFIG_ROOT, 'hksanc',
                   'hksanc_preact-resnet29_resnet20-half_1xb128_'
                   'fashion-mnist-1k.py')
INDICES = [3, 7]
# the two deeper stages only: stages must come from the connectors
TWO_STAGES = {
    'model.distiller.connectors.teacher_attention.stage_channels': (128, 256),
    'model.distiller.connectors.teacher_attention.stage_indices': (1, 2),
    'model.distiller.connectors.student_attention.stage_channels': (16, 32),
    'model.distiller.connectors.student_attention.attention_channels':
    (128, 256),
    'model.distiller.connectors.student_attention.stage_indices': (1, 2),
}


pytestmark = pytest.mark.usefixtures('one_thread')


def load_cfg(extra=None) -> Config:
    cfg = Config.fromfile(DISTILL)
    cfg.merge_from_dict(tiny_run_options('fashion-mnist'))
    cfg.merge_from_dict(extra or {})
    return cfg


def random_checkpoint(cfg: Config, path: str) -> str:
    """Weights of a freshly built model, as a Runner would save them."""
    from mmengine.registry import DefaultScope
    from mmrazor.registry import MODELS
    model_cfg = cfg.model.copy()
    model_cfg.update(teacher_ckpt=None, teacher_attention_ckpt=None)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(model_cfg)
    model.init_weights()
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


@pytest.fixture(scope='module')
def setup(tmp_path_factory, fashion_mnist_root):
    cfg = load_cfg()
    ckpt = random_checkpoint(
        cfg, str(tmp_path_factory.mktemp('attention') / 'random.pth'))
    model = build_distill_model(cfg, ckpt)
    dataset = build_dataset(cfg, 'test')
    return dict(cfg=cfg, ckpt=ckpt, model=model, dataset=dataset,
                items=compute_attention(model, dataset, INDICES))


def test_checkpoint_loaded_and_eval_mode(setup):
    saved = torch.load(setup['ckpt'], weights_only=False)['state_dict']
    state = setup['model'].state_dict()
    assert saved.keys() == state.keys()
    assert all(torch.equal(saved[k], state[k]) for k in saved)
    assert not setup['model'].training


def test_mismatched_checkpoint_is_refused(setup, tmp_path):
    saved = torch.load(setup['ckpt'], weights_only=False)['state_dict']
    missing = next(k for k in saved if k.startswith('architecture.'))
    broken = {k: v for k, v in saved.items() if k != missing}
    broken['extra.weight'] = torch.zeros(1)
    path = str(tmp_path / 'broken.pth')
    torch.save({'state_dict': broken}, path)
    with pytest.raises(KeyError, match='does not match') as error:
        build_distill_model(setup['cfg'], path)
    assert missing in str(error.value) and 'extra.weight' in str(error.value)
    with pytest.raises(FileNotFoundError, match='nowhere.pth'):
        build_distill_model(setup['cfg'], str(tmp_path / 'nowhere.pth'))


def test_images_labels_and_stage_sizes(setup):
    items, dataset = setup['items'], setup['dataset']
    assert [item.index for item in items] == INDICES
    for item in items:
        packed = dataset[item.index]
        np.testing.assert_array_equal(item.image, packed['inputs'][0].numpy())
        assert item.image.dtype == np.uint8 and item.image.shape == (32, 32)
        assert item.label == int(packed['data_samples'].gt_label)
        assert [s.teacher_size for s in item.stages] == [(32, 32), (16, 16),
                                                         (8, 8)]
        assert [s.student_size for s in item.stages] == [(32, 32), (16, 16),
                                                         (8, 8)]
        for stage in item.stages:
            assert stage.teacher_map.shape == stage.student_map.shape == (32,
                                                                          32)
            assert -1.0 <= stage.cosine <= 1.0


def test_maps_are_the_connectors_maps_upsampled(setup):
    teacher, student = attention_connectors(setup['model'])
    for k, item in enumerate(setup['items']):
        for stage in item.stages:
            for connector, got in ((teacher, stage.teacher_map),
                                   (student, stage.student_map)):
                raw = connector.last_attention_maps[stage.stage][k:k + 1]
                assert torch.allclose(raw.sum(), torch.tensor(1.0))
                expected = F.interpolate(
                    raw, size=(32, 32), mode='bilinear',
                    align_corners=False)[0, 0].numpy()
                np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_same_maps_and_cosines_as_the_training_loss(setup):
    """The distillation's own forward (model.loss) sees the same maps."""
    model, dataset = setup['model'], setup['dataset']
    teacher, student = attention_connectors(model)
    descriptors = {}
    hooks = [
        c.register_forward_hook(
            lambda m, i, out, name=name: descriptors.__setitem__(name, out))
        for name, c in (('teacher', teacher), ('student', student))
    ]
    data = model.data_preprocessor(
        pseudo_collate([dataset[i] for i in INDICES]), False)
    try:
        with torch.no_grad():
            model.loss(data['inputs'], data['data_samples'])
    finally:
        for hook in hooks:
            hook.remove()
    for k, item in enumerate(setup['items']):
        for stage in item.stages:
            for connector, got in ((teacher, stage.teacher_map),
                                   (student, stage.student_map)):
                expected = upsample(
                    connector.last_attention_maps[stage.stage][k:k + 1],
                    (32, 32))[0].numpy()
                np.testing.assert_allclose(got, expected, atol=1e-6)
            cosine = F.cosine_similarity(
                descriptors['teacher'][stage.stage][k],
                descriptors['student'][stage.stage][k], dim=0)
            assert stage.cosine == pytest.approx(float(cosine), abs=1e-5)


def test_nearest_upsampling_repeats_each_cell(setup):
    item = compute_attention(setup['model'], setup['dataset'], [INDICES[0]],
                             mode='nearest')[0]
    teacher, _ = attention_connectors(setup['model'])
    raw = teacher.last_attention_maps[2][0, 0].numpy()  # 8x8
    np.testing.assert_array_equal(item.stages[2].teacher_map,
                                  np.kron(raw, np.ones((4, 4))))


def test_stages_come_from_the_connectors(setup, tmp_path):
    cfg = load_cfg(TWO_STAGES)
    ckpt = random_checkpoint(cfg, str(tmp_path / 'two.pth'))
    model = build_distill_model(cfg, ckpt)
    item = compute_attention(model, setup['dataset'], [0])[0]
    assert [s.stage for s in item.stages] == [0, 1]
    assert [s.teacher_size for s in item.stages] == [(16, 16), (8, 8)]


def test_bad_indices_and_non_hksanc_model(setup):
    with pytest.raises(IndexError, match='not in the dataset'):
        compute_attention(setup['model'], setup['dataset'], [10_000])
    with pytest.raises(TypeError, match='connectors'):
        attention_connectors(nn.Linear(2, 2))


def test_display_image_channel_order(setup):
    packed = torch.arange(12, dtype=torch.uint8).view(3, 2, 2)
    rgb = display_image(packed, bgr=False)
    assert rgb.shape == (2, 2, 3) and rgb[0, 0].tolist() == [0, 4, 8]
    assert display_image(packed, bgr=True)[0, 0].tolist() == [8, 4, 0]
    assert not channels_flipped(setup['model'].data_preprocessor)  # grey
    bgr_input = nn.Module()
    bgr_input.to_rgb = True  # mmpretrain's ClsDataPreprocessor flag
    assert channels_flipped(bgr_input)


def test_figure_panels_show_each_stage_overlay(setup):
    item = setup['items'][0]
    fig = draw_attention_figure(item, class_names=[str(i) for i in range(10)],
                                panel_inches=2.0, dpi=50)
    width, height = fig.get_size_inches() * fig.dpi
    assert (round(height), round(width)) == figure_pixels(3, 2.0, 50)
    axes = np.array(fig.axes).reshape(2, 4)
    np.testing.assert_array_equal(axes[0, 0].images[0].get_array(),
                                  item.image)
    for stage in item.stages:
        top, bottom = axes[0, stage.stage + 1], axes[1, stage.stage + 1]
        np.testing.assert_array_equal(
            top.images[0].get_array(),
            overlay_attention(item.image, stage.teacher_map))
        np.testing.assert_array_equal(
            bottom.images[0].get_array(),
            overlay_attention(item.image, stage.student_map))
        size = f'({stage.teacher_size[0]}x{stage.teacher_size[1]})'
        assert top.get_title() == f'teacher stage {stage.stage} {size}'
        assert f'cos(t, s) = {stage.cosine:.3f}' in bottom.get_title()
