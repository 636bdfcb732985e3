# FitNets, hints for thin deep nets (Romero et al., ICLR 2015, arXiv
# 1412.6550), in the one-stage form of the CIFAR-100 benchmark (RepDistiller):
# the student's middle stage (backbone.stages.1, 16 ch at 16x16) goes through
# a regressor (1x1 conv + BN, MMRazor's ConvModuleConnector) to the teacher's
# middle stage (128 ch at 16x16) and is pulled to it by MMRazor's L2Loss; the
# student's own cross-entropy stays at weight 1.0. Same teacher, student, data
# and schedule as the KD config.
#
# Loss weight: RepDistiller's HintLoss is nn.MSELoss() (mean over all
# elements) times beta=100. MMRazor's L2Loss with normalize=False and
# div_element=True is sum((s - t)^2) / numel, the same mean squared error,
# so loss_weight=100. (MMRazor's defaults, normalize=True and division by the
# batch size, compare L2-normalised features: a different loss.)
#
# The regressor has no ReLU (RepDistiller's ConvReg has one): this
# pre-activation teacher's stages.1 output is a raw residual stream with
# negative values, which a ReLU could not reach.
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
    type='SingleTeacherDistill',
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
            hint=dict(type='ModuleOutputs', source='backbone.stages.1')),
        teacher_recorders=dict(
            hint=dict(type='ModuleOutputs', source='backbone.stages.1')),
        # Student-side regressor; it lives in the distiller and is trained
        # with the student by the same optimizer (training only, not kept in
        # the deployed student).
        connectors=dict(
            hint_regressor=dict(
                type='ConvModuleConnector',
                in_channel=16,
                out_channel=128,
                kernel_size=1,
                norm_cfg=dict(type='BN'),
                act_cfg=None)),
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
