#!/usr/bin/env bash
# The main job on an example: build attnc, compile a spec into a package
# (CPU shared object, CUDA source and cubins, manifest), show what the mask
# analysis found, and run the package on the CPU through the runtime,
# checked against the reference executor.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
spec=${1:-examples/streaming_sinks.attn}
name=$(basename "$spec" .attn)
attnc=build/tools/attnc/attnc
$attnc compile "$spec" -o "out/$name"
echo "package out/$name:"; ls "out/$name" | sed 's/^/  /'
$attnc explain "$spec" --len 4096 --svg "out/$name/tiles.svg"
$attnc run "$spec" --backend cpu --package "out/$name" --random 2,1000 --seed 1 --check
