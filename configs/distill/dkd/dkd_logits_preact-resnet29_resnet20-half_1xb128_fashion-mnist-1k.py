# DKD, Decoupled Knowledge Distillation (Zhao et al., CVPR 2022,
# arXiv 2203.08679), with MMRazor's DKDLoss on the logits. KD's loss is split
# into a target-class term (TCKD, weight alpha) and a non-target-class term
# (NCKD, weight beta). Settings of mdistiller's CIFAR-100 configs: T=4,
# alpha=1, beta=8, batch-mean KL, plus the student's own cross-entropy at
# weight 1.0. Same teacher, student, data and schedule as the KD config.
# mdistiller ramps the DKD term up linearly over the first 20 epochs; MMRazor's
# DKDLoss has no warm-up, so this config (like MMRazor's own) uses none.
_base_ = [
    '../../_base_/models/preact-resnet29_fashion-mnist.py',
    '../../_base_/models/resnet20-half_fashion-mnist.py',
    '../../_base_/datasets/fashion_mnist-1k_bs128.py',
    '../../_base_/schedules/fashion-mnist_60e.py',
    '../../_base_/student_export.py',
]
default_scope = 'mmrazor'

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
    # The student keeps its cross-entropy at weight 1.0 (base default).
    architecture=dict(_scope_='mmpretrain', **_base_.student_model),
    teacher=dict(_scope_='mmpretrain', **_base_.teacher_model),
    # trained by configs/vanilla/preact-resnet29_1xb128_fashion-mnist.py
    teacher_ckpt='checkpoints/preact-resnet29_1xb128_fashion-mnist.pth',
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            fc=dict(type='ModuleOutputs', source='head.fc'),
            # The labels are the 2nd positional input of the head's
            # CrossEntropyLoss: loss_module(cls_score, target, ...).
            gt_labels=dict(type='ModuleInputs', source='head.loss_module')),
        teacher_recorders=dict(
            fc=dict(type='ModuleOutputs', source='head.fc')),
        distill_losses=dict(
            loss_dkd=dict(
                type='DKDLoss',
                tau=4,
                alpha=1,
                beta=8,
                # 'batchmean' = sum / batch size, as mdistiller's dkd_loss.
                reduction='batchmean',
                loss_weight=1.0)),
        loss_forward_mappings=dict(
            loss_dkd=dict(
                preds_S=dict(from_student=True, recorder='fc'),
                preds_T=dict(from_student=False, recorder='fc'),
                gt_labels=dict(
                    from_student=True, recorder='gt_labels', data_idx=1)))))

find_unused_parameters = True
