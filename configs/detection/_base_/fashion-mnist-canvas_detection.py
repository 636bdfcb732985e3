# The Fashion-MNIST canvas set (docs/datasets.md), read by mmdet's own
# CocoDataset and CocoMetric. Build it once with
#   python tools/data/make_fashion_mnist_canvas.py
# 2,000 training canvases (from the training images), 500 test canvases
# (from the test images); 128 x 128, 1-4 objects, 10 classes. Another
# location: set the loaders' dataset.data_root and the evaluators' ann_file.
custom_imports = dict(
    # mmcv-lite has no compiled ops: mmhkd's stand-in serves nms (and
    # roi_align, deform_conv) so that mmdet imports (docs/compatibility.md)
    imports=['mmhkd.compat.mmcv_ops', 'mmhkd'],
    allow_failed_imports=False)
train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type='CocoDataset',
        data_root='data/fashion-mnist-canvas/',
        metainfo=dict(
            classes=('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
                     'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot')),
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='images/train/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=4),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations', with_bbox=True),
            # the canvases are 128 x 128 already: records scale_factor
            dict(type='Resize', scale=(128, 128), keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
            dict(type='PackDetInputs')
        ]))
val_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='CocoDataset',
        data_root='data/fashion-mnist-canvas/',
        metainfo=dict(
            classes=('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
                     'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot')),
        ann_file='annotations/instances_test.json',
        data_prefix=dict(img='images/test/'),
        test_mode=True,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(128, 128), keep_ratio=True),
            dict(type='LoadAnnotations', with_bbox=True),
            dict(
                type='PackDetInputs',
                meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                           'scale_factor'))
        ]))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='CocoMetric',
    ann_file='data/fashion-mnist-canvas/annotations/instances_test.json',
    metric='bbox',
    format_only=False)
test_evaluator = val_evaluator
