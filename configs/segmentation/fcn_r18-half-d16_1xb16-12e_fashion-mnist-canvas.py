# Student for the canvas segmentation benchmark (docs/segmentation.md),
# trained alone (the vanilla baseline): FCN on a dilated ResNetV1c-18 at
# half width (stem and stages 32/64/128/256), head 64 wide.
_base_ = [
    './_base_/fcn_canvas.py',
    './_base_/fashion-mnist-canvas_segmentation.py',
    './_base_/canvas_schedule_12e.py',
    './_base_/canvas_runtime.py',
]
model = _base_.student_model
