# CIFAR-100 student of the RepDistiller / mdistiller benchmark: resnet8x4
# (stem 32, stages 64/128/256, 1 basic block per stage, 1.2 M params) with
# stock mmpretrain GAP + linear head.
student_model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='CifarResNet',
        depth=8,
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
