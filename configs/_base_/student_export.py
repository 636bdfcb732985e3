# Runtime of mmhkd's distillation configs: the shared runtime, plus
# - the best checkpoint on the first validation metric (accuracy/top1), and
# - StudentExportHook: after every checkpoint save it writes the student as
#   a plain mmpretrain checkpoint, <work_dir>/student_last.pth (and
#   student_best.pth after a best save), and before training the student's
#   own config, <work_dir>/student_config.py, so that
#     python tools/test.py <work_dir>/student_config.py \
#         <work_dir>/student_last.pth
#   evaluates the distilled student alone.
# Use it instead of default_runtime.py in a distillation config's _base_.
_base_ = ['./default_runtime.py']
default_hooks = dict(checkpoint=dict(save_best='auto'))
custom_hooks = _base_.custom_hooks + [dict(type='StudentExportHook')]
