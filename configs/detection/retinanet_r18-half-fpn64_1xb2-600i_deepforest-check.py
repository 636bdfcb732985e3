# End-to-end check on real photographs (docs/detection.md): the canvas
# student RetinaNet (ResNet-18 at half width, FPN 64) with one class, on
# DeepForest's three annotated aerial images (MIT; 914 tree boxes, median
# width 39 px, about the canvas objects' size). Build the data with
#   python tools/data/fetch_deepforest_data.py
# There is no held-out image: training (384 x 384 random crops) and
# evaluation (whole images at their own resolution) read the same three
# images, so the mAP says that the pipeline learns, not how well a detector
# generalises.
_base_ = [
    './_base_/retinanet_canvas.py',
    './_base_/canvas_schedule_12e.py',
    'mmdet::_base_/default_runtime.py',
]
custom_imports = dict(
    imports=['mmhkd.compat.mmcv_ops', 'mmhkd'], allow_failed_imports=False)
model = dict(
    _base_.student_model,
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    bbox_head=dict(_base_.student_model.bbox_head, num_classes=1))
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='CocoDataset',
        data_root='data/deepforest/',
        metainfo=dict(classes=('Tree', )),
        ann_file='annotations/instances.json',
        data_prefix=dict(img='images/'),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations', with_bbox=True),
            dict(type='RandomCrop', crop_size=(384, 384),
                 allow_negative_crop=False),
            dict(type='RandomFlip', prob=0.5, direction=['horizontal',
                                                         'vertical']),
            dict(type='PackDetInputs')
        ]))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='CocoDataset',
        data_root='data/deepforest/',
        metainfo=dict(classes=('Tree', )),
        ann_file='annotations/instances.json',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale_factor=1.0),  # records scale_factor
            dict(type='LoadAnnotations', with_bbox=True),
            dict(
                type='PackDetInputs',
                meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                           'scale_factor'))
        ]))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='CocoMetric',
    ann_file='data/deepforest/annotations/instances.json',
    metric='bbox',
    # up to 574 trees an image: COCO's default of 100 detections would cap
    # the recall
    proposal_nums=(100, 300, 1000),
    format_only=False)
test_evaluator = val_evaluator
# iteration-based: 3 images make no useful epoch
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=600,
                 val_interval=600)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
         end=100),
    dict(type='MultiStepLR', begin=0, end=600, by_epoch=False,
         milestones=[400, 550], gamma=0.1)
]
default_hooks = dict(
    logger=dict(interval=25),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=600))
log_processor = dict(by_epoch=False)
