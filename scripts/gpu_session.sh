#!/usr/bin/env bash
# Runs on a GPU machine, from the repository root, after scripts/gpu_prepare.sh
# was run where attnc builds and its outputs were carried over. First the
# correctness bundle (every case against the reference executor's outputs),
# then the softmax benchmarks (forward, and the backward against SDPA's
# FlashAttention-2 backward and FlexAttention's) and the others. Results go
# to $OUT (default ./gpu-results).
set -uo pipefail
out=${OUT:-gpu-results}
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$out/device.txt" 2>&1
git rev-parse --short HEAD > "$out/commit.txt" 2>/dev/null || true
build/tools/attnc-gpu-check/attnc-gpu-check build/gpu-bundle | tee "$out/gpu-check.txt"
check=${PIPESTATUS[0]}
if [ "$check" -ne 0 ]; then
  echo "gpu_session: correctness bundle failed (exit $check); not benchmarking" | tee -a "$out/gpu-check.txt"
  exit "$check"
fi
python3 bench/bench_softmax.py --runtime build/runtime/libattnc_runtime.so \
  --packages build/bench-packages --out "$out/softmax.json" | tee "$out/softmax.log"
python3 bench/bench_backward.py --runtime build/runtime/libattnc_runtime.so \
  --packages build/bench-packages --out "$out/backward.json" | tee "$out/backward.log"
python3 bench/bench_linear.py --runtime build/runtime/libattnc_runtime.so \
  --packages build/bench-packages --out "$out/linear.json" | tee "$out/linear.log"
python3 bench/bench_sparse.py --runtime build/runtime/libattnc_runtime.so \
  --packages build/bench-packages --out "$out/sparse.json" | tee "$out/sparse.log"
