# v2 protocol: HKSANC with its shipped defaults. Its
# model.teacher_attention_ckpt is phase 2 on the v2 teacher
# (adaptation_preact-resnet29-10e_fashion-mnist-v2.py), set by the suite.
_base_ = ['../hksanc/hksanc_preact-resnet29_resnet20-half_1xb128_fashion-mnist-1k.py', './_protocol.py']
model = dict(teacher_ckpt=_base_.v2_teacher_ckpt)
train_cfg = _base_.v2_train_cfg
train_dataloader = dict(dataset=dict(
    _delete_=True, _scope_='mmpretrain', type='ViewPoolDataset',
    num_views=_base_.v2_num_views, cache_seed=_base_.v2_cache_seed,
    dataset=_base_.train_dataloader.dataset))
