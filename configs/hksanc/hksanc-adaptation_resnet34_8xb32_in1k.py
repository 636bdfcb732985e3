# HKSANC phase 2 of 3 on ImageNet-1k: teacher adaptation (METHOD.md,
# "Teacher side"). Teacher: mmpretrain's stock ResNet-34 (GAP neck + linear
# head), frozen, with its released weights (73.62 top-1). Its task-driven
# attention estimators on stages 2..4 (128/256/512 at 28/14/7, queried by
# the teacher's own global descriptor: the 512-d global average pool of the
# last stage, what the GAP neck feeds the classifier) are trained with the
# task through a linear classifier on the concatenated squeezed
# descriptors: 1 epoch over the full training set, 8 GPUs x batch 32, Adam
# 1e-3 with a cosine decay. Data: mmpretrain's imagenet_bs32 base; point it
# at your copy with
#   --cfg-options train_dataloader.dataset.data_root=/data/imagenet \
#                 val_dataloader.dataset.data_root=/data/imagenet
# The distillation config hksanc_resnet34_resnet18_8xb32_in1k.py loads
# `connector.*` from this run's work_dirs/<this config>/epoch_1.pth.
#
# teacher_ckpt: mmpretrain's released ResNet-34. AttentionAdaptation reads
# local files only (mmhkd's load_checkpoint_state), so download it first
# from teacher_ckpt_url (below) into checkpoints/imagenet/:
#   wget -P checkpoints/imagenet <teacher_ckpt_url>
# or point at yours with --cfg-options model.teacher_ckpt=PATH.
#
# query_mode and attention_cfg come from ../_base_/hksanc/hksanc_defaults.py,
# the same variables the distillation config uses: the estimators trained
# here must have the form the distillation expects. The base's HKSANCDistill
# `model` is replaced (_delete_) by the adaptation algorithm.
_base_ = [
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    '../_base_/default_runtime.py',
    '../_base_/hksanc/hksanc_defaults.py',
]
default_scope = 'mmrazor'
teacher_ckpt_url = ('https://download.openmmlab.com/mmclassification/v0/'
                    'resnet/resnet34_8xb32_in1k_20210831-f257d4e6.pth')
teacher_ckpt = 'checkpoints/imagenet/resnet34_8xb32_in1k_20210831-f257d4e6.pth'

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
    _delete_=True,
    _scope_='mmrazor',
    type='AttentionAdaptation',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor',
        num_classes=1000,
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    architecture=dict(_scope_='mmpretrain', **teacher),
    teacher_ckpt=teacher_ckpt,
    # Stock model: the backbone's stage tuple feeds the connector, which
    # pools the last stage into the global descriptor.
    feature_source='backbone',
    num_classes=1000,
    connector=dict(
        type='HierarchicalAttentionConnector',
        stage_channels=(128, 256, 512),
        descriptor_channels=512,
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
auto_scale_lr = dict(base_batch_size=256)
