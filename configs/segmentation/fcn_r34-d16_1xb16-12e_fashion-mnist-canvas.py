# Teacher for the canvas segmentation benchmark (docs/segmentation.md):
# FCN on a dilated ResNetV1c-34 (output stride 16), head 64 wide, trained
# from scratch on the 2,000 Fashion-MNIST training canvases (HKSANC
# phase 1).
_base_ = [
    './_base_/fcn_canvas.py',
    './_base_/fashion-mnist-canvas_segmentation.py',
    './_base_/canvas_schedule_12e.py',
    './_base_/canvas_runtime.py',
]
model = _base_.teacher_model
