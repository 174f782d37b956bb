#!/usr/bin/env python3
"""Runs a `permute` spec (docs/language.md §3d) on the CPU backend, checked
against the reference executor (attnc run --check), on random inputs whose
routing ids are unsorted random integers: the kernel must sort the tokens
by id to find its tiles, and the order in the tensors is kept.

usage: run_routed.py ATTNC SPEC B Nq Nk IDS SEED [--package DIR]
  IDS: how many distinct ids; every i32 parameter of the spec gets random
  ids in [0, IDS) over its shape (b, h, n letters as the spec declares).
"""
import os
import re
import subprocess
import sys
import tempfile

import numpy as np


def main():
    attnc, spec, B, Nq, Nk, ids, seed = sys.argv[1:8]
    B, Nq, Nk, ids, seed = int(B), int(Nq), int(Nk), int(ids), int(seed)
    extra = sys.argv[8:]
    text = open(spec).read()
    heads = int(re.search(r"^\s*heads\s+(\d+)", text, re.M).group(1))
    kv = re.search(r"^\s*kv_heads\s+(\d+)", text, re.M)
    G = int(kv.group(1)) if kv else heads
    D = int(re.search(r"^\s*head_dim\s+(\d+)", text, re.M).group(1))
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as tmp:
        arrays = {"q": rng.standard_normal((B, heads, Nq, D)),
                  "k": rng.standard_normal((B, G, Nk, D)),
                  "v": rng.standard_normal((B, G, Nk, D))}
        for name, dims in re.findall(r"^\s*param\s+(\w+)\s*:\s*i32\[([^\]]*)\]", text, re.M):
            size = {"b": B, "h": heads, "n": max(Nq, Nk)}
            shape = [size[d.strip()] for d in dims.split(",")]
            arrays[name] = rng.integers(0, ids, size=shape).astype(np.int32)
        args = [attnc, "run", spec, "--backend", "cpu", "--check"] + extra
        for name, a in arrays.items():
            path = os.path.join(tmp, name + ".npy")
            np.save(path, a.astype(np.float32) if a.dtype != np.int32 else a)
            args += ["--input", f"{name}={path}"]
        r = subprocess.run(args, capture_output=True, text=True)
        sys.stdout.write(r.stdout)
        sys.stderr.write(r.stderr)
        sys.exit(r.returncode)


if __name__ == "__main__":
    main()
