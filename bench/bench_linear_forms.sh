#!/usr/bin/env bash
# The linear family's chunked kernel forms side by side (docs/codegen.md):
# `chunk 64 sequential` against `chunk 64 parallel` on B*H = 1, N = 8192,
# head_dim 64, f32, for no gate (elu1, normalize sum), a scalar gate
# (Lightning), a per-channel gate (GLA) and Gated DeltaNet. Each spec is
# compiled once; the two forms alternate ROUNDS times and each run prints
# the median of REPEAT calls (compilation and I/O excluded), so a loaded
# machine shows up as spread between rounds rather than as a bias.
# Threads: OMP_NUM_THREADS (default: all cores).
# usage: bench/bench_linear_forms.sh [BUILD_DIR] [ROUNDS] [REPEAT]
set -euo pipefail
build=${1:-build}
rounds=${2:-3}
repeat=${3:-15}
attnc=$build/tools/attnc/attnc
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
declare -A bodies=(
  [plain]='  feature elu1\n  normalize sum'
  [lightning]='  param slope: f32[h]\n  decay exp(-slope[h])'
  [gla]='  param a: f32[b, h, n, d]\n  decay pow(a[b, h, n, d], 0.0625)'
  [gated_delta]='  param beta: f32[b, h, n]\n  param g: f32[b, h, n]\n  feature l2norm\n  update delta(beta)\n  decay pow(g[b, h, n], 0.0625)'
)
for kind in plain lightning gla gated_delta; do
  for form in sequential parallel; do
    printf "attention $kind {\n  heads 1\n  head_dim 64\n  dtype f32\n  linear\n${bodies[$kind]}\n  chunk 64 $form\n}\n" > "$dir/${kind}_$form.attn"
    $attnc compile "$dir/${kind}_$form.attn" -o "$dir/${kind}_$form" --no-cuda-build > /dev/null
  done
done
echo "B=1 H=1 N=8192 D=Dv=64 chunk 64 f32, threads=${OMP_NUM_THREADS:-all}, median of $repeat per run, ms"
for kind in plain lightning gla gated_delta; do
  line="$kind:"
  for round in $(seq "$rounds"); do
    for form in sequential parallel; do
      t=$($attnc run "$dir/${kind}_$form.attn" --backend cpu --package "$dir/${kind}_$form" \
            --random 1,8192 --seed 1 --repeat "$repeat" | sed -n 's/^time: \([0-9.]*\) ms.*/\1/p')
      line="$line ${form:0:3} $t"
    done
  done
  echo "$line"
done
