# HKSANC phase 2 of 3 on CIFAR-100: teacher adaptation
# (../_base_/hksanc/adaptation.py), 1 epoch over the full training set at
# batch 64. Teacher: the paper's pre-activation bottleneck ResNet-164
# (stages 64/128/256 at 32/16/8) with the 128-d global-descriptor neck,
# frozen. The distillation config
# hksanc_preact-resnet164_resnet20_1xb128_cifar100.py loads `connector.*`
# from this run's work_dirs/<this config>/epoch_1.pth.
#
# model.teacher_ckpt: trained by
# configs/vanilla/preact-resnet164_1xb64_cifar100.py,
#   python tools/train.py configs/vanilla/preact-resnet164_1xb64_cifar100.py
#   python tools/export_checkpoint.py \
#       work_dirs/preact-resnet164_1xb64_cifar100/epoch_240.pth \
#       checkpoints/cifar100/preact-resnet164_1xb64_cifar100.pth
# or point at yours with --cfg-options model.teacher_ckpt=PATH.
_base_ = [
    '../_base_/models/cifar100_preact-resnet164.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/hksanc/adaptation.py',
]

teacher = _base_.teacher_model
teacher.backbone.out_indices = (0, 1, 2)  # every stage feeds the connector
model = dict(
    data_preprocessor=dict(
        _base_.data_preprocessor, type='mmpretrain.ClsDataPreprocessor'),
    architecture=dict(_scope_='mmpretrain', **teacher),
    teacher_ckpt='checkpoints/cifar100/preact-resnet164_1xb64_cifar100.pth',
    num_classes=100,
    # The neck returns (stage 64, stage 128, stage 256, descriptor 128).
    connector=dict(stage_channels=(64, 128, 256), descriptor_channels=128))
