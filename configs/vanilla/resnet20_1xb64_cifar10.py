# The HKSANC paper's student on CIFAR-10, trained alone with cross-entropy:
# ResNet-20 with the 128-d global-descriptor neck (the vanilla baseline of
# the paper's CIFAR-10 experiments). Schedule: the CIFAR-100 distillation
# benchmark's (240 epochs, batch 64, SGD lr 0.05, x0.1 at 150/180/210), so
# every CIFAR baseline here shares one schedule; the HKSANC paper's own
# CIFAR schedule (SGD 0.1, batch 128, 200 epochs, x0.1 at 100 and 150;
# docs/method.md, "Training schedule") is the one the HKSANC configs use.
_base_ = [
    '../_base_/models/cifar10_resnet20.py',
    '../_base_/datasets/cifar10_bs64.py',
    '../_base_/schedules/cifar100_bs64_240e.py',
    '../_base_/default_runtime.py',
]
default_scope = 'mmpretrain'
model = _base_.student_model
