# HKSANC ablation: no intermediate supervision (lambda3 = 0). The attention
# connectors still run (their cost stays), only L_is leaves the student loss.
_base_ = ['../hksanc_preact-resnet29_resnet20-half_1xb128_fashion-mnist-1k.py']
model = dict(
    distiller=dict(distill_losses=dict(loss_is=dict(loss_weight=0.0))))
