# HKSANC's intermediate supervision on COCO (docs/detection.md; for users
# with the data and GPUs, not run by this project): teacher mmdet's
# RetinaNet R-50-FPN 1x (model zoo), student RetinaNet R-18-FPN (ImageNet
# initialisation), MMRazor's FpnTeacherDistill, as MMRazor's own CWD
# RetinaNet config. Both FPNs are 256 wide, so the student's levels go to
# their estimators as they are. The teacher's estimators come from
# hksanc-adaptation_retinanet_r50-fpn_1x_coco.py and stay frozen. No
# discriminator (docs/detection.md says why).
_base_ = [
    'mmdet::_base_/datasets/coco_detection.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    'mmdet::_base_/default_runtime.py'
]
custom_imports = dict(
    imports=['mmhkd.compat.mmcv_ops', 'mmhkd'], allow_failed_imports=False)
model = dict(
    _scope_='mmrazor',
    type='FpnTeacherDistill',
    architecture=dict(
        cfg_path='mmdet::retinanet/retinanet_r18_fpn_1x_coco.py',
        pretrained=False),
    teacher=dict(
        cfg_path='mmdet::retinanet/retinanet_r50_fpn_1x_coco.py',
        pretrained=False),
    teacher_ckpt=('https://download.openmmlab.com/mmdetection/v2.0/'
                  'retinanet/retinanet_r50_fpn_1x_coco/'
                  'retinanet_r50_fpn_1x_coco_20200130-c2398f9e.pth'),
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            fpn=dict(type='ModuleOutputs', source='neck')),
        teacher_recorders=dict(
            fpn=dict(type='ModuleOutputs', source='neck')),
        connectors=dict(
            student_attention=dict(
                type='HierarchicalAttentionConnector',
                stage_channels=[256] * 5,
                descriptor_channels=256,
                descriptor_source='pool_last_stage',
                query='global',
                attention_cfg=dict(
                    act='relu', pool_source='fused',
                    pooling='weighted_sum')),
            teacher_attention=dict(
                type='HierarchicalAttentionConnector',
                stage_channels=[256] * 5,
                descriptor_channels=256,
                descriptor_source='pool_last_stage',
                query='global',
                attention_cfg=dict(
                    act='relu', pool_source='fused',
                    pooling='weighted_sum'),
                adapted_ckpt=('work_dirs/hksanc-adaptation_retinanet_r50-'
                              'fpn_1x_coco/epoch_1.pth'))),
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
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001))
find_unused_parameters = True
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
