# HKSANC phase 3 of 3 on CIFAR-100: distillation (Li et al., AAAI 2020;
# KSANC, arXiv 1904.05100) on the RepDistiller / mdistiller benchmark pair
# resnet56 -> resnet20 (16/32/64 wide, 9 and 3 basic blocks a stage):
# data, schedule and stock-model recorders in
# ../_base_/hksanc/cifar100_pair.py, every HKSANC option in
# ../_base_/hksanc/hksanc_defaults.py. The stage widths match: the student
# has no channel transforms.
#
# model.teacher_ckpt: trained by configs/vanilla/resnet56_1xb64_cifar100.py
# and exported with tools/export_checkpoint.py (see the adaptation config).
# model.teacher_attention_ckpt: written by phase 2,
#   python tools/train.py \
#       configs/hksanc/hksanc-adaptation_resnet56_1xb64_cifar100.py
_base_ = [
    '../_base_/models/cifar100_resnet56.py',
    '../_base_/models/cifar100_resnet20.py',
    '../_base_/hksanc/cifar100_pair.py',
]

student = _base_.student_model
student.backbone.out_indices = (0, 1, 2)  # every stage is squeezed
student.head.loss.loss_weight = 0.0  # no plain cross-entropy (paper: none)
teacher = _base_.teacher_model
teacher.backbone.out_indices = (0, 1, 2)

model = dict(
    architecture=dict(_scope_='mmpretrain', **student),
    teacher=dict(_scope_='mmpretrain', **teacher),
    teacher_ckpt='checkpoints/cifar100/resnet56_1xb64_cifar100.pth',
    teacher_attention_ckpt=('work_dirs/hksanc-adaptation_resnet56_'
                            '1xb64_cifar100/epoch_1.pth'),
    distiller=dict(
        connectors=dict(
            student_attention=dict(
                stage_channels=(16, 32, 64),
                attention_channels=(16, 32, 64),
                descriptor_channels=64),
            teacher_attention=dict(
                stage_channels=(16, 32, 64), descriptor_channels=64))))
