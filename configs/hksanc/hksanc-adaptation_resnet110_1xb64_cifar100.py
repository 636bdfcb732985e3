# HKSANC phase 2 of 3 on CIFAR-100: teacher adaptation (METHOD.md, "Teacher
# side"). Teacher: the benchmark's resnet110 (16/32/64 wide, 18 basic
# blocks per stage), a stock mmpretrain classifier (GAP neck + linear head),
# frozen. Its task-driven attention estimators (one per stage, queried by
# the teacher's own global descriptor: here the 64-d global average pool of
# its last stage, what the GAP neck feeds the classifier) are trained with
# the task through a linear classifier on the concatenated squeezed
# descriptors: 1 epoch over the full training set, batch 64, Adam 1e-3 with
# a cosine decay.
# The distillation config hksanc_resnet110_resnet20_1xb64_cifar100.py loads
# `connector.*` from this run's work_dirs/<this config>/epoch_1.pth.
#
# teacher_ckpt: trained by configs/vanilla/resnet110_1xb64_cifar100.py,
#   python tools/train.py configs/vanilla/resnet110_1xb64_cifar100.py
#   python tools/export_checkpoint.py \
#       work_dirs/resnet110_1xb64_cifar100/epoch_240.pth \
#       checkpoints/cifar100/resnet110_1xb64_cifar100.pth
# or point at yours with --cfg-options model.teacher_ckpt=PATH.
#
# query_mode and attention_cfg come from ../_base_/hksanc/hksanc_defaults.py,
# the same variables the distillation config uses: the estimators trained
# here must have the form the distillation expects. The base's HKSANCDistill
# `model` is replaced (_delete_) by the adaptation algorithm.
_base_ = [
    '../_base_/models/cifar100_resnet110.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/default_runtime.py',
    '../_base_/hksanc/hksanc_defaults.py',
]
default_scope = 'mmrazor'
teacher_ckpt = 'checkpoints/cifar100/resnet110_1xb64_cifar100.pth'

teacher = _base_.teacher_model
teacher.backbone.out_indices = (0, 1, 2)
model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='AttentionAdaptation',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor',
        num_classes=100,
        mean=[129.304, 124.070, 112.434],
        std=[68.170, 65.392, 70.418],
        to_rgb=False),
    architecture=dict(_scope_='mmpretrain', **teacher),
    teacher_ckpt=teacher_ckpt,
    # Stock model: the backbone's stage tuple feeds the connector, which
    # pools the last stage into the global descriptor.
    feature_source='backbone',
    num_classes=100,
    connector=dict(
        type='HierarchicalAttentionConnector',
        stage_channels=(16, 32, 64),
        descriptor_channels=64,
        descriptor_source='pool_last_stage',
        query=_base_.query_mode,
        attention_cfg=_base_.attention_cfg))

optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=0.0))
param_scheduler = dict(
    type='CosineAnnealingLR', by_epoch=True, T_max=1,
    convert_to_iter_based=True)
train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
val_cfg = dict()
test_cfg = dict()
