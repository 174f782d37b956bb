#!/usr/bin/env bash
# Prepares what a GPU machine needs (it has CUDA and PyTorch, not LLVM/MLIR):
# the GPU test bundle, the runtime-only runner, the runtime library and the
# benchmark packages, all under build/. Carry these paths to the GPU machine:
#   build/gpu-bundle build/tools/attnc-gpu-check build/runtime build/bench-packages
# then run scripts/gpu_session.sh there.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
python3 test/GPU/make_bundle.py build/tools/attnc/attnc build/gpu-bundle
python3 bench/make_packages.py build/tools/attnc/attnc build/bench-packages
du -sh build/gpu-bundle build/bench-packages build/runtime build/tools/attnc-gpu-check
