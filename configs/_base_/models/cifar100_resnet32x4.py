# CIFAR-100 teacher of the RepDistiller / mdistiller benchmark: resnet32x4
# (stem 32, stages 64/128/256, 5 basic blocks per stage, 7.4 M params) with
# stock mmpretrain GAP + linear head.
teacher_model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='CifarResNet',
        depth=32,
        stage_channels=(64, 128, 256),
        stem_channels=32,
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
        in_channels=256,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
