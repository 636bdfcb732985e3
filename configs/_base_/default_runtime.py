# Runtime shared by mmhkd's configs (on top of mmpretrain's).
_base_ = ['mmpretrain::_base_/default_runtime.py']

custom_imports = dict(imports=['mmhkd'], allow_failed_imports=False)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2))
# random generators' states in checkpoints: resuming continues the same run;
# NonFiniteLossHook stops training at the first NaN/inf loss, naming the term
# and the iteration, before the CheckpointHook could save the broken weights
# ChannelsLastHook runs convolutions in NHWC (about 2x faster on these CPUs,
# same values up to float rounding; README "Cost"); disable it with
#   --cfg-options custom_hooks.0.enabled=False
# PairedInitHook re-seeds torch just before the weights are initialised, so
# seed k initialises the student identically in every method (paired seeds)
custom_hooks = [
    dict(type='ChannelsLastHook'),
    dict(type='RNGStateHook'),
    dict(type='NonFiniteLossHook'),
    dict(type='PairedInitHook')
]
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0, deterministic=False)
log_processor = dict(window_size=50)
# Visualizer, built in mmpretrain's registry whatever the config's
# default_scope ('mmrazor' for distillation, 'mmpretrain' otherwise); the
# backends are built in that scope too (mmengine's LocalVisBackend and
# TensorboardVisBackend are found through the parent registry).
# LocalVisBackend writes every logged scalar to
# <work_dir>/<timestamp>/vis_data/scalars.json (read by tools/plot_curves.py).
# TensorBoard instead of it (needs `pip install tensorboard`; event files in
# the same vis_data folder; tools/plot_curves.py then has nothing to read):
#   --cfg-options visualizer.vis_backends.0.type=TensorboardVisBackend
# Both at once: mmengine's --cfg-options cannot build a dict inside a list
# ("[dict(type=...)]" arrives as strings), so put this in a config that
# inherits yours:
#   visualizer = dict(vis_backends=[dict(type='LocalVisBackend'),
#                                   dict(type='TensorboardVisBackend')])
visualizer = dict(
    _scope_='mmpretrain',
    type='UniversalVisualizer',
    vis_backends=[dict(type='LocalVisBackend')])
