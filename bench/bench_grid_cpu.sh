#!/usr/bin/env bash
# CPU benchmark of token grids (docs/benchmarks.md, "CPU: token grids in
# boxes"): each neighborhood mask three ways at the same N, one process per
# run, same seeded inputs, times exclude compilation and I/O:
#   boxes - the spec with `grid` and `window`: the CPU plan tiles the grid
#           in boxes and walks the exact per-axis tile classes;
#   flat  - the same mask on flat positions (coordinates written with / and
#           %, no grid): runs of 64 positions, classes from the flat analysis;
#   dense - no mask at all.
# The issue's target: boxes within 1.3x of (visited fraction x dense), with
# the visited fraction `attnc explain` reports for the boxes; the element
# fraction (keys a query sees / N) is printed too.
# Threads: OMP_NUM_THREADS (default: all cores).
# usage: bench/bench_grid_cpu.sh [BUILD_DIR] [REPEAT]
set -euo pipefail
build=${1:-build}
repeat=${2:-3}
attnc=$build/tools/attnc/attnc
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# name | N | grid | boxes mask | flat mask (lets on flat positions) | keys per query
cases=(
"natten2d|4096|y = 64, x = 64|window(y, 7) && window(x, 7)|let qy = q / 64\n  let qx = q % 64\n  let ky = k / 64\n  let kx = k % 64\n  let y0 = min(max(qy - 3, 0), 57)\n  let x0 = min(max(qx - 3, 0), 57)\n  mask ky >= y0 && ky < y0 + 7 && kx >= x0 && kx < x0 + 7|49"
"natten3d|8192|t = 8, y = 32, x = 32|window(t, 3) && window(y, 7) && window(x, 7)|let qt = q / 1024\n  let qy = q / 32 % 32\n  let qx = q % 32\n  let kt = k / 1024\n  let ky = k / 32 % 32\n  let kx = k % 32\n  let t0 = min(max(qt - 1, 0), 5)\n  let y0 = min(max(qy - 3, 0), 25)\n  let x0 = min(max(qx - 3, 0), 25)\n  mask kt >= t0 && kt < t0 + 3 && ky >= y0 && ky < y0 + 7 && kx >= x0 && kx < x0 + 7|147"
"gna2d_blocked|4096|y = 64, x = 64|window(y, 8, stride = 8) && window(x, 8, stride = 8)|mask q / 64 / 8 == k / 64 / 8 && q % 64 / 8 == k % 64 / 8|64"
)
spec() { # name body
  printf 'attention %s {\n  heads 4\n  head_dim 64\n  dtype f32\n  %b\n}\n' "$1" "$2"
}
time_of() { # spec N
  "$attnc" run "$1" --backend cpu --package "$dir/pkg_$(basename "$1" .attn)" \
    --random "1,$2" --seed 1 --repeat "$repeat" | sed -n 's/^time: \([0-9.]*\) ms.*/\1/p'
}
spec dense "" > "$dir/dense.attn"
printf '%-14s %6s %9s %9s %9s %8s %8s %8s %8s\n' case N boxes_ms flat_ms dense_ms visited elements target boxes/target
for c in "${cases[@]}"; do
  IFS='|' read -r name n grid boxmask flatmask keys <<<"$c"
  spec "${name}_boxes" "grid $grid\n  mask $boxmask" > "$dir/${name}_boxes.attn"
  spec "${name}_flat" "$flatmask" > "$dir/${name}_flat.attn"
  for s in "${name}_boxes" "${name}_flat"; do
    "$attnc" compile "$dir/$s.attn" -o "$dir/pkg_$s" --no-cuda-build > /dev/null
  done
  [ -d "$dir/pkg_dense" ] || "$attnc" compile "$dir/dense.attn" -o "$dir/pkg_dense" --no-cuda-build > /dev/null
  visited=$("$attnc" explain "$dir/${name}_boxes.attn" --len "$n" | sed -n 's/^grid boxes.* visited (\([0-9.]*\)%.*/\1/p')
  tb=$(time_of "$dir/${name}_boxes.attn" "$n")
  tf=$(time_of "$dir/${name}_flat.attn" "$n")
  td=$(time_of "$dir/dense.attn" "$n")
  python3 - "$name" "$n" "$tb" "$tf" "$td" "$visited" "$keys" <<'PY'
import sys
name, n, tb, tf, td, visited, keys = sys.argv[1:]
n, tb, tf, td, v, keys = int(n), float(tb), float(tf), float(td), float(visited) / 100, int(keys)
target = v * td
print("%-14s %6d %9.1f %9.1f %9.1f %7.1f%% %7.2f%% %8.1f %8.2fx" %
      (name, n, tb, tf, td, 100 * v, 100 * keys / n, target, tb / target))
PY
done
