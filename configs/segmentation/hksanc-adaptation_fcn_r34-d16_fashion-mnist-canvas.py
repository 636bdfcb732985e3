# HKSANC phase 2 for segmentation (docs/segmentation.md): the teacher FCN
# (phase 1: fcn_r34-d16_1xb16-12e_fashion-mnist-canvas.py) is frozen and the
# task-driven attention estimators of its four backbone stages learn,
# through a linear head on the squeezed descriptors, which foreground
# classes each canvas holds (multi-label presence from gt_sem_seg, binary
# cross-entropy, background and ignored pixels set no target; ours: the
# paper adapts on classification only). The distillation config loads the
# estimators from this run's last checkpoint and keeps them frozen.
_base_ = [
    './_base_/fcn_canvas.py',
    './_base_/fashion-mnist-canvas_segmentation.py',
    './_base_/canvas_runtime.py',
]
model = dict(
    _scope_='mmrazor',
    type='SegmentationAttentionAdaptation',
    architecture=dict(_scope_='mmseg', **_base_.teacher_model),
    data_preprocessor=dict(
        _scope_='mmseg', **_base_.teacher_model.data_preprocessor),
    # phase 1's last checkpoint
    teacher_ckpt=('work_dirs/fcn_r34-d16_1xb16-12e_fashion-mnist-canvas/'
                  'epoch_12.pth'),
    num_classes=10,  # foreground classes (the label maps' 1..10)
    background_index=0,  # sets no presence target
    ignore_index=255,  # sets no presence target
    feature_source='backbone',  # the four stages, as phase 3 records
    connector=dict(
        type='HierarchicalAttentionConnector',
        stage_channels=[64, 128, 256, 512],
        descriptor_channels=512,
        # The query of every stage: the last stage's global average pool.
        # The distillation's connectors must say the same.
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
