# CIFAR-10 / CIFAR-100 loaders at batch 64 (the CIFAR-100 distillation
# benchmark's protocol): random crop with 4-pixel padding and horizontal flip
# for training, top-1/top-5 on the 10,000 test images. cifar10_bs64.py and
# cifar100_bs64.py add the data set type, its folder and its statistics.
# Never downloaded: point data_root at your copy, e.g.
#   --cfg-options train_dataloader.dataset.data_root=/data/cifar \
#                 val_dataloader.dataset.data_root=/data/cifar \
#                 test_dataloader.dataset.data_root=/data/cifar
data_preprocessor = dict(type='ClsDataPreprocessor', to_rgb=False)

train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    dataset=dict(
        _scope_='mmpretrain',  # built the same under mmrazor's scope
        split='train',
        pipeline=[
            dict(type='RandomCrop', crop_size=32, padding=4),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            dict(type='PackInputs'),
        ]),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=256,
    num_workers=2,
    dataset=dict(
        _scope_='mmpretrain',  # built the same under mmrazor's scope
        split='test',
        pipeline=[dict(type='PackInputs')]),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(_scope_='mmpretrain', type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
