# CIFAR-10, batch 64 (the CIFAR-100 distillation benchmark's protocol; the
# loaders are in ./cifar_bs64.py). CIFAR10Local reads
# data_root/cifar-10-batches-py and never downloads it.
_base_ = ['./cifar_bs64.py']

data_preprocessor = dict(
    num_classes=10,
    mean=[125.307, 122.961, 113.8575],
    std=[51.5865, 50.847, 51.255])

train_dataloader = dict(
    dataset=dict(type='CIFAR10Local', data_root='data/cifar10'))
val_dataloader = dict(
    dataset=dict(type='CIFAR10Local', data_root='data/cifar10'))
test_dataloader = val_dataloader
