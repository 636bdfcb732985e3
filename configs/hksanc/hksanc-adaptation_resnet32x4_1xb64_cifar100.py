# HKSANC phase 2 of 3 on CIFAR-100: teacher adaptation
# (../_base_/hksanc/adaptation.py), 1 epoch over the full training set at
# batch 64. Teacher: the benchmark's resnet32x4 (64/128/256 wide, 5 basic
# blocks per stage), a stock mmpretrain classifier (GAP neck + linear head),
# frozen; its global descriptor is the 256-d average pool of its last stage
# (what the GAP neck feeds the classifier). The distillation config
# hksanc_resnet32x4_resnet8x4_1xb64_cifar100.py loads `connector.*` from this
# run's work_dirs/<this config>/epoch_1.pth.
#
# model.teacher_ckpt: trained by configs/vanilla/resnet32x4_1xb64_cifar100.py,
#   python tools/train.py configs/vanilla/resnet32x4_1xb64_cifar100.py
#   python tools/export_checkpoint.py \
#       work_dirs/resnet32x4_1xb64_cifar100/epoch_240.pth \
#       checkpoints/cifar100/resnet32x4_1xb64_cifar100.pth
# or point at yours with --cfg-options model.teacher_ckpt=PATH.
_base_ = [
    '../_base_/models/cifar100_resnet32x4.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/hksanc/adaptation.py',
]

teacher = _base_.teacher_model
teacher.backbone.out_indices = (0, 1, 2)  # every stage feeds the connector
model = dict(
    data_preprocessor=dict(
        _base_.data_preprocessor, type='mmpretrain.ClsDataPreprocessor'),
    architecture=dict(_scope_='mmpretrain', **teacher),
    teacher_ckpt='checkpoints/cifar100/resnet32x4_1xb64_cifar100.pth',
    num_classes=100,
    # Stock model: the backbone's stage tuple feeds the connector, which
    # pools the last stage into the global descriptor.
    feature_source='backbone',
    connector=dict(
        stage_channels=(64, 128, 256),
        descriptor_channels=256,
        descriptor_source='pool_last_stage'))
