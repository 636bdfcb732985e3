#!/usr/bin/env bash
# Install everything mmhkd needs on a fresh Debian machine, idempotently:
# the Fashion-MNIST data (Debian package), a virtual environment in .venv
# and the package with the exactly tested versions
# (requirements/constraints.txt; setup.py itself declares ranges).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
if [ ! -f /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz ]; then
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y dataset-fashion-mnist
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    # The environment takes about 6.5 GiB (torch, mmcv, mmdet, mmseg); a pip
    # that runs out of space half-way leaves a broken .venv, so check first.
    NEED_KIB=$((7 * 1024 * 1024))
    FREE_KIB=$(df -Pk . | awk 'NR == 2 {print $4}')
    if [ "$FREE_KIB" -lt "$NEED_KIB" ]; then
        echo "install.sh: only $((FREE_KIB / 1024 / 1024)) GiB free here; the" \
            ".venv needs about 7 GiB. Free disk space (old work_dirs/, old" \
            "pytest temp dirs) and run it again." >&2
        exit 1
    fi
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade 'pip<26.2'
.venv/bin/python -m pip install --quiet -c requirements/constraints.txt -e '.[tests,det,seg]'
.venv/bin/python -c "import mmhkd, mmrazor.models; print('mmhkd', mmhkd.__version__, 'installed')"
