# MMRazor's channel-wise distillation (CWD, Shu et al., ICCV 2021) on the
# canvas segmentation benchmark (docs/segmentation.md), as MMRazor's own
# mmseg CWD config (cwd_logits_pspnet_r101-d16_pspnet_r18-d16):
# SingleTeacherDistill, CWD on the decode head's logits
# (decode_head.conv_seg, 11 channels in both networks, so no connector),
# tau 1, weight 5. The baseline that HKSANC's intermediate supervision is
# compared with.
_base_ = [
    './_base_/fcn_canvas.py',
    './_base_/fashion-mnist-canvas_segmentation.py',
    './_base_/canvas_schedule_12e.py',
    './_base_/canvas_runtime.py',
]
model = dict(
    _scope_='mmrazor',
    type='SingleTeacherDistill',
    architecture=dict(_scope_='mmseg', **_base_.student_model),
    teacher=dict(_scope_='mmseg', **_base_.teacher_model),
    teacher_ckpt=('work_dirs/fcn_r34-d16_1xb16-12e_fashion-mnist-canvas/'
                  'epoch_12.pth'),
    distiller=dict(
        type='ConfigurableDistiller',
        distill_losses=dict(
            loss_cwd=dict(type='ChannelWiseDivergence', tau=1,
                          loss_weight=5)),
        student_recorders=dict(
            logits=dict(type='ModuleOutputs',
                        source='decode_head.conv_seg')),
        teacher_recorders=dict(
            logits=dict(type='ModuleOutputs',
                        source='decode_head.conv_seg')),
        loss_forward_mappings=dict(
            loss_cwd=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(from_student=False, recorder='logits')))))
find_unused_parameters = True
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
