# resnet20 on CIFAR-100, cross-entropy only, standard protocol (240 epochs,
# batch 64, SGD lr 0.05, x0.1 at 150/180/210).
# Vanilla student of the CIFAR-100 distillation benchmark (RepDistiller):
# the baseline every distillation method must beat.
_base_ = [
    '../_base_/models/cifar100_resnet20.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_bs64_240e.py',
    '../_base_/default_runtime.py',
]
default_scope = 'mmpretrain'
model = _base_.student_model
