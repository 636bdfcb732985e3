# Student of the Fashion-MNIST protocol: basic-block ResNet-20 at half width
# (8/16/32, identity shortcuts) with the paper's 128-d global descriptor.
student_model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='CifarResNet',
        depth=20,
        stage_channels=(8, 16, 32),
        in_channels=1,
        out_indices=(2, )),
    neck=dict(type='GlobalDescriptorNeck', in_channels=32, out_channels=128),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
