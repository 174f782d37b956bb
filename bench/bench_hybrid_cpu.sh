#!/usr/bin/env bash
# CPU benchmark of sparse + linear hybrids (docs/language.md §8b), side by
# side in one run on the same inputs (random bf16, B=1, H=4, D=64, tile
# 64x64, N=4096 = 64 k-tiles):
#   - dense softmax (no mask) against SLA-style top-k selection at 5%, 10%
#     and 25% of the k-tiles, with the linear branch (`hybrid elu1`) and
#     without it (selection alone), each time including the estimator;
#   - causal softmax against LoLCATs-style window 64 + Hedgehog linear.
# A CPU run gives ratios, not GPU times (docs/benchmarks.md).
# usage: bench/bench_hybrid_cpu.sh [BUILD_DIR] [N]
set -euo pipefail
build=${1:-build}
n=${2:-4096}
attnc=$build/tools/attnc/attnc
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

spec() { # name body...
  local name=$1; shift
  {
    echo "attention $name {"
    echo "  heads 4"
    echo "  head_dim 64"
    echo "  dtype bf16"
    echo "  tile q=64 k=64"
    for line in "$@"; do echo "  $line"; done
    echo "}"
  } > "$dir/$name.attn"
}
time_ms() { # name
  $attnc compile "$dir/$1.attn" -o "$dir/$1" --no-cuda-build >/dev/null
  $attnc run "$dir/$1.attn" --backend cpu --package "$dir/$1" --random 1,$n --seed 1 --repeat 5 |
    sed -n 's/^time: \([0-9.]*\) ms.*/\1/p'
}
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }

spec dense
spec causal "mask causal"
spec lolcats "param gate: f32[h]" "param hw: f32[h, d, d]" "mask causal && q - k < 64" \
  "hybrid hedgehog(hw)" "complement causal" "combine shared(sigmoid(gate[h]))"
kb=$(( (n + 63) / 64 ))
dense=$(time_ms dense)
echo "N=$n H=4 D=64 bf16 tile 64, threads=${OMP_NUM_THREADS:-all}"
echo "dense softmax: $dense ms"
for pct in 5 10 25; do
  k=$(( (kb * pct + 99) / 100 ))
  spec "sel$pct" "select topk($k) by mean(q) . mean(k)"
  spec "sla$pct" "select topk($k) by mean(q) . mean(k)" "hybrid elu1"
  sel=$(time_ms "sel$pct")
  sla=$(time_ms "sla$pct")
  echo "topk $k/$kb tiles (${pct}%): selection only $sel ms ($(ratio "$sel" "$dense") of dense);" \
       "SLA (selection + linear) $sla ms ($(ratio "$sla" "$dense") of dense)"
done
causal=$(time_ms causal)
lol=$(time_ms lolcats)
echo "causal softmax: $causal ms; LoLCATs window 64 + linear: $lol ms ($(ratio "$lol" "$causal") of causal)"
