#!/usr/bin/env bash
# The README's main job: HKSANC on Fashion-MNIST, all three phases, end to
# end through tools/train.py, then the student's top-1 on the 10,000 test
# images through tools/test.py.
#   1. teacher: checkpoints/preact-resnet29_1xb128_fashion-mnist.pth, shipped
#      (trained by configs/vanilla/preact-resnet29_1xb128_fashion-mnist.py;
#      retrained, about 35 min, if absent);
#   2. teacher adaptation (attention estimators, teacher frozen);
#   3. distillation of the half-width ResNet-20 on 1,000 labelled images.
# A phase whose final checkpoint exists is skipped, so a rerun resumes; a
# finished run is never overwritten.
# TEACHER_CACHE_VIEWS=K: before phase 3, cache the teacher side (teacher,
# neck, adapted estimators) for K augmented views of each of the 1,000
# images with tools/cache_teacher.py, and distil from the cache into a work
# dir of its own (docs/teacher_cache.md).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
WORK=${WORK:-work_dirs}

TEACHER_CFG=configs/vanilla/preact-resnet29_1xb128_fashion-mnist.py
TEACHER_CKPT=checkpoints/preact-resnet29_1xb128_fashion-mnist.pth
ADAPT_CFG=configs/hksanc/hksanc-adaptation_preact-resnet29_1xb128_fashion-mnist.py
ADAPT_DIR=$WORK/hksanc-adaptation_preact-resnet29_1xb128_fashion-mnist
DISTILL_CFG=configs/hksanc/hksanc_preact-resnet29_resnet20-half_1xb128_fashion-mnist-1k.py
DISTILL_DIR=$WORK/hksanc_preact-resnet29_resnet20-half_1xb128_fashion-mnist-1k
VIEWS=${TEACHER_CACHE_VIEWS:-}
CACHE_OPTIONS=()
if [ -n "$VIEWS" ]; then
    CACHE=$WORK/teacher_cache/hksanc_fashion-mnist-1k_views$VIEWS.npy
    DISTILL_DIR=${DISTILL_DIR}_cached-views$VIEWS
    CACHE_OPTIONS=(model.teacher_cache="$CACHE")
fi
START=$(date +%s)

if [ ! -f "$TEACHER_CKPT" ]; then
    echo "== phase 1: training the teacher (no shipped checkpoint found)"
    RESUME=()
    if ls "$WORK/teacher"/epoch_*.pth >/dev/null 2>&1; then RESUME=(--resume); fi
    $PY tools/train.py "$TEACHER_CFG" --work-dir "$WORK/teacher" "${RESUME[@]}"
    $PY tools/export_checkpoint.py "$WORK/teacher/epoch_2.pth" "$TEACHER_CKPT"
else
    echo "== phase 1: teacher checkpoint $TEACHER_CKPT (shipped)"
fi

if [ ! -f "$ADAPT_DIR/epoch_1.pth" ]; then
    echo "== phase 2: teacher adaptation"
    $PY tools/train.py "$ADAPT_CFG" --work-dir "$ADAPT_DIR" \
        --cfg-options model.teacher_ckpt="$TEACHER_CKPT"
else
    echo "== phase 2: done before ($ADAPT_DIR/epoch_1.pth)"
fi

if [ -n "$VIEWS" ]; then
    echo "== teacher cache: $VIEWS views per image -> $CACHE"
    $PY tools/cache_teacher.py "$DISTILL_CFG" --views "$VIEWS" --out "$CACHE" \
        --cfg-options model.teacher_ckpt="$TEACHER_CKPT" \
        model.teacher_attention_ckpt="$ADAPT_DIR/epoch_1.pth"
fi

if [ ! -f "$DISTILL_DIR/epoch_60.pth" ]; then
    echo "== phase 3: HKSANC distillation"
    RESUME=()
    if ls "$DISTILL_DIR"/epoch_*.pth >/dev/null 2>&1; then RESUME=(--resume); fi
    $PY tools/train.py "$DISTILL_CFG" --work-dir "$DISTILL_DIR" "${RESUME[@]}" \
        --cfg-options model.teacher_ckpt="$TEACHER_CKPT" \
        model.teacher_attention_ckpt="$ADAPT_DIR/epoch_1.pth" \
        "${CACHE_OPTIONS[@]}"
else
    echo "== phase 3: done before ($DISTILL_DIR/epoch_60.pth)"
fi

echo "== evaluating the exported student (plain mmpretrain model) on the 10,000 Fashion-MNIST test images"
$PY tools/test.py "$DISTILL_DIR/student_config.py" "$DISTILL_DIR/student_last.pth" \
    --work-dir "$DISTILL_DIR/test" --out "$DISTILL_DIR/test_metrics.json" >/dev/null
$PY - "$DISTILL_DIR/test_metrics.json" "$START" <<'PYEOF'
import json, sys, time
metrics = json.load(open(sys.argv[1]))
print(f"HKSANC student top-1 on the Fashion-MNIST test set: "
      f"{metrics['accuracy/top1']:.2f} %  ({sys.argv[1]}; "
      f"{(time.time() - float(sys.argv[2])) / 60:.1f} min)")
PYEOF
