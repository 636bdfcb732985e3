# Teacher of the Fashion-MNIST protocol: pre-activation bottleneck ResNet-29
# with the paper's 64/128/256 stage widths and the 128-d global descriptor.
teacher_model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='PreActBottleneckResNet',
        depth=29,
        base_channels=16,
        in_channels=1,
        out_indices=(2, )),
    neck=dict(type='GlobalDescriptorNeck', in_channels=256, out_channels=128),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
