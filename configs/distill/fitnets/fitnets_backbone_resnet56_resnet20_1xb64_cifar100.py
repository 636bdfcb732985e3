# FitNets, hints for thin deep nets (Romero et al., ICLR 2015, arXiv
# 1412.6550). CIFAR-100, resnet56 -> resnet20; one-stage form of the
# benchmark (RepDistiller / mdistiller, hint layer 2): the student's middle
# stage (backbone.stages.1, 32 ch at 16x16) goes through a regressor
# (1x1 conv + BN + ReLU, as RepDistiller's ConvReg; MMRazor's
# ConvModuleConnector) to the teacher's middle stage (32 ch at 16x16) and is
# pulled to it by MMRazor's L2Loss, plus the student's cross-entropy at
# weight 1.0; 240 epochs, batch 64, SGD lr 0.05. Reference: FitNet 69.21
# (RepDistiller's README; CRD, Tian et al., ICLR 2020). The widths match
# for this pair, but FitNets always trains a regressor, so the connector is
# kept.
#
# Loss weight: RepDistiller's HintLoss is nn.MSELoss() (mean over all
# elements) times beta=100 (mdistiller: FITNET.LOSS.FEAT_WEIGHT=100).
# MMRazor's L2Loss with normalize=False and div_element=True is
# sum((s - t)^2) / numel, the same mean squared error, so loss_weight=100.
# (MMRazor's defaults, normalize=True and division by the batch size,
# compare L2-normalised features: a different loss.)
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
        student_recorders=dict(
            hint=dict(type='ModuleOutputs', source='backbone.stages.1')),
        teacher_recorders=dict(
            hint=dict(type='ModuleOutputs', source='backbone.stages.1')),
        # Student-side regressor; it lives in the distiller and is trained
        # with the student by the same optimizer (training only, not kept in
        # the deployed student). The ReLU matches the teacher's post-ReLU
        # stage output.
        connectors=dict(
            hint_regressor=dict(
                type='ConvModuleConnector',
                in_channel=32,
                out_channel=32,
                kernel_size=1,
                norm_cfg=dict(type='BN'),
                act_cfg=dict(type='ReLU'))),
        distill_losses=dict(
            loss_hint=dict(
                type='L2Loss',
                loss_weight=100.0,
                normalize=False,
                div_element=True)),
        loss_forward_mappings=dict(
            loss_hint=dict(
                s_feature=dict(
                    from_student=True,
                    recorder='hint',
                    connector='hint_regressor'),
                t_feature=dict(from_student=False, recorder='hint')))))

find_unused_parameters = True
