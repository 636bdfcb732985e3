# KD (Hinton et al. 2015) with MMRazor's own parts: KLDivergence on the
# logits, T=4, 0.9 KD + 0.1 cross-entropy (RepDistiller's CIFAR-100
# setting; the v1 benchmark's KD, docs/benchmark.md).
_base_ = [
    '../../_base_/models/preact-resnet29_fashion-mnist.py',
    '../../_base_/models/resnet20-half_fashion-mnist.py',
    '../../_base_/datasets/fashion_mnist-1k_bs128.py',
    '../../_base_/schedules/fashion-mnist_60e.py',
    '../../_base_/student_export.py',
]
default_scope = 'mmrazor'

student = _base_.student_model
student.head.loss.loss_weight = 0.1
model = dict(
    _scope_='mmrazor',
    # mmrazor's SingleTeacherDistill plus model.teacher_cache (mmhkd)
    type='CachedTeacherDistill',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor',
        num_classes=10,
        mean=[72.93],
        std=[90.02],
        to_rgb=False),
    architecture=dict(_scope_='mmpretrain', **student),
    teacher=dict(_scope_='mmpretrain', **_base_.teacher_model),
    # trained by configs/vanilla/preact-resnet29_1xb128_fashion-mnist.py
    teacher_ckpt='checkpoints/preact-resnet29_1xb128_fashion-mnist.pth',
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            fc=dict(type='ModuleOutputs', source='head.fc')),
        teacher_recorders=dict(
            fc=dict(type='ModuleOutputs', source='head.fc')),
        distill_losses=dict(
            loss_kl=dict(type='KLDivergence', tau=4, loss_weight=0.9)),
        loss_forward_mappings=dict(
            loss_kl=dict(
                preds_S=dict(from_student=True, recorder='fc'),
                preds_T=dict(from_student=False, recorder='fc')))))

find_unused_parameters = True
