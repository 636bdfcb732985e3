# The canvas benchmark's segmenters (docs/segmentation.md): mmseg's FCN
# (EncoderDecoder, ResNetV1c backbone dilated to output stride 16, as
# mmseg's "-d16" models) for the 128 x 128 Fashion-MNIST canvases, trained
# from scratch (no ImageNet weights on this machine), with smaller head
# widths for CPU. teacher_model: ResNet-34 (stages 64/128/256/512 wide),
# FCN head 64 wide with one conv. student_model: ResNet-18 at half width
# (stem and stages 32/64/128/256), the same head on its 256-wide last
# stage. 11 classes: background and the 10 Fashion-MNIST classes, the
# background down-weighted in the cross-entropy. No auxiliary head.
teacher_model = dict(
    type='EncoderDecoder',
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        # mean and std of the 2,000 training canvases (grey images read
        # as 3 equal channels)
        mean=[18.78, 18.78, 18.78],
        std=[54.63, 54.63, 54.63],
        bgr_to_rgb=False,
        pad_val=0,
        seg_pad_val=255,
        size=(128, 128)),
    backbone=dict(
        type='ResNetV1c',
        depth=34,
        stem_channels=64,
        base_channels=64,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        # output stride 16 (8 x 8 maps on a canvas): at stride 8 a
        # training step of the teacher cost 1.8x as much on this machine
        dilations=(1, 1, 1, 2),
        strides=(1, 2, 2, 1),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        contract_dilation=True),
    decode_head=dict(
        type='FCNHead',
        in_channels=512,
        in_index=3,
        channels=64,
        num_convs=1,
        concat_input=True,
        dropout_ratio=0.1,
        num_classes=11,
        norm_cfg=dict(type='BN', requires_grad=True),
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            loss_weight=1.0,
            # background is ~88 % of a canvas's pixels: weighted 0.1, the
            # 10 garment classes 1.0 (unweighted, the FCN labelled almost
            # everything background; docs/segmentation.md)
            class_weight=[0.1] + [1.0] * 10)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
student_model = dict(
    teacher_model,
    backbone=dict(
        teacher_model['backbone'], depth=18, stem_channels=32,
        base_channels=32),
    decode_head=dict(teacher_model['decode_head'], in_channels=256))
