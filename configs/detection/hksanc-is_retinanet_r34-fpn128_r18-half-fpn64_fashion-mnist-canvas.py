# HKSANC's intermediate supervision for detection, phase 3
# (docs/detection.md), with MMRazor's own FpnTeacherDistill (the teacher
# runs backbone and neck only). Each network's five FPN levels are squeezed
# by task-driven attention estimators queried by the image's global
# descriptor (the top level's average pool); the student matches the
# teacher's squeezed descriptors (L_is, summed over levels) and keeps its
# own detection losses. The teacher's estimators come from phase 2 and stay
# frozen (the connector's adapted_ckpt). No discriminator: HKSANC's
# adversary judges one logit vector per image against one class label, and
# a detector's logits are dense per anchor without an image label.
_base_ = [
    './_base_/retinanet_canvas.py',
    './_base_/fashion-mnist-canvas_detection.py',
    './_base_/canvas_student_schedule_12e.py',
    'mmdet::_base_/default_runtime.py',
]
model = dict(
    _scope_='mmrazor',
    type='FpnTeacherDistill',
    architecture=dict(_scope_='mmdet', **_base_.student_model),
    teacher=dict(_scope_='mmdet', **_base_.teacher_model),
    teacher_ckpt=('work_dirs/retinanet_r34-fpn128_1xb16-12e_'
                  'fashion-mnist-canvas/epoch_12.pth'),
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            fpn=dict(type='ModuleOutputs', source='neck')),
        teacher_recorders=dict(
            fpn=dict(type='ModuleOutputs', source='neck')),
        connectors=dict(
            # the student's levels (64 wide) go through 1x1 conv + BN to the
            # teacher's 128 before their estimators
            student_attention=dict(
                type='HierarchicalAttentionConnector',
                stage_channels=[64] * 5,
                attention_channels=[128] * 5,
                descriptor_channels=64,
                # 'pool_last_stage' (top level) or 'pool_all_stages'; the
                # same on both connectors and in phase 2
                descriptor_source='pool_last_stage',
                query='global',
                attention_cfg=dict(
                    act='relu', pool_source='fused',
                    pooling='weighted_sum'),
                transform_cfg=dict(type='conv_bn')),
            teacher_attention=dict(
                type='HierarchicalAttentionConnector',
                stage_channels=[128] * 5,
                descriptor_channels=128,
                descriptor_source='pool_last_stage',
                query='global',
                attention_cfg=dict(
                    act='relu', pool_source='fused',
                    pooling='weighted_sum'),
                # phase 2's checkpoint: loaded strictly, frozen
                adapted_ckpt=('work_dirs/hksanc-adaptation_retinanet_r34-'
                              'fpn128_fashion-mnist-canvas/epoch_2.pth'))),
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
                    recorder='fpn',
                    connector='student_attention'),
                teacher_descriptors=dict(
                    from_student=False,
                    recorder='fpn',
                    connector='teacher_attention')))))
find_unused_parameters = True
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
