# HKSANC phase 2 for detection (docs/detection.md): the teacher RetinaNet
# (phase 1: retinanet_r34-fpn128_1xb16-12e_fashion-mnist-canvas.py) is
# frozen and the task-driven attention estimators of its five FPN levels
# learn, through a linear head on the squeezed descriptors, which classes
# each image holds (multi-label presence, binary cross-entropy; ours: the
# paper adapts on classification only). The distillation config loads the
# estimators from this run's last checkpoint and keeps them frozen.
_base_ = [
    './_base_/retinanet_canvas.py',
    './_base_/fashion-mnist-canvas_detection.py',
    'mmdet::_base_/default_runtime.py',
]
model = dict(
    _scope_='mmrazor',
    type='DetectionAttentionAdaptation',
    architecture=dict(_scope_='mmdet', **_base_.teacher_model),
    data_preprocessor=dict(
        _scope_='mmdet', **_base_.teacher_model.data_preprocessor),
    # phase 1's last checkpoint
    teacher_ckpt=('work_dirs/retinanet_r34-fpn128_1xb16-12e_'
                  'fashion-mnist-canvas/epoch_12.pth'),
    num_classes=10,
    feature_source='neck',  # the FPN levels (extract_feat)
    connector=dict(
        type='HierarchicalAttentionConnector',
        stage_channels=[128] * 5,
        descriptor_channels=128,
        # The query of every level: 'pool_last_stage' (the top level's
        # global average pool) or 'pool_all_stages' (the mean of every
        # level's). The distillation's connectors must say the same.
        descriptor_source='pool_last_stage',
        query='global',
        attention_cfg=dict(
            act='relu', pool_source='fused', pooling='weighted_sum')))
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-3, weight_decay=0.0))
param_scheduler = dict(
    type='CosineAnnealingLR', by_epoch=True, T_max=2,
    convert_to_iter_based=True)
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=2, val_interval=3)
val_cfg = None
val_dataloader = None
val_evaluator = None
test_cfg = None
test_dataloader = None
test_evaluator = None
default_hooks = dict(logger=dict(interval=25))
