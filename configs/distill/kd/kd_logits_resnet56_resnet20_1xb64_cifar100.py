# KD (Hinton et al. 2015, arXiv 1503.02531) with MMRazor's KLDivergence on
# the logits. CIFAR-100, resnet56 -> resnet20.
# RepDistiller / mdistiller setting: T=4, batch-mean KL scaled by T^2,
# 0.9 KD + 0.1 cross-entropy; 240 epochs, batch 64, SGD lr 0.05.
# Reference: teacher 72.34, student 69.06, KD 70.66
# (RepDistiller's README; CRD, Tian et al., ICLR 2020).
_base_ = [
    '../../_base_/models/cifar100_resnet56.py',
    '../../_base_/models/cifar100_resnet20.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/student_export.py',
]
default_scope = 'mmrazor'

student = _base_.student_model
student.head.loss.loss_weight = 0.1  # RepDistiller: -r 0.1 -a 0.9
model = dict(
    _scope_='mmrazor',
    type='SingleTeacherDistill',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor',
        num_classes=100,
        mean=[129.304, 124.070, 112.434],
        std=[68.170, 65.392, 70.418],
        to_rgb=False),
    architecture=dict(_scope_='mmpretrain', **student),
    teacher=dict(_scope_='mmpretrain', **_base_.teacher_model),
    # trained by configs/vanilla/resnet56_1xb64_cifar100.py (or point at
    # yours with --cfg-options model.teacher_ckpt=PATH)
    teacher_ckpt='checkpoints/cifar100/resnet56_1xb64_cifar100.pth',
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            fc=dict(type='ModuleOutputs', source='head.fc')),
        teacher_recorders=dict(
            fc=dict(type='ModuleOutputs', source='head.fc')),
        distill_losses=dict(
            loss_kl=dict(
                type='KLDivergence',
                tau=4,
                reduction='batchmean',
                loss_weight=0.9)),
        loss_forward_mappings=dict(
            loss_kl=dict(
                preds_S=dict(from_student=True, recorder='fc'),
                preds_T=dict(from_student=False, recorder='fc')))))

find_unused_parameters = True
