# HKSANC phase 3 of 3: distillation (Li et al., AAAI 2020; KSANC, arXiv
# 1904.05100). Teacher: pre-activation bottleneck ResNet-29 (64/128/256,
# phase 1). Its attention estimators come from phase 2. Student: ResNet-20 at
# half width (8/16/32) on 1,000 labelled images, its stages mapped to the
# teacher's widths by 1x1 conv + BN channel transforms.
# Per iteration: one discriminator step (Adam), then one student step (SGD).
_base_ = [
    '../_base_/models/preact-resnet29_fashion-mnist.py',
    '../_base_/models/resnet20-half_fashion-mnist.py',
    '../_base_/datasets/fashion_mnist-1k_bs128.py',
    '../_base_/schedules/fashion-mnist_60e.py',
    '../_base_/default_runtime.py',
]
default_scope = 'mmrazor'
teacher_ckpt = 'checkpoints/preact-resnet29_1xb128_fashion-mnist.pth'
# Written by phase 2 (hksanc-adaptation_preact-resnet29_1xb128_fashion-mnist).
teacher_attention_ckpt = ('work_dirs/hksanc-adaptation_preact-resnet29_'
                          '1xb128_fashion-mnist/epoch_1.pth')

# --- Open choices of the method (see README, "Open choices") -------------
lambda_backbone = 1.0  # lambda1, logit L2 (mean over classes)
lambda_adversarial = 1.0  # lambda2, student side of the adversarial loss
lambda_intermediate = 1.0  # lambda3, intermediate supervision
mu = 1e-3  # discriminator weight regulariser, mu * (L1 + L2)
category_weight = 1.0  # weight of D's category head in both sides
fake_as_real_weight = 0.0  # ANC's fake-as-real term (off)
discriminator_hidden = 256
discriminator_steps = 1  # D updates per iteration
discriminator_interval = 1  # D trained every this many iterations
adversarial_warmup_iters = 0
query_mode = 'global'  # must match phase 2
attention_cfg = dict(act='relu', pool_source='fused', pooling='weighted_sum')
intermediate_cfg = dict(normalize=False, stage_weights=None, reduction='mean')
student_ce_weight = 0.0  # optional plain cross-entropy (paper: none)

student = _base_.student_model
student.backbone.out_indices = (0, 1, 2)
student.head.loss.loss_weight = student_ce_weight
teacher = _base_.teacher_model
teacher.backbone.out_indices = (0, 1, 2)

model = dict(
    _scope_='mmrazor',
    type='HKSANCDistill',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor',
        num_classes=10,
        mean=[72.93],
        std=[90.02],
        to_rgb=False),
    architecture=dict(_scope_='mmpretrain', **student),
    teacher=dict(_scope_='mmpretrain', **teacher),
    teacher_ckpt=teacher_ckpt,
    teacher_attention_ckpt=teacher_attention_ckpt,
    calculate_student_loss=student_ce_weight > 0,
    discriminator=dict(
        type='LogitDiscriminator',
        num_classes=10,
        hidden_channels=discriminator_hidden),
    adversarial_loss=dict(
        type='AdversarialDistillLoss',
        loss_weight=lambda_adversarial,
        category_weight=category_weight,
        regularization_weight=mu,
        fake_as_real_weight=fake_as_real_weight),
    discriminator_steps=discriminator_steps,
    discriminator_interval=discriminator_interval,
    adversarial_warmup_iters=adversarial_warmup_iters,
    teacher_connectors=('teacher_attention', ),
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            neck=dict(type='ModuleOutputs', source='neck'),
            logits=dict(type='ModuleOutputs', source='head.fc')),
        teacher_recorders=dict(
            neck=dict(type='ModuleOutputs', source='neck'),
            logits=dict(type='ModuleOutputs', source='head.fc')),
        connectors=dict(
            student_attention=dict(
                type='HierarchicalAttentionConnector',
                stage_channels=(8, 16, 32),
                attention_channels=(64, 128, 256),
                descriptor_channels=128,
                descriptor_source='neck',
                query=query_mode,
                attention_cfg=attention_cfg),
            teacher_attention=dict(
                type='HierarchicalAttentionConnector',
                stage_channels=(64, 128, 256),
                descriptor_channels=128,
                descriptor_source='neck',
                query=query_mode,
                attention_cfg=attention_cfg)),
        distill_losses=dict(
            loss_backbone=dict(
                type='BackboneLogitLoss', loss_weight=lambda_backbone),
            loss_is=dict(
                type='IntermediateSupervisionLoss',
                loss_weight=lambda_intermediate,
                **intermediate_cfg)),
        loss_forward_mappings=dict(
            loss_backbone=dict(
                student_logits=dict(from_student=True, recorder='logits'),
                teacher_logits=dict(from_student=False, recorder='logits')),
            loss_is=dict(
                student_descriptors=dict(
                    from_student=True,
                    recorder='neck',
                    connector='student_attention'),
                teacher_descriptors=dict(
                    from_student=False,
                    recorder='neck',
                    connector='teacher_attention')))))

optim_wrapper = dict(
    _delete_=True,
    constructor='HKSANCOptimWrapperConstructor',
    student=dict(
        optimizer=dict(
            type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4,
            nesterov=True)),
    discriminator=dict(
        optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999))))
param_scheduler = dict(
    _delete_=True,
    student=[
        dict(
            type='OneCycleLR',
            eta_max=0.1,
            total_steps=_base_.max_epochs,
            by_epoch=True,
            convert_to_iter_based=True)
    ],
    discriminator=[])
