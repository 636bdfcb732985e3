# HKSANC phase 2 for the paper's literal reading
# (hksanc-paper_preact-resnet29_resnet20-half_1xb128_fashion-mnist-1k.py):
# the teacher's estimators with the attention of the paper's equations read
# literally, no nonlinearity between L + proj(g) and the 1x1 score and
# average pooling of M * (L + proj(g)). Phase 3 refuses estimators adapted
# under other settings, so the literal form needs its own adaptation run.
_base_ = ['./hksanc-adaptation_preact-resnet29_1xb128_fashion-mnist.py']
model = dict(connector=dict(attention_cfg=dict(act=None, pooling='mean')))
