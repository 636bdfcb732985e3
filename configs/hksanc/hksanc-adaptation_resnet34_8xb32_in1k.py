# HKSANC phase 2 of 3 on ImageNet-1k: teacher adaptation
# (../_base_/hksanc/adaptation.py), 1 epoch over the full training set on
# 8 GPUs x batch 32. Teacher: mmpretrain's stock ResNet-34 (GAP neck +
# linear head, 73.62 top-1), frozen; its estimators squeeze stages 2..4
# (128/256/512 at 28/14/7), queried by the 512-d average pool of the last
# stage (what the GAP neck feeds the classifier). Data: mmpretrain's
# imagenet_bs32 base; point it at your copy with
#   --cfg-options train_dataloader.dataset.data_root=/data/imagenet \
#                 val_dataloader.dataset.data_root=/data/imagenet
# The distillation config hksanc_resnet34_resnet18_8xb32_in1k.py loads
# `connector.*` from this run's work_dirs/<this config>/epoch_1.pth.
#
# model.teacher_ckpt: mmpretrain's released ResNet-34. AttentionAdaptation
# reads local files only (mmhkd's load_checkpoint_state), so download it
# first into checkpoints/imagenet/:
#   wget -P checkpoints/imagenet https://download.openmmlab.com/\
# mmclassification/v0/resnet/resnet34_8xb32_in1k_20210831-f257d4e6.pth
# or point at yours with --cfg-options model.teacher_ckpt=PATH.
_base_ = [
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    '../_base_/hksanc/adaptation.py',
]

# mmpretrain's resnet/resnet34_8xb32_in1k.py model, with stages 2..4 out.
teacher = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet',
        depth=34,
        num_stages=4,
        out_indices=(1, 2, 3),
        style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))

model = dict(
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor',
        num_classes=1000,
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    architecture=dict(_scope_='mmpretrain', **teacher),
    teacher_ckpt=('checkpoints/imagenet/'
                  'resnet34_8xb32_in1k_20210831-f257d4e6.pth'),
    num_classes=1000,
    # Stock model: the backbone's stage tuple feeds the connector, which
    # pools the last stage into the global descriptor.
    feature_source='backbone',
    connector=dict(
        stage_channels=(128, 256, 512),
        descriptor_channels=512,
        descriptor_source='pool_last_stage'))

auto_scale_lr = dict(base_batch_size=256)
