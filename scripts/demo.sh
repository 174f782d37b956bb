#!/usr/bin/env bash
# The main job on an example: build attnc, print the attn IR of
# examples/causal.attn, and run it on seeded random inputs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
spec=${1:-examples/causal.attn}
build/tools/attnc/attnc "$spec" --emit=mlir
build/tools/attnc/attnc run "$spec" --backend reference --random 2,300 --seed 1
