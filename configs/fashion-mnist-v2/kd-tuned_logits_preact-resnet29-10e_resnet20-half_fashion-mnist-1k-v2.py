# v2 protocol: KD with the v1 tuning's winner (T=4, 0.5 KD + 0.5 CE).
_base_ = ['../tuned/kd-tuned_logits_preact-resnet29_resnet20-half_1xb128_fashion-mnist-1k.py', './_protocol.py']
model = dict(teacher_ckpt=_base_.v2_teacher_ckpt)
train_cfg = _base_.v2_train_cfg
train_dataloader = dict(dataset=dict(
    _delete_=True, _scope_='mmpretrain', type='ViewPoolDataset',
    num_views=_base_.v2_num_views, cache_seed=_base_.v2_cache_seed,
    dataset=_base_.train_dataloader.dataset))
