# HKSANC phase 3 of 3 on CIFAR-100: distillation, the paper's pair (Li et
# al., AAAI 2020; KSANC, arXiv 1904.05100): pre-activation ResNet-164 with
# the 128-d global-descriptor neck (it records the neck's (*stages,
# descriptor) tuple) -> the benchmark's stock CIFAR-100 resnet20 (GAP neck
# + linear head: it records its backbone's stages and its connector pools
# the last stage into the 64-d global descriptor). Widths, the paper's
# schedule and the two optimizers:
# ../_base_/hksanc/preact-resnet164_resnet20_cifar.py; every HKSANC option:
# ../_base_/hksanc/hksanc_defaults.py.
#
# model.teacher_ckpt: trained by
# configs/vanilla/preact-resnet164_1xb64_cifar100.py and exported with
# tools/export_checkpoint.py (see the adaptation config).
# model.teacher_attention_ckpt: written by phase 2,
#   python tools/train.py \
#       configs/hksanc/hksanc-adaptation_preact-resnet164_1xb64_cifar100.py
_base_ = [
    '../_base_/models/cifar100_preact-resnet164.py',
    '../_base_/models/cifar100_resnet20.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/hksanc/preact-resnet164_resnet20_cifar.py',
]

student = _base_.student_model
student.backbone.out_indices = (0, 1, 2)  # every stage is squeezed
student.head.loss.loss_weight = 0.0  # no plain cross-entropy (paper: none)
teacher = _base_.teacher_model
teacher.backbone.out_indices = (0, 1, 2)

model = dict(
    data_preprocessor=dict(
        _base_.data_preprocessor, type='mmpretrain.ClsDataPreprocessor'),
    architecture=dict(_scope_='mmpretrain', **student),
    teacher=dict(_scope_='mmpretrain', **teacher),
    teacher_ckpt='checkpoints/cifar100/preact-resnet164_1xb64_cifar100.pth',
    teacher_attention_ckpt=('work_dirs/hksanc-adaptation_preact-resnet164_'
                            '1xb64_cifar100/epoch_1.pth'),
    discriminator=dict(num_classes=100),
    distiller=dict(
        # Stock student: record the backbone's stages (no descriptor neck).
        student_recorders=dict(
            features=dict(type='ModuleOutputs', source='backbone')),
        connectors=dict(
            student_attention=dict(
                descriptor_source='pool_last_stage',
                descriptor_channels=64))))

train_dataloader = dict(batch_size=128)  # the paper's batch size
