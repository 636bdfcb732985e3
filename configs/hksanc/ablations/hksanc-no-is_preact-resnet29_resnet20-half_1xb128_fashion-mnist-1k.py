# HKSANC ablation: no intermediate supervision (lambda3 = 0). The attention
# part is removed altogether, not weighted 0: no connectors (estimators,
# channel transforms), no L_is, no teacher-attention checkpoint, so the step
# does not pay for work that cannot reach the student. What remains: L_b and
# the adversarial loss with D's category head.
_base_ = ['../hksanc_preact-resnet29_resnet20-half_1xb128_fashion-mnist-1k.py']
model = dict(
    teacher_attention_ckpt=None,
    teacher_connectors=(),
    distiller=dict(
        connectors=dict(_delete_=True),
        # keep L_b as the HKSANC config sets it
        distill_losses=dict(
            _delete_=True,
            loss_backbone=_base_.model.distiller.distill_losses.loss_backbone),
        loss_forward_mappings=dict(
            _delete_=True,
            loss_backbone=(
                _base_.model.distiller.loss_forward_mappings.loss_backbone))))
