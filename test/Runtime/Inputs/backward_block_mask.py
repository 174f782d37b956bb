#!/usr/bin/env python3
"""The CPU backward over the forward's block mask (docs/runtime.md §3c)
through the C API: dq, dk and dv agree when the backward walks the
automatic block mask (attnc_run_cpu_backward on a package with
auto_block_mask), the static plan (the switch off) and a mask built by hand
(attnc_run_cpu_backward_block_mask); a null mask is refused. Prints one
line per comparison; a mutated kernel that misreads the mask shows as FAIL.

usage: backward_block_mask.py LIBATTNC_RUNTIME PACKAGE
PACKAGE: test/Runtime/Inputs/verify.attn compiled with --backward (heads
4, kv_heads 2, head_dim 16, f32, param doc: i32[b, n]).
"""
import ctypes
import sys

import numpy as np

from c_tensor import F32, I32, BackwardTensors, Tensor, tensor

TP = ctypes.POINTER(Tensor)


def main():
    lib = ctypes.CDLL(sys.argv[1])
    lib.attnc_last_error.restype = ctypes.c_char_p
    lib.attnc_package_open.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.attnc_package_set_auto_block_mask.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.attnc_run_cpu.argtypes = [ctypes.c_void_p] + [TP] * 6 + [ctypes.c_int]
    lib.attnc_run_cpu_backward.argtypes = [ctypes.c_void_p] + [TP] * 6 + [
        ctypes.c_int, ctypes.POINTER(BackwardTensors)]
    lib.attnc_run_cpu_backward_block_mask.argtypes = [ctypes.c_void_p] + [TP] * 6 + [
        ctypes.c_int, ctypes.POINTER(BackwardTensors), ctypes.c_void_p]
    lib.attnc_block_mask_build_cpu.argtypes = [ctypes.c_void_p] + [TP] * 4 + [
        ctypes.c_int, ctypes.POINTER(ctypes.c_void_p)]
    lib.attnc_block_mask_free.argtypes = [ctypes.c_void_p]

    pkg = ctypes.c_void_p()
    if lib.attnc_package_open(sys.argv[2].encode(), ctypes.byref(pkg)) != 0:
        sys.exit("open: " + lib.attnc_last_error().decode())

    rng = np.random.default_rng(11)
    B, H, G, N, D = 2, 4, 2, 300, 16  # N no multiple of the tiles
    q = rng.standard_normal((B, H, N, D), dtype=np.float32)
    k = rng.standard_normal((B, G, N, D), dtype=np.float32)
    v = rng.standard_normal((B, G, N, D), dtype=np.float32)
    dout = rng.standard_normal((B, H, N, D), dtype=np.float32)
    # Documents of random lengths 1..40: most tiles hold no visible key.
    doc = np.zeros((B, N), dtype=np.int32)
    for b in range(B):
        cuts = np.cumsum(rng.integers(1, 41, size=N))
        doc[b] = np.searchsorted(cuts, np.arange(N), side="right")
    tq, tk, tv, tdoc, tdout = (tensor(q, F32), tensor(k, F32), tensor(v, F32), tensor(doc, I32),
                               tensor(dout, F32))
    o = np.zeros((B, H, N, D), dtype=np.float32)
    lse = np.zeros((B, H, N), dtype=np.float32)
    to, tl = tensor(o, F32), tensor(lse, F32)
    if lib.attnc_run_cpu(pkg, tq, tk, tv, to, tl, tdoc, 1) != 0:
        sys.exit("forward: " + lib.attnc_last_error().decode())

    def backward(mask=None, null_mask=False):
        dq, dk, dv = (np.full(a.shape, np.nan, dtype=np.float32) for a in (q, k, v))
        tdq, tdk, tdv = tensor(dq, F32), tensor(dk, F32), tensor(dv, F32)
        g = BackwardTensors(ctypes.pointer(tdout), ctypes.pointer(tdq), ctypes.pointer(tdk),
                            ctypes.pointer(tdv), None)
        if mask is not None or null_mask:
            status = lib.attnc_run_cpu_backward_block_mask(pkg, tq, tk, tv, to, tl, tdoc, 1,
                                                           ctypes.byref(g), mask)
        else:
            status = lib.attnc_run_cpu_backward(pkg, tq, tk, tv, to, tl, tdoc, 1, ctypes.byref(g))
        if null_mask:
            return status, lib.attnc_last_error().decode()
        if status != 0:
            sys.exit("backward: " + lib.attnc_last_error().decode())
        return dq, dk, dv

    auto = backward()
    lib.attnc_package_set_auto_block_mask(pkg, 0)
    static = backward()
    lib.attnc_package_set_auto_block_mask(pkg, 1)
    mask = ctypes.c_void_p()
    if lib.attnc_block_mask_build_cpu(pkg, tq, tk, tv, tdoc, 1, ctypes.byref(mask)):
        sys.exit("build: " + lib.attnc_last_error().decode())
    by_hand = backward(mask)
    lib.attnc_block_mask_free(mask)
    status, message = backward(null_mask=True)
    print(f"null mask: {status} {message}")
    # The same visible elements, tile by tile in the same order: equal to
    # float rounding (f32).
    for label, got in (("auto/static", auto), ("by hand/static", by_hand)):
        for name, a, b in zip(("dq", "dk", "dv"), got, static):
            diff = float(np.max(np.abs(a - b)))
            ok = np.isfinite(a).all() and diff <= 1e-5
            print(f"{name} {label}: {'ok' if ok else 'FAIL'} ({diff:.1e})")

if __name__ == "__main__":
    main()
