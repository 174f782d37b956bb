#!/usr/bin/env bash
# CPU benchmark: the CPU backend against the reference executor at N=2048,
# head_dim 128, causal, bf16 (issue target: at least 20x). Both run in one
# process each on the same inputs; times exclude compilation and I/O.
# Threads: OMP_NUM_THREADS (default: all cores). The reference is
# single-threaded, so for a like-for-like ratio also run with
# OMP_NUM_THREADS=1.
# usage: bench/bench_cpu.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
attnc=$build/tools/attnc/attnc
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/causal128.attn" <<'SPEC'
attention causal128 {
  heads 4
  head_dim 128
  dtype bf16
  mask causal
}
SPEC
$attnc compile "$dir/causal128.attn" -o "$dir/pkg" --no-cuda-build
cpu=$($attnc run "$dir/causal128.attn" --backend cpu --package "$dir/pkg" --random 1,2048 --repeat 5 | sed -n 's/^time: \([0-9.]*\) ms.*/\1/p')
ref=$($attnc run "$dir/causal128.attn" --backend reference --random 1,2048 --repeat 1 | sed -n 's/^time: \([0-9.]*\) ms.*/\1/p')
echo "B=1 H=4 N=2048 D=128 causal bf16, threads=${OMP_NUM_THREADS:-all}: cpu ${cpu} ms, reference ${ref} ms, ratio $(python3 -c "print(round($ref / $cpu, 1))")x"

# Runtime block masks (docs/runtime.md §3a): a document mask with documents of
# about 256 tokens at N=4096: the block mask built from the document ids
# against the static plan (every causal tile, masked), same call timed the
# same way; the build is timed separately.
$attnc run examples/document.attn --backend cpu --random 1,4096 --mean-segment 256 --block-mask --repeat 5 | grep -E '^(block mask|time)'
