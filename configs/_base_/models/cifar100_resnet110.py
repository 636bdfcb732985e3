# CIFAR-100 teacher of the RepDistiller / mdistiller benchmark: resnet110
# (16/32/64 wide, 18 basic blocks per stage, 1.7 M params) with stock
# mmpretrain GAP + linear head.
teacher_model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='CifarResNet',
        depth=110,
        stage_channels=(16, 32, 64),
        # RepDistiller's CIFAR ResNets (all of them, not only the x4 ones)
        # use 1x1 conv + BN projection shortcuts wherever the shape changes;
        # the benchmark numbers were measured with those.
        shortcut='projection',
        in_channels=3,
        out_indices=(2, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
