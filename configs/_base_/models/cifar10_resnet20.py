# CIFAR-10 student of the HKSANC paper: ResNet-20 (He et al. 2016; 16/32/64
# wide, parameter-free identity shortcuts as in the original CIFAR nets)
# followed by the paper's global-descriptor neck (1x1 channel transform
# 64 -> 128 + GAP; the 128-d descriptor feeds the classifier).
student_model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='CifarResNet',
        depth=20,
        stage_channels=(16, 32, 64),
        shortcut='identity',
        in_channels=3,
        out_indices=(2, )),
    neck=dict(type='GlobalDescriptorNeck', in_channels=64, out_channels=128),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
