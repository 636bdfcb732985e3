# CIFAR-10, batch 64 (the CIFAR-100 distillation benchmark's protocol).
# Never downloaded: point data_root at your copy, e.g.
#   --cfg-options train_dataloader.dataset.data_root=/data/cifar \
#                 val_dataloader.dataset.data_root=/data/cifar
dataset_type = 'CIFAR10Local'
data_root = 'data/cifar10'

data_preprocessor = dict(
    type='ClsDataPreprocessor',
    num_classes=10,
    mean=[125.307, 122.961, 113.8575],
    std=[51.5865, 50.847, 51.255],
    to_rgb=False)

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    dataset=dict(
        _scope_='mmpretrain',  # built the same under mmrazor's scope
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=256,
    num_workers=2,
    dataset=dict(
        _scope_='mmpretrain',  # built the same under mmrazor's scope
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(_scope_='mmpretrain', type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
