#!/usr/bin/env python3
"""CPU benchmark of `permute` (docs/benchmarks.md, "CPU: tokens routed by
id"): clustered attention with unsorted random cluster ids, the same spec
with and without `permute`, same inputs, `attnc run --repeat` medians in
one process each (times exclude compilation and I/O). Without `permute`
the mask reads a param, so the runtime builds a block mask per call
(every tile holds some pair of one cluster: all tiles visited, partial).

usage: bench_routed_cpu.py ATTNC [N] [CLUSTERS] [REPEAT]
"""
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

SPEC = """attention clusters{suffix} {{
  heads 4
  head_dim 64
  dtype f32
  param cluster: i32[b, n]
  mask cluster[b, q] == cluster[b, k] && causal
{permute}}}
"""


def main():
    attnc = sys.argv[1]
    N = int(sys.argv[2]) if len(sys.argv) > 2 else 4096
    clusters = int(sys.argv[3]) if len(sys.argv) > 3 else 16
    repeat = sys.argv[4] if len(sys.argv) > 4 else "3"
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        inputs = {"q": rng.standard_normal((1, 4, N, 64)), "k": rng.standard_normal((1, 4, N, 64)),
                  "v": rng.standard_normal((1, 4, N, 64))}
        args = []
        for name, a in inputs.items():
            np.save(f"{tmp}/{name}.npy", a.astype(np.float32))
            args += ["--input", f"{name}={tmp}/{name}.npy"]
        np.save(f"{tmp}/cluster.npy", rng.integers(0, clusters, size=(1, N)).astype(np.int32))
        args += ["--input", f"cluster={tmp}/cluster.npy"]
        times = {}
        for mode, permute in (("permute", "  permute\n"), ("in order", "")):
            spec = f"{tmp}/s{len(times)}.attn"
            with open(spec, "w") as f:
                f.write(SPEC.format(suffix=len(times), permute=permute))
            pkg = f"{tmp}/pkg{len(times)}"
            subprocess.run([attnc, "compile", spec, "-o", pkg, "--no-cuda-build"], check=True,
                           capture_output=True)
            out = subprocess.run([attnc, "run", spec, "--backend", "cpu", "--package", pkg,
                                  "--repeat", repeat] + args, check=True, capture_output=True,
                                 text=True).stdout
            times[mode] = float(re.search(r"^time: ([0-9.]+) ms", out, re.M).group(1))
        print(f"N={N} clusters={clusters} B=1 H=4 D=64 f32 causal: permute {times['permute']:.1f} ms, "
              f"in order (runtime block mask) {times['in order']:.1f} ms, "
              f"ratio {times['in order'] / times['permute']:.2f}x")


if __name__ == "__main__":
    main()
