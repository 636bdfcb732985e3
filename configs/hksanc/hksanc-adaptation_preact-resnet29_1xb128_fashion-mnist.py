# HKSANC phase 2 of 3 on Fashion-MNIST: teacher adaptation
# (../_base_/hksanc/adaptation.py). Teacher: the protocol's pre-activation
# bottleneck ResNet-29 (stages 64/128/256) with the 128-d global-descriptor
# neck, frozen; its estimators are trained on 20,000 of the 60,000 training
# images. The distillation config
# hksanc_preact-resnet29_resnet20-half_1xb128_fashion-mnist-1k.py loads
# `connector.*` from this run's work_dirs/<this config>/epoch_1.pth.
_base_ = [
    '../_base_/models/preact-resnet29_fashion-mnist.py',
    '../_base_/datasets/fashion_mnist_bs128.py',
    '../_base_/hksanc/adaptation.py',
]

teacher = _base_.teacher_model
teacher.backbone.out_indices = (0, 1, 2)  # every stage feeds the connector
model = dict(
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor',
        num_classes=10,
        mean=[72.93],
        std=[90.02],
        to_rgb=False),
    architecture=dict(_scope_='mmpretrain', **teacher),
    # trained by configs/vanilla/preact-resnet29_1xb128_fashion-mnist.py
    teacher_ckpt='checkpoints/preact-resnet29_1xb128_fashion-mnist.pth',
    num_classes=10,
    connector=dict(stage_channels=(64, 128, 256), descriptor_channels=128))

# 2,000 images per class: 20,000 of the 60,000 training images
train_dataloader = dict(dataset=dict(num_per_class=2000, subset_seed=0))
