#!/usr/bin/env bash
# Installs what attnc needs on Debian 12 (only what is missing), then
# configures and builds it in build/. Safe to run again: it only does the work
# that changed. Used by scripts/demo.sh, scripts/test.sh and CI.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake ninja-build ccache g++ libfmt-dev googletest libgtest-dev
          libmlir-19-dev mlir-19-tools llvm-19-dev llvm-19-tools clang-19
          libomp-19-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c "import numpy" 2>/dev/null; then
  echo "setup: installing numpy for $PYTHON"
  "$PYTHON" -m pip install -q numpy
fi

if [ ! -f build/build.ninja ]; then
  cmake -G Ninja -S . -B build \
    -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-19/build/utils/lit/lit.py \
    -DPython3_EXECUTABLE="$(command -v "$PYTHON")"
fi
ninja -C build ${ATTNC_BUILD_TARGETS:-}
