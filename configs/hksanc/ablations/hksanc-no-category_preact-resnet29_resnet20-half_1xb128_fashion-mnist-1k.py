# HKSANC ablation: no category head in the adversarial game (category
# weight 0 on both sides): the discriminator only tells teacher from student.
_base_ = ['../hksanc_preact-resnet29_resnet20-half_1xb128_fashion-mnist-1k.py']
model = dict(adversarial_loss=dict(category_weight=0.0))
