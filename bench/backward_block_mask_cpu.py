#!/usr/bin/env python3
"""The CPU backward of a document mask with and without its block mask
(docs/benchmarks.md, "CPU: the backward over the forward's block mask"):
one forward (with its block mask), then the backward, in one process;
`auto` lets the runtime build the block mask the backward walks, `static`
switches it off for the backward (the static causal plan, the mask
evaluated per element). Time the
two modes side by side as whole processes.

usage: backward_block_mask_cpu.py LIBATTNC_RUNTIME PACKAGE auto|static [N] [MEAN_DOC]
PACKAGE: examples/document.attn compiled with --backward (heads 4,
head_dim 64, f32, param doc: i32[b, n]).
"""
import ctypes
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "test", "Runtime", "Inputs"))
from c_tensor import F32, I32, BackwardTensors, Tensor, tensor  # noqa: E402

TP = ctypes.POINTER(Tensor)


def main():
    lib = ctypes.CDLL(sys.argv[1])
    mode = sys.argv[3]
    N = int(sys.argv[4]) if len(sys.argv) > 4 else 4096
    mean_doc = int(sys.argv[5]) if len(sys.argv) > 5 else 256
    lib.attnc_last_error.restype = ctypes.c_char_p
    lib.attnc_package_open.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.attnc_package_set_auto_block_mask.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.attnc_run_cpu.argtypes = [ctypes.c_void_p] + [TP] * 6 + [ctypes.c_int]
    lib.attnc_run_cpu_backward.argtypes = [ctypes.c_void_p] + [TP] * 6 + [
        ctypes.c_int, ctypes.POINTER(BackwardTensors)]
    pkg = ctypes.c_void_p()
    if lib.attnc_package_open(sys.argv[2].encode(), ctypes.byref(pkg)) != 0:
        sys.exit("open: " + lib.attnc_last_error().decode())
    rng = np.random.default_rng(0)
    B, H, D = 1, 4, 64
    q, k, v, dout = (rng.standard_normal((B, H, N, D), dtype=np.float32) for _ in range(4))
    doc = np.zeros((B, N), dtype=np.int32)
    cuts = np.cumsum(rng.integers(1, 2 * mean_doc, size=N))
    doc[0] = np.searchsorted(cuts, np.arange(N), side="right")
    o, lse = np.zeros_like(q), np.zeros((B, H, N), dtype=np.float32)
    dq, dk, dv = np.zeros_like(q), np.zeros_like(k), np.zeros_like(v)
    t = {n: tensor(a, I32 if n == "doc" else F32)
         for n, a in dict(q=q, k=k, v=v, o=o, lse=lse, doc=doc, dout=dout, dq=dq, dk=dk, dv=dv).items()}
    if lib.attnc_run_cpu(pkg, t["q"], t["k"], t["v"], t["o"], t["lse"], t["doc"], 1) != 0:
        sys.exit("forward: " + lib.attnc_last_error().decode())
    # The forward always with its block mask; the backward as asked.
    lib.attnc_package_set_auto_block_mask(pkg, 1 if mode == "auto" else 0)
    g = BackwardTensors(*(ctypes.pointer(t[n]) for n in ("dout", "dq", "dk", "dv")), None)
    if lib.attnc_run_cpu_backward(pkg, t["q"], t["k"], t["v"], t["o"], t["lse"], t["doc"], 1,
                                  ctypes.byref(g)) != 0:
        sys.exit("backward: " + lib.attnc_last_error().decode())
    print(mode, "max|dq|", float(np.abs(dq).max()))


if __name__ == "__main__":
    main()
