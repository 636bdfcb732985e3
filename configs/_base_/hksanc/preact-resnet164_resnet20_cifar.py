# HKSANC phase 3 on the paper's CIFAR pair: the pre-activation bottleneck
# ResNet-164 teacher (stages 64/128/256) with the 128-d global-descriptor
# neck, and a ResNet-20 student (stages 16/32/64) whose stages are mapped to
# the teacher's widths by the channel transforms. The paper's CIFAR student
# schedule (200 epochs, SGD lr 0.1, momentum 0.9, wd 5e-4, x0.1 at 100 and
# 150, batch 128: docs/method.md), the HKSANC defaults
# (./hksanc_defaults.py) and the discriminator's optimizer. A concrete
# config adds the data set, the two networks, the student's descriptor and
# the checkpoints, and sets train_dataloader.batch_size=128.
_base_ = [
    '../schedules/cifar_bs128_200e.py',
    '../student_export.py',
    './hksanc_defaults.py',
]
default_scope = 'mmrazor'

model = dict(
    distiller=dict(
        connectors=dict(
            student_attention=dict(
                stage_channels=(16, 32, 64),
                attention_channels=(64, 128, 256)),
            teacher_attention=dict(
                stage_channels=(64, 128, 256), descriptor_channels=128))))

# Two optimizers: the schedule's SGD for the student (and its connectors),
# Adam 1e-4, betas (0.5, 0.999) for D (GAN practice; the paper gives none).
optim_wrapper = dict(
    _delete_=True,
    constructor='HKSANCOptimWrapperConstructor',
    student=dict(optimizer=_base_.optim_wrapper.optimizer),
    discriminator=dict(
        optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999))))
param_scheduler = dict(
    _delete_=True, student=[_base_.param_scheduler], discriminator=[])
