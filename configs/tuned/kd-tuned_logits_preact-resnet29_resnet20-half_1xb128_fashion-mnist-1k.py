# KD with the setting that won its tuning trials (tools/benchmark/tune.py
# --trials kd: tau in {1, 2, 4, 8} x KD weight in {0.9, 0.5}, seed 0, on the
# validation split carved from the training images; docs/results/benchmark/
# tuning/tuning.md): trial 'tau4-kd0.5', i.e. T=4, 0.5 KD + 0.5 cross-entropy.
_base_ = ['../distill/kd/kd_logits_preact-resnet29_resnet20-half_'
          '1xb128_fashion-mnist-1k.py']
model = dict(
    architecture=dict(head=dict(loss=dict(loss_weight=0.5))),
    distiller=dict(distill_losses=dict(loss_kl=dict(tau=4, loss_weight=0.5))))
