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

# The Python package (python/, docs/python.md), for test/Python: nanobind,
# scikit-build-core and ml_dtypes from PyPI, then `pip install ./python` into
# a virtual environment in build/ that sees the system site-packages (numpy,
# and torch where installed). Rebuilt only when python/ or runtime/ changed
# since the last install (its CMake build dir persists, and ccache is used).
# ATTNC_PYTHON=0 skips it.
if [ "${ATTNC_PYTHON:-1}" != 0 ]; then
  pymissing=()
  for m in nanobind:nanobind scikit_build_core:scikit-build-core ml_dtypes:ml_dtypes; do
    "$PYTHON" -c "import ${m%%:*}" 2>/dev/null || pymissing+=("${m##*:}")
  done
  if [ ${#pymissing[@]} -gt 0 ]; then
    echo "setup: installing ${pymissing[*]} for $PYTHON"
    "$PYTHON" -m pip install -q "${pymissing[@]}"
  fi
  # The extension compiles against Python.h (Debian: python3-dev).
  pyinc=$("$PYTHON" -c "import sysconfig; print(sysconfig.get_paths()['include'])")
  if [ ! -f "$pyinc/Python.h" ]; then
    echo "setup: installing python3-dev (no Python.h in $pyinc)"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-dev >/dev/null
  fi
  venv=build/python-venv
  if [ ! -x "$venv/bin/python" ]; then
    if ! "$PYTHON" -m venv --system-site-packages "$venv" 2>/dev/null; then
      # Debian's own python3 keeps ensurepip in python3-venv.
      rm -rf "$venv"
      SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
      "$PYTHON" -m venv --system-site-packages "$venv"
    fi
  fi
  stamp=$venv/.attnc-installed
  if [ ! -f "$stamp" ] || [ -n "$(find python runtime -newer "$stamp" -type f -print -quit)" ]; then
    echo "setup: pip install ./python (into $venv)"
    "$venv/bin/python" -m pip install -q --no-build-isolation --no-deps \
      --config-settings=build-dir="$PWD/build/python-build" ./python
    touch "$stamp"
  fi
fi
