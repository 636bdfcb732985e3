# HKSANC phase 3 of 3: distillation (Li et al., AAAI 2020; KSANC, arXiv
# 1904.05100) on the Fashion-MNIST protocol (docs/benchmark.md). Teacher:
# pre-activation bottleneck ResNet-29 (64/128/256, phase 1). Its attention
# estimators come from phase 2. Student: ResNet-20 at half width (8/16/32)
# on 1,000 labelled images; its stages are mapped to the teacher's widths by
# 1x1 conv + BN channel transforms. Both networks have the 128-d
# global-descriptor neck of the paper's figure.
# Per iteration: one discriminator step (Adam), then one student step (SGD).
# Every HKSANC option, where to set it and its default:
# ../_base_/hksanc/hksanc_defaults.py (reasons: docs/method.md).
_base_ = [
    '../_base_/models/preact-resnet29_fashion-mnist.py',
    '../_base_/models/resnet20-half_fashion-mnist.py',
    '../_base_/datasets/fashion_mnist-1k_bs128.py',
    '../_base_/schedules/fashion-mnist_60e.py',
    '../_base_/student_export.py',
    '../_base_/hksanc/hksanc_defaults.py',
]
default_scope = 'mmrazor'

student = _base_.student_model
student.backbone.out_indices = (0, 1, 2)  # every stage is squeezed
student.head.loss.loss_weight = 0.0  # no plain cross-entropy (paper: none)
teacher = _base_.teacher_model
teacher.backbone.out_indices = (0, 1, 2)

model = dict(
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor',
        num_classes=10,
        mean=[72.93],
        std=[90.02],
        to_rgb=False),
    architecture=dict(_scope_='mmpretrain', **student),
    teacher=dict(_scope_='mmpretrain', **teacher),
    # trained by configs/vanilla/preact-resnet29_1xb128_fashion-mnist.py
    teacher_ckpt='checkpoints/preact-resnet29_1xb128_fashion-mnist.pth',
    # written by phase 2 (hksanc-adaptation_preact-resnet29_1xb128_...)
    teacher_attention_ckpt=('work_dirs/hksanc-adaptation_preact-resnet29_'
                            '1xb128_fashion-mnist/epoch_1.pth'),
    discriminator=dict(num_classes=10),
    distiller=dict(
        connectors=dict(
            student_attention=dict(
                stage_channels=(8, 16, 32),
                attention_channels=(64, 128, 256),
                descriptor_channels=128),
            teacher_attention=dict(
                stage_channels=(64, 128, 256), descriptor_channels=128))))

optim_wrapper = dict(
    _delete_=True,
    constructor='HKSANCOptimWrapperConstructor',
    # D: Adam 1e-4, betas (0.5, 0.999) (GAN practice; the paper gives none)
    discriminator=dict(
        optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999))),
    # The student (and its connectors): the protocol's SGD.
    student=dict(
        optimizer=dict(
            type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4,
            nesterov=True),
        # Weight decay of the attention score convs (the student's decay
        # pulls a score conv towards a uniform map): 1.0 keeps the
        # student's decay, 0.0 exempts them.
        paramwise_cfg=dict(custom_keys=dict(score=dict(decay_mult=1.0)))))
param_scheduler = dict(
    _delete_=True,
    student=[
        dict(
            type='OneCycleLR',
            eta_max=0.1,
            total_steps=60,  # = train_cfg.max_epochs
            by_epoch=True,
            convert_to_iter_based=True)
    ],
    discriminator=[])
