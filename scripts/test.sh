#!/usr/bin/env bash
# The whole test suite: installs and builds what is missing, then runs every
# lit test (passes, diagnostics, reference values, backends, examples, units,
# fuzzing), then the ctest `gpu` label, which runs the GPU bundle on a CUDA
# device and reports itself skipped where there is none.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
python3 /usr/lib/llvm-19/build/utils/lit/lit.py -sv build/test "$@"
ctest --test-dir build -L gpu --output-on-failure
