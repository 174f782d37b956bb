#!/usr/bin/env bash
# The whole test suite: installs and builds what is missing, then runs every
# lit test (passes, diagnostics, reference values, examples, units).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
python3 /usr/lib/llvm-19/build/utils/lit/lit.py -sv build/test "$@"
