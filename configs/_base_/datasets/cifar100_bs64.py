# CIFAR-100, batch 64 (the CIFAR-100 distillation benchmark's protocol; the
# loaders are in ./cifar_bs64.py). CIFAR100Local reads
# data_root/cifar-100-python and never downloads it.
_base_ = ['./cifar_bs64.py']

data_preprocessor = dict(
    num_classes=100,
    mean=[129.304, 124.070, 112.434],
    std=[68.170, 65.392, 70.418])

train_dataloader = dict(
    dataset=dict(type='CIFAR100Local', data_root='data/cifar100'))
val_dataloader = dict(
    dataset=dict(type='CIFAR100Local', data_root='data/cifar100'))
test_dataloader = val_dataloader
