# HKSANC phase 2 on COCO (docs/detection.md; for users with the data and
# GPUs, not run by this project): mmdet's RetinaNet R-50-FPN 1x from its
# model zoo is frozen and the task-driven attention estimators of its five
# FPN levels (256 wide) learn which classes each image holds. The
# distillation config loads them from this run's last checkpoint.
_base_ = [
    'mmdet::_base_/datasets/coco_detection.py',
    'mmdet::_base_/default_runtime.py'
]
custom_imports = dict(
    imports=['mmhkd.compat.mmcv_ops', 'mmhkd'], allow_failed_imports=False)
model = dict(
    _scope_='mmrazor',
    type='DetectionAttentionAdaptation',
    architecture=dict(
        cfg_path='mmdet::retinanet/retinanet_r50_fpn_1x_coco.py',
        pretrained=False),
    data_preprocessor=dict(
        type='mmdet.DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    teacher_ckpt=('https://download.openmmlab.com/mmdetection/v2.0/'
                  'retinanet/retinanet_r50_fpn_1x_coco/'
                  'retinanet_r50_fpn_1x_coco_20200130-c2398f9e.pth'),
    num_classes=80,
    feature_source='neck',
    connector=dict(
        type='HierarchicalAttentionConnector',
        stage_channels=[256] * 5,
        descriptor_channels=256,
        # 'pool_last_stage' (P7's average pool) or 'pool_all_stages'; the
        # distillation's connectors must say the same
        descriptor_source='pool_last_stage',
        query='global',
        attention_cfg=dict(
            act='relu', pool_source='fused', pooling='weighted_sum')))
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-3, weight_decay=0.0))
param_scheduler = dict(
    type='CosineAnnealingLR', by_epoch=True, T_max=1,
    convert_to_iter_based=True)
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1, val_interval=2)
val_cfg = None
val_dataloader = None
val_evaluator = None
test_cfg = None
test_dataloader = None
test_evaluator = None
