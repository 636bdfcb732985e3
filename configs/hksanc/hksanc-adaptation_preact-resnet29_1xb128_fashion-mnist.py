# HKSANC phase 2 of 3: teacher adaptation (METHOD.md, "Teacher side").
# The trained teacher is frozen; its task-driven attention estimators (one
# per stage, queried by its 128-d global descriptor) are trained with the
# task through a linear classifier on the concatenated squeezed descriptors.
# The distillation config then loads `connector.*` from this run's
# checkpoint and keeps those estimators frozen.
_base_ = [
    '../_base_/models/preact-resnet29_fashion-mnist.py',
    '../_base_/datasets/fashion_mnist_bs128.py',
    '../_base_/default_runtime.py',
    '../_base_/hksanc/attention.py',
]
default_scope = 'mmrazor'
teacher_ckpt = 'checkpoints/preact-resnet29_1xb128_fashion-mnist.pth'

# The attention settings (query_mode, attention_cfg) come from
# ../_base_/hksanc/attention.py, the same file distillation inherits; this
# run's checkpoint records them.
adaptation_images_per_class = 2000  # 20,000 of the 60,000 training images

teacher = _base_.teacher_model
teacher.backbone.out_indices = (0, 1, 2)
model = dict(
    _scope_='mmrazor',
    type='AttentionAdaptation',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor',
        num_classes=10,
        mean=[72.93],
        std=[90.02],
        to_rgb=False),
    architecture=dict(_scope_='mmpretrain', **teacher),
    teacher_ckpt=teacher_ckpt,
    feature_source='neck',
    num_classes=10,
    connector=dict(
        type='HierarchicalAttentionConnector',
        stage_channels=(64, 128, 256),
        descriptor_channels=128,
        descriptor_source='neck',
        query=_base_.query_mode,
        attention_cfg=_base_.attention_cfg))

train_dataloader = dict(
    dataset=dict(num_per_class=adaptation_images_per_class, subset_seed=0))
optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=1e-3, weight_decay=0.0))
param_scheduler = dict(
    type='CosineAnnealingLR', by_epoch=True, T_max=1,
    convert_to_iter_based=True)
train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
val_cfg = dict()
test_cfg = dict()
