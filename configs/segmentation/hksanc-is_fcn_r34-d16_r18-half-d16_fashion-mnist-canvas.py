# HKSANC's intermediate supervision for segmentation, phase 3
# (docs/segmentation.md), with MMRazor's own SingleTeacherDistill. Each
# network's four backbone stages are squeezed by task-driven attention
# estimators queried by the image's global descriptor (the last stage's
# average pool); the student matches the teacher's squeezed descriptors
# (L_is, summed over stages) and keeps its own segmentation loss. The
# teacher's estimators come from phase 2 and stay frozen (the connector's
# adapted_ckpt). No discriminator: HKSANC's adversary judges one logit
# vector per image against one class label, and a segmenter's logits are
# dense, one vector per pixel, without an image label.
_base_ = [
    './_base_/fcn_canvas.py',
    './_base_/fashion-mnist-canvas_segmentation.py',
    './_base_/canvas_schedule_12e.py',
    './_base_/canvas_runtime.py',
]
model = dict(
    _scope_='mmrazor',
    type='SingleTeacherDistill',
    architecture=dict(_scope_='mmseg', **_base_.student_model),
    teacher=dict(_scope_='mmseg', **_base_.teacher_model),
    teacher_ckpt=('work_dirs/fcn_r34-d16_1xb16-12e_fashion-mnist-canvas/'
                  'epoch_12.pth'),
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            stages=dict(type='ModuleOutputs', source='backbone')),
        teacher_recorders=dict(
            stages=dict(type='ModuleOutputs', source='backbone')),
        connectors=dict(
            # the student's stages (32/64/128/256 wide) go through 1x1
            # conv + BN to the teacher's widths before their estimators
            student_attention=dict(
                type='HierarchicalAttentionConnector',
                stage_channels=[32, 64, 128, 256],
                attention_channels=[64, 128, 256, 512],
                descriptor_channels=256,
                # the last stage's average pool; the same on both
                # connectors and in phase 2
                descriptor_source='pool_last_stage',
                query='global',
                attention_cfg=dict(
                    act='relu', pool_source='fused',
                    pooling='weighted_sum'),
                transform_cfg=dict(type='conv_bn')),
            teacher_attention=dict(
                type='HierarchicalAttentionConnector',
                stage_channels=[64, 128, 256, 512],
                descriptor_channels=512,
                descriptor_source='pool_last_stage',
                query='global',
                attention_cfg=dict(
                    act='relu', pool_source='fused',
                    pooling='weighted_sum'),
                # phase 2's checkpoint: loaded strictly, frozen
                adapted_ckpt=('work_dirs/hksanc-adaptation_fcn_r34-d16_'
                              'fashion-mnist-canvas/epoch_2.pth'))),
        distill_losses=dict(
            loss_is=dict(
                type='IntermediateSupervisionLoss',
                loss_weight=1.0,  # lambda3
                normalize=False,
                standardize=False)),
        loss_forward_mappings=dict(
            loss_is=dict(
                student_descriptors=dict(
                    from_student=True,
                    recorder='stages',
                    connector='student_attention'),
                teacher_descriptors=dict(
                    from_student=False,
                    recorder='stages',
                    connector='teacher_attention')))))
find_unused_parameters = True
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
