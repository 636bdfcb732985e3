# HKSANC defaults (Li et al., AAAI 2020; KSANC, arXiv 1904.05100).
# Every choice the paper leaves open is a named option here, with its
# default; the README's "Open choices" table lists them with the reasons.
# A concrete config inherits this file and sets the networks, their stage
# widths, the recorders' sources and the checkpoints.
_base_ = ['./attention.py']

# --- Loss weights (paper: lambda1..3, mu; values not given) --------------
lambda_backbone = 1.0  # lambda1: logit L2, mean over classes (sum diverged)
lambda_adversarial = 1.0  # lambda2: student side of the adversarial loss
lambda_intermediate = 1.0  # lambda3: intermediate supervision
mu = 1e-3  # D's weight regulariser mu * (L1 + L2) (METHOD.md default)
category_weight = 1.0  # D's category head, in both sides (AC-GAN reading)
fake_as_real_weight = 0.0  # ANC's fake-as-real term on student logits (off)
student_ce_weight = 0.0  # optional plain CE of the student (paper: none)
backbone_mode = 'l2'  # L_b: 'l2' (paper's logit L2) or 'kd' (ours)
backbone_temperature = 4.0  # KD temperature of backbone_mode='kd'
# --- Discriminator and schedule of the two players -----------------------
adversarial_weight = 1.0  # D's real/fake game, both sides (0: category only)
discriminator_hidden = 256  # width of D's two hidden FC layers
discriminator_norm = 'batch'  # 'batch' (paper's figure), 'spectral', 'none'
discriminator_input = 'logits'  # 'logits' (paper), 'probabilities',
# or 'descriptors' (D's in_channels = total squeezed width)
discriminator_temperature = 1.0  # softmax temperature for 'probabilities'
discriminator_steps = 1  # D updates per iteration, before the student's
discriminator_interval = 1  # train D every this many iterations
adversarial_warmup_iters = 0  # student ignores L_adv for these iterations
discriminator_optimizer = dict(type='Adam', lr=1e-4, betas=(0.5, 0.999))
# --- Attention estimators (query_mode, attention_cfg: ./attention.py) ----
query_mode = _base_.query_mode
attention_cfg = _base_.attention_cfg
intermediate_cfg = dict(
    normalize=False,  # L2-normalise: per-sample 2 - 2cos, summed
    standardize=False,  # per-channel standardisation over the batch (ours)
    stage_weights=None,  # per-stage weights; None = 1 each
    reduction=None)  # None: 'sum' if normalize else 'mean' over channels
attention_map_loss = None  # e.g. dict(type='AttentionMapLoss',
# loss_weight=1.0): KL(M_T || M_S) per stage (ours; off)
intermediate_warmup_iters = 0  # student connectors on detached features
intermediate_ramp_iters = 0  # then lambda3 ramps 0 -> 1 over these
transform_cfg = dict(type='conv_bn')  # student channel transform
# --- Distributed training (used only with a launcher other than 'none') --
model_wrapper_cfg = dict(type='HKSANCDistributedDataParallel')

# L_b and its inputs, named so that configs without the attention part
# (ablations/hksanc-no-is, ablations/anc_logits) can keep only this term.
loss_backbone = dict(
    type='BackboneLogitLoss',
    loss_weight=lambda_backbone,
    mode=backbone_mode,
    temperature=backbone_temperature)
loss_backbone_mapping = dict(
    student_logits=dict(from_student=True, recorder='logits'),
    teacher_logits=dict(from_student=False, recorder='logits'))

model = dict(
    _scope_='mmrazor',
    type='HKSANCDistill',
    calculate_student_loss=student_ce_weight > 0,
    discriminator=dict(
        type='LogitDiscriminator',
        num_classes=None,  # set by the concrete config
        hidden_channels=discriminator_hidden,
        norm=discriminator_norm),
    discriminator_input=discriminator_input,
    discriminator_temperature=discriminator_temperature,
    attention_map_loss=attention_map_loss,
    intermediate_warmup_iters=intermediate_warmup_iters,
    intermediate_ramp_iters=intermediate_ramp_iters,
    adversarial_loss=dict(
        type='AdversarialDistillLoss',
        loss_weight=lambda_adversarial,
        adversarial_weight=adversarial_weight,
        category_weight=category_weight,
        regularization_weight=mu,
        fake_as_real_weight=fake_as_real_weight),
    discriminator_steps=discriminator_steps,
    discriminator_interval=discriminator_interval,
    adversarial_warmup_iters=adversarial_warmup_iters,
    teacher_connectors=('teacher_attention', ),
    distiller=dict(
        type='ConfigurableDistiller',
        # 'features': the stage tuple (plus the descriptor when the network
        # has mmhkd's GlobalDescriptorNeck: record 'neck'; stock models:
        # record 'backbone' and use descriptor_source='pool_last_stage').
        student_recorders=dict(
            features=dict(type='ModuleOutputs', source='neck'),
            logits=dict(type='ModuleOutputs', source='head.fc')),
        teacher_recorders=dict(
            features=dict(type='ModuleOutputs', source='neck'),
            logits=dict(type='ModuleOutputs', source='head.fc')),
        connectors=dict(
            student_attention=dict(
                type='HierarchicalAttentionConnector',
                descriptor_source='neck',
                query=query_mode,
                attention_cfg=attention_cfg,
                transform_cfg=transform_cfg),
            teacher_attention=dict(
                type='HierarchicalAttentionConnector',
                descriptor_source='neck',
                query=query_mode,
                attention_cfg=attention_cfg)),
        distill_losses=dict(
            loss_backbone=loss_backbone,
            loss_is=dict(
                type='IntermediateSupervisionLoss',
                loss_weight=lambda_intermediate,
                **intermediate_cfg)),
        loss_forward_mappings=dict(
            loss_backbone=loss_backbone_mapping,
            loss_is=dict(
                student_descriptors=dict(
                    from_student=True,
                    recorder='features',
                    connector='student_attention'),
                teacher_descriptors=dict(
                    from_student=False,
                    recorder='features',
                    connector='teacher_attention')))))

# The two optimizers (set in the concrete config, whose schedule base also
# defines optim_wrapper):
# optim_wrapper = dict(_delete_=True,
#     constructor='HKSANCOptimWrapperConstructor',
#     student=dict(optimizer=<SGD of the schedule>),
#     discriminator=dict(optimizer=discriminator_optimizer))
