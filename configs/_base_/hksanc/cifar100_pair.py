# HKSANC phase 3 on the CIFAR-100 distillation benchmark's pairs of stock
# mmpretrain classifiers (GAP neck + linear head; the RepDistiller /
# mdistiller pairs): the benchmark's data and schedule (240 epochs, batch
# 64, SGD lr 0.05, momentum 0.9, wd 5e-4, x0.1 at 150, 180 and 210), the
# HKSANC defaults (./hksanc_defaults.py) and the discriminator's optimizer.
# Each network records its backbone's stage tuple and its connector pools
# the last stage into the global descriptor (what the GAP neck feeds the
# classifier). A concrete config adds the two networks, their stage widths
# and the checkpoints.
_base_ = [
    '../datasets/cifar100_bs64.py',
    '../schedules/cifar100_bs64_240e.py',
    '../student_export.py',
    './hksanc_defaults.py',
]
default_scope = 'mmrazor'

model = dict(
    data_preprocessor=dict(
        _base_.data_preprocessor, type='mmpretrain.ClsDataPreprocessor'),
    discriminator=dict(num_classes=100),
    distiller=dict(
        # Stock models: record the backbones' stages (no descriptor neck).
        student_recorders=dict(
            features=dict(type='ModuleOutputs', source='backbone')),
        teacher_recorders=dict(
            features=dict(type='ModuleOutputs', source='backbone')),
        connectors=dict(
            student_attention=dict(descriptor_source='pool_last_stage'),
            teacher_attention=dict(descriptor_source='pool_last_stage'))))

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
