# CIFAR-100 student of the RepDistiller / mdistiller benchmark: resnet20
# (16/32/64 wide, 3 basic blocks per stage, 0.28 M params) with stock
# mmpretrain GAP + linear head.
student_model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='CifarResNet',
        depth=20,
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
