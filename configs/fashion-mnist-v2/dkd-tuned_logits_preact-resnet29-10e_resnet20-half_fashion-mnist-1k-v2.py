# v2 protocol: DKD with the v2 tuning's winner (tools/benchmark/tune_v2.py
# --trials dkd on the validation split; docs/results/benchmark/v2/tuning/
# tuning.md): trial 'tau4-beta4', T=4, beta=4 (alpha=1 and the student's
# cross-entropy as in the defaults, dkd_logits_..._v2.py).
_base_ = ['./dkd_logits_preact-resnet29-10e_resnet20-half_fashion-mnist-1k-v2.py']
model = dict(distiller=dict(distill_losses=dict(loss_dkd=dict(tau=4, beta=4))))
