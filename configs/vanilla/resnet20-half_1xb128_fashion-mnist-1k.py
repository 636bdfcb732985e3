# Vanilla student of the Fashion-MNIST protocol: ResNet-20 at half width
# trained with cross-entropy on 1,000 labelled images (the baseline every
# distillation method must beat).
_base_ = [
    '../_base_/models/resnet20-half_fashion-mnist.py',
    '../_base_/datasets/fashion_mnist-1k_bs128.py',
    '../_base_/schedules/fashion-mnist_60e.py',
    '../_base_/default_runtime.py',
]
default_scope = 'mmpretrain'
model = _base_.student_model
