#!/usr/bin/env bash
# HKSANC for detection end to end (docs/detection.md): install with the
# detection extras, build the Fashion-MNIST canvas set, then, through
# tools/train.py,
#   1. the teacher RetinaNet (ResNet-34, FPN 128) from scratch, 12 epochs;
#   2. teacher adaptation: its FPN attention estimators learn the classes
#      each canvas holds (teacher frozen), 2 epochs;
#   3. the student RetinaNet (ResNet-18 at half width, FPN 64) with HKSANC's
#      intermediate supervision and MMRazor's FpnTeacherDistill, 12 epochs;
# and the student's bbox mAP on the 500 test canvases
# (tools/test.py). A phase whose final checkpoint exists is skipped, so a
# rerun resumes; a finished run is never overwritten.
# EPOCHS=N (phases 1 and 3, default 12) and ADAPT_EPOCHS=N (phase 2,
# default 2) shorten a check run; WORK=DIR puts the work dirs elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install.sh
PY=${PY:-.venv/bin/python}
WORK=${WORK:-work_dirs}
DATA=data/fashion-mnist-canvas
CFG=configs/detection
TEACHER=retinanet_r34-fpn128_1xb16-12e_fashion-mnist-canvas
ADAPT=hksanc-adaptation_retinanet_r34-fpn128_fashion-mnist-canvas
DISTILL=hksanc-is_retinanet_r34-fpn128_r18-half-fpn64_fashion-mnist-canvas
EPOCHS=${EPOCHS:-12}
ADAPT_EPOCHS=${ADAPT_EPOCHS:-2}
TEACHER_CKPT=$WORK/$TEACHER/epoch_$EPOCHS.pth
ADAPTED=$WORK/$ADAPT/epoch_$ADAPT_EPOCHS.pth
START=$(date +%s)

if [ ! -f "$DATA/annotations/instances_test.json" ]; then
    $PY tools/data/make_fashion_mnist_canvas.py --out "$DATA"
fi

# train CONFIG_NAME FINAL_EPOCH [--cfg-options ...]: skip when done, resume
# when a checkpoint exists
train() {
    local name=$1 last=$2
    shift 2
    if [ -f "$WORK/$name/epoch_$last.pth" ]; then
        echo "== $name: done before ($WORK/$name/epoch_$last.pth)"
        return
    fi
    local resume=()
    if ls "$WORK/$name"/epoch_*.pth >/dev/null 2>&1; then resume=(--resume); fi
    echo "== $name"
    $PY tools/train.py "$CFG/$name.py" --work-dir "$WORK/$name" \
        "${resume[@]}" "$@"
}

train "$TEACHER" "$EPOCHS" --cfg-options train_cfg.max_epochs="$EPOCHS"
train "$ADAPT" "$ADAPT_EPOCHS" --cfg-options model.teacher_ckpt="$TEACHER_CKPT" \
    train_cfg.max_epochs="$ADAPT_EPOCHS" param_scheduler.T_max="$ADAPT_EPOCHS"
train "$DISTILL" "$EPOCHS" --cfg-options train_cfg.max_epochs="$EPOCHS" \
    model.teacher_ckpt="$TEACHER_CKPT" \
    model.distiller.connectors.teacher_attention.adapted_ckpt="$ADAPTED"

echo "== bbox mAP of the HKSANC student on the 500 test canvases"
$PY tools/test.py "$CFG/$DISTILL.py" "$WORK/$DISTILL/epoch_$EPOCHS.pth" \
    --work-dir "$WORK/$DISTILL/test" \
    --cfg-options model.teacher_ckpt="$TEACHER_CKPT" \
    model.distiller.connectors.teacher_attention.adapted_ckpt="$ADAPTED" \
    | grep -E "coco/bbox_mAP" || true
echo "== $(( ($(date +%s) - START) / 60 )) min"
