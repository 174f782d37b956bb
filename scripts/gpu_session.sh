#!/usr/bin/env bash
# Runs on a GPU machine, from the repository root, after scripts/gpu_prepare.sh
# was run where attnc builds and its outputs were carried over. A lease is
# short (minutes), so every stage has its own time limit and what it printed
# is kept even when it is cut off. The stages, in the order given by
# GPU_STAGES (default: check softmax backward linear sparse examples sanitize;
# `grid` runs bench_grid.py, token grids against FlexAttention and NATTEN;
# `decode` runs bench_decode.py, paged split-KV decode against FlashInfer,
# FlashAttention and SDPA):
#   check      the correctness bundle build/gpu-bundle (every case against the
#              reference executor's outputs); a failed case is rerun in a
#              process of its own, since a kernel fault poisons the context
#              for every case after it
#   examples   the same for build/gpu-examples (test/Emu/Inputs/emu_matrix.py
#              examples: every example, compiled by NVRTC there)
#   sanitize   compute-sanitizer memcheck over the bundle (bad accesses,
#              misaligned atomics)
#   racecheck  compute-sanitizer racecheck (shared-memory races) on the
#              tensor-core forward and backward cases ($RACE_CASES)
#   softmax, backward, linear, sparse   the benchmarks (bench/*.py) against
#              SDPA-flash, FlexAttention and flash-linear-attention (when
#              .whl/ carries its wheels); arguments from SOFTMAX_ARGS,
#              BACKWARD_ARGS, LINEAR_ARGS
#   sweep      bench/tile_sweep.py over build/tile-sweep (tile hints against
#              SDPA-flash, to choose the CUDA plan's defaults)
#   ncu        Nsight Compute's speed-of-light, occupancy and warp-state
#              sections for one sweep kernel ($NCU_KERNEL)
# Each stage's limit in seconds: LIMIT_<stage> (e.g. LIMIT_linear=150).
# Results go to $OUT (default ./gpu-results): info.txt (device, stage exits
# and times) and one log per stage group, at most 8 files.
set -uo pipefail
out=${OUT:-gpu-results}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
info="$out/info.txt"
{
  date -u
  # What was built (scripts/gpu_prepare.sh writes it); the tree's HEAD may
  # be another commit when the build was carried.
  echo "built at: $(cat build/gpu-commit.txt 2>/dev/null || echo unknown)"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
  python3 -c 'import torch, triton; print("torch", torch.__version__, "triton", triton.__version__)'
} >"$info" 2>&1

# stage NAME LIMIT LOG CMD...: runs CMD under LIMIT seconds, appending to LOG,
# and records its exit status and wall time in info.txt.
stage() {
  local name=$1 limit=$2 log=$3 start=$SECONDS rc
  shift 3
  echo "== $name" >>"$log"
  timeout -k 5 "$limit" "$@" >>"$log" 2>&1
  rc=$?
  echo "stage $name: exit $rc after $((SECONDS - start)) s (limit $limit s)" | tee -a "$info"
  return $rc
}
limit() { # limit STAGE DEFAULT: the stage's limit in seconds
  local var="LIMIT_$1"
  echo "${!var:-$2}"
}

check=build/tools/attnc-gpu-check/attnc-gpu-check
runtime=build/runtime/libattnc_runtime.so
sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
log="$out/gpu-check.txt"
# check_bundle NAME DIR: every case of DIR, then each failed one alone.
check_bundle() {
  local name=$1 bundle=$2 c
  [ -d "$bundle" ] || return 0
  stage "$name" "$(limit "$name" 90)" "$log" "$check" "$bundle"
  for c in $(sed -n 's/^FAIL \([^:]*\):.*/\1/p' "$log" | sort -u); do
    [ -d "$bundle/$c" ] || continue
    echo "== alone: $c" >>"$log"
    timeout -k 2 20 "$check" "$bundle" "$c" >>"$log" 2>&1
  done
}
bench() { # bench NAME SCRIPT ARGS...
  local name=$1 script=$2
  shift 2
  stage "$name" "$(limit "$name" 120)" "$out/$name.log" python3 "bench/$script" \
    --runtime "$runtime" --packages build/bench-packages --out "/tmp/$name.json" "$@"
}
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
    --upgrade --target /tmp/site .whl/*.whl >>"$info" 2>&1 && export PYTHONPATH=/tmp/site
fi

for s in ${GPU_STAGES:-check softmax backward linear sparse examples sanitize}; do
  case $s in
  check) check_bundle check build/gpu-bundle ;;
  examples) check_bundle examples build/gpu-examples ;;
  sanitize)
    stage sanitize "$(limit sanitize 60)" "$out/sanitizer.txt" \
      "$sanitizer" --tool memcheck --print-limit 20 "$check" build/gpu-bundle ;;
  racecheck)
    # shellcheck disable=SC2086
    stage racecheck "$(limit racecheck 60)" "$out/sanitizer.txt" \
      "$sanitizer" --tool racecheck --print-limit 20 "$check" build/gpu-bundle \
      ${RACE_CASES:-masks-causal_bf16 backward-causal_bf16 linear-gate_bf16} ;;
  softmax) bench softmax bench_softmax.py ${SOFTMAX_ARGS:-} ;;
  backward) bench backward bench_backward.py ${BACKWARD_ARGS:-} ;;
  linear) bench linear bench_linear.py ${LINEAR_ARGS:-} ;;
  grid) bench grid bench_grid.py ${GRID_ARGS:-} ;;
  decode) bench decode bench_decode.py ${DECODE_ARGS:-} ;;
  sparse) bench sparse bench_sparse.py ;;
  sweep)
    stage sweep "$(limit sweep 90)" "$out/sweep.log" python3 bench/tile_sweep.py run \
      --runtime "$runtime" --packages build/tile-sweep ;;
  ncu)
    stage ncu "$(limit ncu 90)" "$out/ncu.txt" ncu --clock-control none \
      --section SpeedOfLight --section Occupancy --section WarpStateStats \
      --section LaunchStats --launch-count 1 \
      -k "regex:${NCU_KERNEL:-attnc_sweep_hd128_default_fwd}" \
      python3 bench/tile_sweep.py run --runtime "$runtime" --packages build/tile-sweep \
      --lengths 16384 ;;
  *) echo "gpu_session: unknown stage '$s'" | tee -a "$info" ;;
  esac
done
exit 0
