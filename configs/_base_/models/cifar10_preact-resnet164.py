# CIFAR-10 teacher of the HKSANC paper's framework figure: pre-activation
# bottleneck ResNet-164 (He et al., ECCV 2016; 18 bottlenecks per stage,
# stage outputs 64/128/256 at 32/16/8, 1.7 M params) followed by the
# paper's global-descriptor neck (1x1 channel transform 256 -> 128 + GAP,
# the 128-d vector g^b that feeds the classifier).
teacher_model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='PreActBottleneckResNet',
        depth=164,
        base_channels=16,
        in_channels=3,
        out_indices=(2, )),
    neck=dict(type='GlobalDescriptorNeck', in_channels=256, out_channels=128),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
