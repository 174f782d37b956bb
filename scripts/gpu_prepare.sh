#!/usr/bin/env bash
# Prepares what a GPU machine needs (it has CUDA and PyTorch, not LLVM/MLIR):
# the GPU test bundle, the examples bundle, the runtime-only runner, the
# runtime library, the benchmark packages and the tile-sweep packages, all
# under build/, then packs them (xz) into build/gpu-carry/ so that they
# travel under a size limit:
#   build/gpu-carry/main.tar.xz      bundle, runner, runtime, bench packages
#   build/gpu-carry/examples.tar.xz  the examples bundle (NVRTC-compiled there)
# On the GPU machine, from the repository root:
#   python3 -c "import tarfile,sys; [tarfile.open(t).extractall('build') \
#     for t in sorted(sys.argv[1:])]" build/gpu-carry/*.tar.xz
#   OUT=results scripts/gpu_session.sh
# GPU_PREPARE_SKIP_LARGE=1 leaves out the bundle's long-context decode case
# (32 MB of keys and values) to fit a 64 MiB transfer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
attnc=build/tools/attnc/attnc
python3 test/GPU/make_bundle.py "$attnc" build/gpu-bundle
python3 test/Emu/Inputs/emu_matrix.py "$attnc" examples build/gpu-examples examples
python3 bench/make_packages.py "$attnc" build/bench-packages
rm -rf build/tile-sweep
python3 bench/tile_sweep.py build "$attnc" build/tile-sweep
git rev-parse --short HEAD >build/gpu-commit.txt
mkdir -p build/gpu-carry
exclude=()
[ "${GPU_PREPARE_SKIP_LARGE:-0}" = 1 ] && exclude=(--exclude=merge-decode_bf16)
tar cf - -C build "${exclude[@]}" gpu-bundle bench-packages tile-sweep gpu-commit.txt \
  $(cd build && ls runtime/libattnc_runtime.so*) \
  tools/attnc-gpu-check/attnc-gpu-check | xz -T2 -6 >build/gpu-carry/main.tar.xz
tar cf - -C build gpu-examples | xz -T2 -6 >build/gpu-carry/examples.tar.xz
du -sh build/gpu-carry/*
