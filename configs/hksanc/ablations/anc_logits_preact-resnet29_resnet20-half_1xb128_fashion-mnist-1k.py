# ANC-style adversarial baseline (Belagiannis et al., "Adversarial Network
# Compression", ECCV-W 2018), built from HKSANC's parts: logit L2 + a
# teacher/student discriminator on logits; no intermediate supervision (the
# attention part is removed, as in hksanc-no-is), no category head. ANC's
# fake-as-real term (student logits with dropout 0.5 labelled "teacher") is
# on, weighted like D's regulariser as in ANC.
_base_ = ['./hksanc-no-is_preact-resnet29_resnet20-half_1xb128_fashion-mnist-1k.py']
model = dict(
    adversarial_loss=dict(category_weight=0.0, fake_as_real_weight=1e-3),
    fake_as_real_dropout=0.5)
