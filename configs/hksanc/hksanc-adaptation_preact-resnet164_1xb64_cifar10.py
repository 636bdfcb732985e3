# HKSANC phase 2 of 3 on CIFAR-10: teacher adaptation (METHOD.md, "Teacher
# side"). Teacher: the paper's pre-activation bottleneck ResNet-164 with the
# 128-d global-descriptor neck (stages 64/128/256 at 32/16/8), frozen. Its
# task-driven attention estimators (one per stage, queried by its own
# descriptor) are trained with the task through a linear classifier on the
# concatenated squeezed descriptors: 1 epoch over the full training set,
# batch 64, Adam 1e-3 with a cosine decay.
# The distillation config hksanc_preact-resnet164_resnet20_1xb128_cifar10.py
# loads `connector.*` from this run's work_dirs/<this config>/epoch_1.pth.
#
# teacher_ckpt: trained by configs/vanilla/preact-resnet164_1xb64_cifar10.py,
#   python tools/train.py configs/vanilla/preact-resnet164_1xb64_cifar10.py
#   python tools/export_checkpoint.py \
#       work_dirs/preact-resnet164_1xb64_cifar10/epoch_240.pth \
#       checkpoints/cifar10/preact-resnet164_1xb64_cifar10.pth
# or point at yours with --cfg-options model.teacher_ckpt=PATH.
#
# query_mode and attention_cfg come from ../_base_/hksanc/hksanc_defaults.py,
# the same variables the distillation config uses: the estimators trained
# here must have the form the distillation expects. The base's HKSANCDistill
# `model` is replaced (_delete_) by the adaptation algorithm.
_base_ = [
    '../_base_/models/cifar10_preact-resnet164.py',
    '../_base_/datasets/cifar10_bs64.py',
    '../_base_/default_runtime.py',
    '../_base_/hksanc/hksanc_defaults.py',
]
default_scope = 'mmrazor'
teacher_ckpt = 'checkpoints/cifar10/preact-resnet164_1xb64_cifar10.pth'

teacher = _base_.teacher_model
teacher.backbone.out_indices = (0, 1, 2)
model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='AttentionAdaptation',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor',
        num_classes=10,
        mean=[125.307, 122.961, 113.8575],
        std=[51.5865, 50.847, 51.255],
        to_rgb=False),
    architecture=dict(_scope_='mmpretrain', **teacher),
    teacher_ckpt=teacher_ckpt,
    # The neck returns (stage 64, stage 128, stage 256, descriptor 128).
    feature_source='neck',
    num_classes=10,
    connector=dict(
        type='HierarchicalAttentionConnector',
        stage_channels=(64, 128, 256),
        descriptor_channels=128,
        descriptor_source='neck',
        query=_base_.query_mode,
        attention_cfg=_base_.attention_cfg))

optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=0.0))
param_scheduler = dict(
    type='CosineAnnealingLR', by_epoch=True, T_max=1,
    convert_to_iter_based=True)
train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
val_cfg = dict()
test_cfg = dict()
