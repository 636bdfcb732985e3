# HKSANC phase 3 of 3 on ImageNet-1k: distillation (Li et al., AAAI 2020;
# KSANC, arXiv 1904.05100), ResNet-34 -> ResNet-18, the pair of MMRazor's
# ImageNet KD/DKD results (teacher 73.62, student 69.90; MMRazor's model
# zoo). Both are mmpretrain's stock classifiers (GAP neck + linear head): each
# records its backbone's stages 2..4 (128/256/512 at 28/14/7) and each
# connector pools the last stage into the 512-d global descriptor (what the
# GAP neck feeds the classifier). The widths match: no channel transforms.
# Schedule: mmpretrain's imagenet_bs256 for the student, 100 epochs, 8 GPUs
# x batch 32, SGD lr 0.1 (momentum 0.9, wd 1e-4), x0.1 at 30, 60 and 90;
# the discriminator: Adam 1e-4, betas (0.5, 0.999). Per iteration: one
# discriminator step, then one student step. Data: mmpretrain's
# imagenet_bs32 base; point it at your copy with
#   --cfg-options train_dataloader.dataset.data_root=/data/imagenet \
#                 val_dataloader.dataset.data_root=/data/imagenet
# Every HKSANC option: ../_base_/hksanc/hksanc_defaults.py.
#
# model.teacher_ckpt: mmpretrain's released ResNet-34 (no vanilla config
# here), loaded from its URL by mmengine (or give a local copy).
# model.teacher_attention_ckpt: written by phase 2,
#   python tools/train.py \
#       configs/hksanc/hksanc-adaptation_resnet34_8xb32_in1k.py
# (on 8 GPUs: tools/dist_train.sh <that config> 8).
_base_ = [
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/student_export.py',
    '../_base_/hksanc/hksanc_defaults.py',
]
default_scope = 'mmrazor'

# mmpretrain's resnet/resnet{34,18}_8xb32_in1k.py models, stages 2..4 out.
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
student = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet',
        depth=18,
        num_stages=4,
        out_indices=(1, 2, 3),
        style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=512,
        loss=dict(
            # no plain cross-entropy (paper: none)
            type='CrossEntropyLoss', loss_weight=0.0),
        topk=(1, 5)))

model = dict(
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor',
        num_classes=1000,
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    architecture=dict(_scope_='mmpretrain', **student),
    teacher=dict(_scope_='mmpretrain', **teacher),
    teacher_ckpt=('https://download.openmmlab.com/mmclassification/v0/'
                  'resnet/resnet34_8xb32_in1k_20210831-f257d4e6.pth'),
    teacher_attention_ckpt=('work_dirs/hksanc-adaptation_resnet34_8xb32_in1k/'
                            'epoch_1.pth'),
    discriminator=dict(num_classes=1000),
    distiller=dict(
        # Stock models: record the backbones' stages (no descriptor neck).
        student_recorders=dict(
            features=dict(type='ModuleOutputs', source='backbone')),
        teacher_recorders=dict(
            features=dict(type='ModuleOutputs', source='backbone')),
        connectors=dict(
            student_attention=dict(
                descriptor_source='pool_last_stage',
                stage_channels=(128, 256, 512),
                attention_channels=(128, 256, 512),
                descriptor_channels=512),
            teacher_attention=dict(
                descriptor_source='pool_last_stage',
                stage_channels=(128, 256, 512),
                descriptor_channels=512))))

# Two optimizers: the schedule's SGD for the student (and its connectors),
# Adam 1e-4, betas (0.5, 0.999) for D (GAN practice; the paper gives none).
optim_wrapper = dict(
    _delete_=True,
    constructor='HKSANCOptimWrapperConstructor',
    student=dict(optimizer=_base_.optim_wrapper.optimizer),
    discriminator=dict(
        optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999))))
param_scheduler = dict(
    _delete_=True,
    student=[_base_.param_scheduler],
    discriminator=[])
