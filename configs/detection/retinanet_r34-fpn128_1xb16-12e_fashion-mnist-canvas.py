# Teacher for the canvas detection benchmark (docs/detection.md): RetinaNet
# ResNet-34, FPN and head 128 wide, trained from scratch on the 2,000
# Fashion-MNIST training canvases.
_base_ = [
    './_base_/retinanet_canvas.py',
    './_base_/fashion-mnist-canvas_detection.py',
    './_base_/canvas_schedule_12e.py',
    'mmdet::_base_/default_runtime.py',
]
model = _base_.teacher_model
default_hooks = dict(logger=dict(interval=25))
