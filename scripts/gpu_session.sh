#!/usr/bin/env bash
# Runs on a GPU machine, from the repository root, after scripts/gpu_prepare.sh
# was run where attnc builds and its outputs were carried over. A lease is
# short (minutes), so every stage has its own time limit and what it printed
# is kept even when it is cut off:
#   1. the correctness bundle build/gpu-bundle (every case against the
#      reference executor's outputs); a failed case is rerun in a process of
#      its own, since a kernel fault poisons the context for every case
#      after it;
#   2. the benchmarks: softmax forward (SDPA-flash, FlexAttention), backward
#      (FA2 through SDPA, FlexAttention), linear family (flash-linear-
#      attention, when .whl/ carries its wheels), block sparsity;
#   3. the examples bundle build/gpu-examples (test/Emu/Inputs/emu_matrix.py
#      examples: every example, compiled by NVRTC there) when present;
#   4. compute-sanitizer memcheck over the bundle (bad memory accesses).
# Results go to $OUT (default ./gpu-results), at most 8 files.
# Stage limits (seconds) can be set with GPU_LIMITS="check softmax backward
# linear sparse sanitize", e.g. GPU_LIMITS="60 150 100 80 50 40"; the
# benchmarks' arguments with SOFTMAX_ARGS, BACKWARD_ARGS and LINEAR_ARGS.
set -uo pipefail
out=${OUT:-gpu-results}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
read -r t_check t_softmax t_backward t_linear t_sparse t_sanitize <<<"${GPU_LIMITS:-90 150 100 80 60 60}"
info="$out/info.txt"
{
  date -u
  git rev-parse --short HEAD 2>/dev/null || cat build/gpu-commit.txt 2>/dev/null
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
  python3 -c 'import torch, triton; print("torch", torch.__version__, "triton", triton.__version__)'
} >"$info" 2>&1

# stage NAME LIMIT LOG CMD...: runs CMD under LIMIT seconds, appending to LOG,
# and records its exit status and wall time in info.txt.
stage() {
  local name=$1 limit=$2 log=$3 start=$SECONDS rc
  shift 3
  timeout -k 5 "$limit" "$@" >>"$log" 2>&1
  rc=$?
  echo "stage $name: exit $rc after $((SECONDS - start)) s (limit $limit s)" | tee -a "$info"
  return $rc
}

check=build/tools/attnc-gpu-check/attnc-gpu-check
runtime=build/runtime/libattnc_runtime.so
log="$out/gpu-check.txt"
# check_bundle DIR: every case of DIR, then each failed one alone.
check_bundle() {
  local bundle=$1 c
  [ -d "$bundle" ] || return 0
  echo "== $bundle" >>"$log"
  stage "check $bundle" "$t_check" "$log" "$check" "$bundle"
  for c in $(sed -n 's/^FAIL \([^:]*\):.*/\1/p' "$log" | sort -u); do
    [ -d "$bundle/$c" ] || continue
    echo "== alone: $c" >>"$log"
    timeout -k 2 20 "$check" "$bundle" "$c" >>"$log" 2>&1
  done
}
check_bundle build/gpu-bundle

if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
    --upgrade --target /tmp/site .whl/*.whl >>"$info" 2>&1 && export PYTHONPATH=/tmp/site
fi
bench() { # bench NAME LIMIT SCRIPT ARGS...
  local name=$1 limit=$2 script=$3
  shift 3
  stage "$name" "$limit" "$out/$name.log" python3 "bench/$script" --runtime "$runtime" \
    --packages build/bench-packages --out "/tmp/$name.json" "$@"
}
bench softmax "$t_softmax" bench_softmax.py ${SOFTMAX_ARGS:-}
bench backward "$t_backward" bench_backward.py ${BACKWARD_ARGS:-}
bench linear "$t_linear" bench_linear.py ${LINEAR_ARGS:-}
bench sparse "$t_sparse" bench_sparse.py
check_bundle build/gpu-examples

sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
if [ -x "$sanitizer" ]; then
  stage sanitize "$t_sanitize" "$out/sanitizer.txt" \
    "$sanitizer" --tool memcheck --print-limit 20 "$check" build/gpu-bundle
fi

exit 0
