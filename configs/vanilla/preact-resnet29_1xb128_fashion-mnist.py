# Teacher for every Fashion-MNIST experiment: all 60,000 training images,
# 2 epochs, SGD with a one-cycle schedule (about 40 min on one CPU core).
_base_ = [
    '../_base_/models/preact-resnet29_fashion-mnist.py',
    '../_base_/datasets/fashion_mnist_bs128.py',
    '../_base_/default_runtime.py',
]
default_scope = 'mmpretrain'
model = _base_.teacher_model
optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True))
param_scheduler = dict(
    type='OneCycleLR',
    eta_max=0.1,
    total_steps=2,  # in epochs (converted to iterations), = max_epochs
    by_epoch=True,
    convert_to_iter_based=True)
train_cfg = dict(by_epoch=True, max_epochs=2, val_interval=1)
val_cfg = dict()
test_cfg = dict()
