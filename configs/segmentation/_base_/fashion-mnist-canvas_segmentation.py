# The Fashion-MNIST canvas set (docs/datasets.md) as semantic segmentation,
# read by mmseg's own BaseSegDataset and IoUMetric. Build it once with
#   python tools/data/make_fashion_mnist_canvas.py
# 2,000 training canvases (from the training images), 500 test canvases
# (from the test images); 128 x 128 grey PNGs, label maps 0 = background,
# k = Fashion-MNIST label + 1 (11 classes, kept as they are:
# reduce_zero_label=False). Another location: set the loaders'
# dataset.data_root.
custom_imports = dict(
    # mmcv-lite has no compiled ops: mmhkd's stand-in lets mmseg import
    # (docs/compatibility.md)
    imports=['mmhkd.compat.mmcv_ops', 'mmhkd'],
    allow_failed_imports=False)
train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='BaseSegDataset',
        data_root='data/fashion-mnist-canvas/',
        metainfo=dict(
            classes=('background', 'T-shirt/top', 'Trouser', 'Pullover',
                     'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag',
                     'Ankle boot')),
        data_prefix=dict(
            img_path='images/train', seg_map_path='seg_maps/train'),
        img_suffix='.png',
        seg_map_suffix='.png',
        reduce_zero_label=False,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations'),
            dict(type='RandomFlip', prob=0.5),
            dict(type='PackSegInputs')
        ]))
val_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='BaseSegDataset',
        data_root='data/fashion-mnist-canvas/',
        metainfo=dict(
            classes=('background', 'T-shirt/top', 'Trouser', 'Pullover',
                     'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag',
                     'Ankle boot')),
        data_prefix=dict(
            img_path='images/test', seg_map_path='seg_maps/test'),
        img_suffix='.png',
        seg_map_suffix='.png',
        reduce_zero_label=False,
        test_mode=True,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations'),
            dict(type='PackSegInputs')
        ]))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
