#!/usr/bin/env bash
# Run MMRazor 1.0.0's own distillation-algorithm tests (from its source
# distribution on PyPI) with mmhkd imported first, as a user's process would:
# single-teacher, self, data-free and OFD distillation.
#   bash tools/compat/run_mmrazor_distill_tests.sh
# The sdist is downloaded into work_dirs/mmrazor-sdist (kept for reruns).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
DEST=work_dirs/mmrazor-sdist
if [ ! -d "$DEST/mmrazor-1.0.0" ]; then
    mkdir -p "$DEST"
    "$PY" -m pip download --quiet --no-deps --no-binary :all: \
        mmrazor==1.0.0 -d "$DEST"
    tar xzf "$DEST/mmrazor-1.0.0.tar.gz" -C "$DEST"
fi
PY="$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")"  # absolute
TESTS="$DEST/mmrazor-1.0.0/tests/test_models/test_algorithms"
cd "$TESTS"
# the sdist's own mmrazor/ must not shadow the installed package
OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} "$PY" -c "
import sys
sys.path = [p for p in sys.path if 'mmrazor-1.0.0' not in p]
import mmhkd, pytest
sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider',
    'test_single_teacher_distill.py', 'test_self_distill.py',
    'test_datafree_distill.py', 'test_ofd_algo.py']))"
