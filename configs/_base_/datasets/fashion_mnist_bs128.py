# Fashion-MNIST (Debian package dataset-fashion-mnist), read in place from
# the package's folder; files elsewhere: set each loader's
# dataset.data_root (train_, val_ and test_dataloader).
# 28x28 grey images padded by 2 pixels on every side to 32x32 (centred) so
# CIFAR networks apply unchanged;
# CIFAR-style augmentation (random crop with 4-pixel padding, flip).
data_preprocessor = dict(
    type='ClsDataPreprocessor',
    num_classes=10,
    mean=[72.93],  # 0.2860 * 255
    std=[90.02],  # 0.3530 * 255
    to_rgb=False)

train_dataloader = dict(
    batch_size=128,
    num_workers=0,
    dataset=dict(
        _scope_='mmpretrain',  # built the same under mmrazor's scope
        type='FashionMNISTIdx',
        data_root='/usr/share/datasets/fashion-mnist',
        split='train',
        pipeline=[
            dict(type='CentrePad', size=(32, 32), pad_val=0),
            dict(type='RandomCrop', crop_size=32, padding=4),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            dict(type='PackInputs'),
        ]),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=500,
    num_workers=0,
    dataset=dict(
        _scope_='mmpretrain',  # built the same under mmrazor's scope
        type='FashionMNISTIdx',
        data_root='/usr/share/datasets/fashion-mnist',
        split='test',
        pipeline=[
            dict(type='CentrePad', size=(32, 32), pad_val=0),
            dict(type='PackInputs'),
        ]),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(_scope_='mmpretrain', type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
