# HKSANC phase 3 of 3 on CIFAR-100: distillation (Li et al., AAAI 2020;
# KSANC, arXiv 1904.05100) on the RepDistiller / mdistiller benchmark pair
# resnet110 -> resnet20, so it compares with BENCHMARK.md's table.
# Teacher: resnet110 (16/32/64, 18 basic blocks a
# stage); student: resnet20 (16/32/64, 3 a stage). Both are stock
# mmpretrain classifiers (GAP neck + linear head): each records its
# backbone's stage tuple, and each connector pools the last stage into
# the 64-d global descriptor (what the GAP neck feeds the classifier).
# The stage widths already match: the student has no channel transforms.
# Schedule: the benchmark's, 240 epochs, batch 64, SGD lr 0.05 (momentum
# 0.9, wd 5e-4), x0.1 at 150, 180 and 210; the discriminator: Adam 1e-4,
# betas (0.5, 0.999). Per iteration: one discriminator step, then one
# student step. The open choices and their defaults are in
# ../_base_/hksanc/hksanc_defaults.py.
#
# teacher_ckpt: trained by configs/vanilla/resnet110_1xb64_cifar100.py,
#   python tools/train.py configs/vanilla/resnet110_1xb64_cifar100.py
#   python tools/export_checkpoint.py \
#       work_dirs/resnet110_1xb64_cifar100/epoch_240.pth \
#       checkpoints/cifar100/resnet110_1xb64_cifar100.pth
# teacher_attention_ckpt: written by phase 2,
#   python tools/train.py \
#       configs/hksanc/hksanc-adaptation_resnet110_1xb64_cifar100.py
# Override either with --cfg-options model.teacher_ckpt=PATH
# model.teacher_attention_ckpt=PATH (the top-level variables alone do not
# reach the model).
_base_ = [
    '../_base_/models/cifar100_resnet110.py',
    '../_base_/models/cifar100_resnet20.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_bs64_240e.py',
    '../_base_/student_export.py',
    '../_base_/hksanc/hksanc_defaults.py',
]
default_scope = 'mmrazor'
teacher_ckpt = 'checkpoints/cifar100/resnet110_1xb64_cifar100.pth'
teacher_attention_ckpt = ('work_dirs/hksanc-adaptation_resnet110_'
                          '1xb64_cifar100/epoch_1.pth')

student = _base_.student_model
student.backbone.out_indices = (0, 1, 2)
student.head.loss.loss_weight = _base_.student_ce_weight
teacher = _base_.teacher_model
teacher.backbone.out_indices = (0, 1, 2)

model = dict(
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor',
        num_classes=100,
        mean=[129.304, 124.070, 112.434],
        std=[68.170, 65.392, 70.418],
        to_rgb=False),
    architecture=dict(_scope_='mmpretrain', **student),
    teacher=dict(_scope_='mmpretrain', **teacher),
    teacher_ckpt=teacher_ckpt,
    teacher_attention_ckpt=teacher_attention_ckpt,
    discriminator=dict(num_classes=100),
    distiller=dict(
        # Stock models: record the backbones' stages (no descriptor neck).
        student_recorders=dict(
            features=dict(type='ModuleOutputs', source='backbone')),
        teacher_recorders=dict(
            features=dict(type='ModuleOutputs', source='backbone')),
        connectors=dict(
            student_attention=dict(
                descriptor_source='pool_last_stage',
                stage_channels=(16, 32, 64),
                attention_channels=(16, 32, 64),
                descriptor_channels=64),
            teacher_attention=dict(
                descriptor_source='pool_last_stage',
                stage_channels=(16, 32, 64),
                descriptor_channels=64))))

optim_wrapper = dict(
    _delete_=True,
    constructor='HKSANCOptimWrapperConstructor',
    student=dict(optimizer=_base_.optim_wrapper.optimizer),
    discriminator=dict(optimizer=_base_.discriminator_optimizer))
param_scheduler = dict(
    _delete_=True,
    student=[_base_.param_scheduler],
    discriminator=[])
