# Runtime shared by mmhkd's configs (on top of mmpretrain's).
_base_ = ['mmpretrain::_base_/default_runtime.py']

custom_imports = dict(imports=['mmhkd'], allow_failed_imports=False)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2))
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0, deterministic=False)
log_processor = dict(window_size=50)
