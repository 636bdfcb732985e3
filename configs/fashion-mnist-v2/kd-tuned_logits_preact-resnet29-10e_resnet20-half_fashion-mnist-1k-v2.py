# v2 protocol: KD with the v2 tuning's winner (tools/benchmark/tune_v2.py
# --trials kd on the validation split; docs/results/benchmark/v2/tuning/
# tuning.md): trial 'tau4-kd0.9', T=4, 0.9 KD + 0.1 cross-entropy. (Until
# the v2 tuning: the v1 winner, 0.5 KD + 0.5 CE; those records are in
# docs/results/benchmark/v2/before-tuning/.)
_base_ = ['../tuned/kd-tuned_logits_preact-resnet29_resnet20-half_1xb128_fashion-mnist-1k.py', './_protocol.py']
model = dict(
    teacher_ckpt=_base_.v2_teacher_ckpt,
    architecture=dict(head=dict(loss=dict(loss_weight=0.1))),
    distiller=dict(distill_losses=dict(loss_kl=dict(tau=4, loss_weight=0.9))))
train_cfg = _base_.v2_train_cfg
train_dataloader = dict(dataset=dict(
    _delete_=True, _scope_='mmpretrain', type='ViewPoolDataset',
    num_views=_base_.v2_num_views, cache_seed=_base_.v2_cache_seed,
    dataset=_base_.train_dataloader.dataset))
