# Student for the canvas detection benchmark (docs/detection.md), trained
# alone (the vanilla baseline): RetinaNet ResNet-18 at half width
# (32/64/128/256), FPN and head 64 wide.
_base_ = [
    './_base_/retinanet_canvas.py',
    './_base_/fashion-mnist-canvas_detection.py',
    './_base_/canvas_student_schedule_12e.py',
    'mmdet::_base_/default_runtime.py',
]
model = _base_.student_model
default_hooks = dict(logger=dict(interval=25))
