# The canvas benchmark's detectors (docs/detection.md): mmdet's RetinaNet
# for the 128 x 128 Fashion-MNIST canvases, trained from scratch (no
# ImageNet weights on this machine), with smaller widths. teacher_model:
# ResNet-34, FPN and head 128 wide; student_model: ResNet-18 at half width
# (32/64/128/256), FPN and head 64 wide. Anchors 32-512 px at strides
# 8-128 (mmdet's defaults) cover the 28-56 px objects on P3/P4.
teacher_model = dict(
    type='RetinaNet',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        # mean and std of the 2,000 training canvases (grey images read
        # as 3 equal channels)
        mean=[18.78, 18.78, 18.78],
        std=[54.63, 54.63, 54.63],
        bgr_to_rgb=False,
        pad_size_divisor=32),
    backbone=dict(
        type='ResNet',
        depth=34,
        base_channels=64,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=None),
    neck=dict(
        type='FPN',
        in_channels=[64, 128, 256, 512],
        out_channels=128,
        start_level=1,
        add_extra_convs='on_input',
        num_outs=5),
    bbox_head=dict(
        type='RetinaHead',
        num_classes=10,
        in_channels=128,
        stacked_convs=2,
        feat_channels=128,
        anchor_generator=dict(
            type='AnchorGenerator',
            octave_base_scale=4,
            scales_per_octave=3,
            ratios=[0.5, 1.0, 2.0],
            strides=[8, 16, 32, 64, 128]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[.0, .0, .0, .0],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(
            type='FocalLoss',
            use_sigmoid=True,
            gamma=2.0,
            alpha=0.25,
            loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    train_cfg=dict(
        assigner=dict(
            type='MaxIoUAssigner',
            pos_iou_thr=0.5,
            neg_iou_thr=0.4,
            min_pos_iou=0,
            ignore_iof_thr=-1),
        sampler=dict(type='PseudoSampler'),
        allowed_border=-1,
        pos_weight=-1,
        debug=False),
    test_cfg=dict(
        nms_pre=1000,
        min_bbox_size=0,
        score_thr=0.05,
        nms=dict(type='nms', iou_threshold=0.5),
        max_per_img=100))
student_model = dict(
    teacher_model,
    backbone=dict(teacher_model['backbone'], depth=18, base_channels=32),
    neck=dict(
        teacher_model['neck'], in_channels=[32, 64, 128, 256],
        out_channels=64),
    bbox_head=dict(teacher_model['bbox_head'], in_channels=64,
                   feat_channels=64))
