# AT, Attention Transfer (Zagoruyko & Komodakis, ICLR 2017, arXiv
# 1612.03928), with MMRazor's ATLoss on the outputs of the three stages
# (16/32/64 channels at 32/16/8 on both networks), plus the
# student's cross-entropy at weight 1.0. CIFAR-100, resnet56 -> resnet20;
# 240 epochs, batch 64, SGD lr 0.05. Reference: AT 70.55
# (RepDistiller's README; CRD, Tian et al., ICLR 2020).
#
# Loss weight: MMRazor's ATLoss is, per stage, exactly RepDistiller's
# Attention.at_loss (p=2): mean over (batch, H*W) of the squared difference
# of the L2-normalised maps mean_c(F^2). RepDistiller sums the per-stage
# terms of its three stage outputs (feat[1:-1], post-ReLU) and multiplies
# the sum by beta=1000 (mdistiller: AT.LOSS.FEAT_WEIGHT=1000), so each of
# the three ATLoss modules here gets loss_weight=1000.
_base_ = [
    '../../_base_/models/cifar100_resnet56.py',
    '../../_base_/models/cifar100_resnet20.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/student_export.py',
]
default_scope = 'mmrazor'

model = dict(
    _scope_='mmrazor',
    type='SingleTeacherDistill',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor',
        num_classes=100,
        mean=[129.304, 124.070, 112.434],
        std=[68.170, 65.392, 70.418],
        to_rgb=False),
    # The student keeps its cross-entropy at weight 1.0 (base default).
    architecture=dict(_scope_='mmpretrain', **_base_.student_model),
    teacher=dict(_scope_='mmpretrain', **_base_.teacher_model),
    # trained by configs/vanilla/resnet56_1xb64_cifar100.py (or point at
    # yours with --cfg-options model.teacher_ckpt=PATH)
    teacher_ckpt='checkpoints/cifar100/resnet56_1xb64_cifar100.pth',
    distiller=dict(
        type='ConfigurableDistiller',
        # Stage outputs are the last block's output, after its ReLU, as
        # RepDistiller's f1/f2/f3.
        student_recorders=dict(
            stage0=dict(type='ModuleOutputs', source='backbone.stages.0'),
            stage1=dict(type='ModuleOutputs', source='backbone.stages.1'),
            stage2=dict(type='ModuleOutputs', source='backbone.stages.2')),
        teacher_recorders=dict(
            stage0=dict(type='ModuleOutputs', source='backbone.stages.0'),
            stage1=dict(type='ModuleOutputs', source='backbone.stages.1'),
            stage2=dict(type='ModuleOutputs', source='backbone.stages.2')),
        distill_losses=dict(
            loss_at_stage0=dict(type='ATLoss', loss_weight=1000.0),
            loss_at_stage1=dict(type='ATLoss', loss_weight=1000.0),
            loss_at_stage2=dict(type='ATLoss', loss_weight=1000.0)),
        loss_forward_mappings=dict(
            loss_at_stage0=dict(
                s_feature=dict(from_student=True, recorder='stage0'),
                t_feature=dict(from_student=False, recorder='stage0')),
            loss_at_stage1=dict(
                s_feature=dict(from_student=True, recorder='stage1'),
                t_feature=dict(from_student=False, recorder='stage1')),
            loss_at_stage2=dict(
                s_feature=dict(from_student=True, recorder='stage2'),
                t_feature=dict(from_student=False, recorder='stage2')))))

find_unused_parameters = True
