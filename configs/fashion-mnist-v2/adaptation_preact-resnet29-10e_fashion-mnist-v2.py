# v2 protocol, HKSANC phase 2: the attention estimators adapted on the
# frozen 10-epoch teacher (same settings as every HKSANC config).
_base_ = ['../hksanc/hksanc-adaptation_preact-resnet29_1xb128_'
          'fashion-mnist.py', './_protocol.py']
model = dict(teacher_ckpt=_base_.v2_teacher_ckpt)
