# HKSANC ablation: no adversarial term for the student (lambda2 = 0). The
# discriminator is still trained and logged, so its accuracies show how well
# it separates teacher and student logits when nobody fools it.
_base_ = ['../hksanc_preact-resnet29_resnet20-half_1xb128_fashion-mnist-1k.py']
model = dict(adversarial_loss=dict(loss_weight=0.0))
