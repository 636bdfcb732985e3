# HKSANC ablation: no adversarial (teacher/student) game. The real/fake term
# is removed on both sides (adversarial_weight = 0); the category term, the
# student's only label signal, stays, so this ablation changes one thing.
# (The v1 benchmark's row of this name set lambda2 = 0, which also removed
# the category term; see docs/benchmark.md.)
_base_ = ['../hksanc_preact-resnet29_resnet20-half_1xb128_fashion-mnist-1k.py']
model = dict(adversarial_loss=dict(adversarial_weight=0.0))
