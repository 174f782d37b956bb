#!/usr/bin/env python3
"""Automatic block masks (docs/runtime.md §3b) through the C API: a package
whose mask reads a param says so (attnc_package_auto_block_mask), the switch
turns it off and on, and attnc_run_cpu gives the same o and lse with the
automatic block mask, without it (the static plan) and with a block mask
built by hand; a package whose mask reads no param never builds one.

usage: auto_block_mask.py LIBATTNC_RUNTIME DOC_PACKAGE CAUSAL_PACKAGE
DOC_PACKAGE: test/Runtime/Inputs/verify.attn (heads 4, kv_heads 2,
head_dim 16, f32, param doc: i32[b, n]); CAUSAL_PACKAGE: the same without
the param.
"""
import ctypes
import sys

import numpy as np

from c_tensor import F32, I32, Tensor, tensor


def main():
    lib = ctypes.CDLL(sys.argv[1])
    lib.attnc_last_error.restype = ctypes.c_char_p
    lib.attnc_package_open.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.attnc_package_auto_block_mask.argtypes = [ctypes.c_void_p]
    lib.attnc_package_set_auto_block_mask.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.attnc_run_cpu.argtypes = [ctypes.c_void_p] + [ctypes.POINTER(Tensor)] * 6 + [ctypes.c_int]
    lib.attnc_block_mask_build_cpu.argtypes = [ctypes.c_void_p] + [ctypes.POINTER(Tensor)] * 4 + [
        ctypes.c_int, ctypes.POINTER(ctypes.c_void_p)]
    lib.attnc_run_cpu_block_mask.argtypes = [ctypes.c_void_p] + [ctypes.POINTER(Tensor)] * 6 + [
        ctypes.c_int, ctypes.c_void_p]
    lib.attnc_block_mask_free.argtypes = [ctypes.c_void_p]

    def open_package(path):
        handle = ctypes.c_void_p()
        if lib.attnc_package_open(path.encode(), ctypes.byref(handle)) != 0:
            sys.exit("open: " + lib.attnc_last_error().decode())
        return handle

    doc_pkg, causal_pkg = open_package(sys.argv[2]), open_package(sys.argv[3])
    print("doc auto:", lib.attnc_package_auto_block_mask(doc_pkg))
    print("causal auto:", lib.attnc_package_auto_block_mask(causal_pkg))
    print("null package:", lib.attnc_package_set_auto_block_mask(None, 0) != 0)

    rng = np.random.default_rng(7)
    B, H, G, N, D = 2, 4, 2, 300, 16  # N no multiple of the 64-row tiles
    q = rng.standard_normal((B, H, N, D), dtype=np.float32)
    k = rng.standard_normal((B, G, N, D), dtype=np.float32)
    v = rng.standard_normal((B, G, N, D), dtype=np.float32)
    # Documents of random lengths 1..40: most tiles hold no visible key.
    doc = np.zeros((B, N), dtype=np.int32)
    for b in range(B):
        cuts = np.cumsum(rng.integers(1, 41, size=N))
        doc[b] = np.searchsorted(cuts, np.arange(N), side="right")
    tq, tk, tv, tdoc = tensor(q, F32), tensor(k, F32), tensor(v, F32), tensor(doc, I32)

    def run(build_by_hand=False):
        o = np.full((B, H, N, D), np.nan, dtype=np.float32)
        lse = np.full((B, H, N), np.nan, dtype=np.float32)
        to, tl = tensor(o, F32), tensor(lse, F32)
        if build_by_hand:
            mask = ctypes.c_void_p()
            if lib.attnc_block_mask_build_cpu(doc_pkg, tq, tk, tv, tdoc, 1, ctypes.byref(mask)):
                sys.exit("build: " + lib.attnc_last_error().decode())
            status = lib.attnc_run_cpu_block_mask(doc_pkg, tq, tk, tv, to, tl, tdoc, 1, mask)
            lib.attnc_block_mask_free(mask)
        else:
            status = lib.attnc_run_cpu(doc_pkg, tq, tk, tv, to, tl, tdoc, 1)
        if status != 0:
            sys.exit("run: " + lib.attnc_last_error().decode())
        return o, lse

    o_auto, lse_auto = run()
    lib.attnc_package_set_auto_block_mask(doc_pkg, 0)
    print("doc auto after off:", lib.attnc_package_auto_block_mask(doc_pkg))
    o_static, lse_static = run()
    lib.attnc_package_set_auto_block_mask(doc_pkg, 1)
    print("doc auto after on:", lib.attnc_package_auto_block_mask(doc_pkg))
    o_hand, lse_hand = run(build_by_hand=True)
    # The same tiles in the same order with the same visible elements: the
    # results agree to float rounding (both f32).
    for name, a, b in (("o auto/static", o_auto, o_static), ("lse auto/static", lse_auto, lse_static),
                       ("o auto/by hand", o_auto, o_hand), ("lse auto/by hand", lse_auto, lse_hand)):
        diff = float(np.max(np.abs(a - b)))
        print(f"{name}: {'ok' if np.isfinite(a).all() and diff <= 1e-5 else 'FAIL'} ({diff:.1e})")


if __name__ == "__main__":
    main()
