#!/usr/bin/env bash
# The whole test suite: installs and builds what is missing, then runs every
# lit test (passes, diagnostics, reference values, backends, examples, units,
# fuzzing); the ctest `gpu` label runs the GPU bundle on a CUDA
# device and reports itself skipped where there is none.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The ctest `gpu` label (the GPU bundle through the runtime-only runner) runs
# first when an earlier build left a bundle; it reports itself skipped without
# a device. The lit suite builds the bundle afresh and runs the same runner
# (test/GPU/bundle.test), and comes last so that its per-test lines and totals
# end the log.
if [ -d build/gpu-bundle ]; then
  ctest --test-dir build -L gpu --output-on-failure
fi
python3 /usr/lib/llvm-19/build/utils/lit/lit.py -v build/test "$@"
