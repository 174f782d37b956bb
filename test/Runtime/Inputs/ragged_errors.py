#!/usr/bin/env python3
"""attnc_run_cpu_varlen's checks (docs/runtime.md §3e) through the C API:
every bad call returns ATTNC_ERROR_INVALID_ARGUMENT (or UNSUPPORTED) with
its message and writes nothing; a good call after them still runs, and a
batch without any query row returns OK without touching o.

usage: ragged_errors.py LIBATTNC_RUNTIME PACKAGE_DIR [NON_RAGGED_PACKAGE
                        [NON_RAGGED_PACKAGE_CLAIMING_RAGGED]]
The package: heads 4, kv_heads 2, head_dim 16, f32, param doc: i32[b, n].
"""
import ctypes
import sys

import numpy as np

from c_tensor import F32, I32, Tensor, tensor


class Varlen(ctypes.Structure):
    _fields_ = [("cu_seqlens_q", ctypes.POINTER(Tensor)),
                ("cu_seqlens_k", ctypes.POINTER(Tensor))]


def main():
    lib = ctypes.CDLL(sys.argv[1])
    lib.attnc_last_error.restype = ctypes.c_char_p
    lib.attnc_status_name.restype = ctypes.c_char_p
    lib.attnc_package_open.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.attnc_run_cpu_varlen.argtypes = ([ctypes.c_void_p] + [ctypes.c_void_p] * 6 +
                                         [ctypes.c_int, ctypes.c_void_p])
    lib.attnc_package_has_ragged_cpu.argtypes = [ctypes.c_void_p]
    pkg = ctypes.c_void_p()
    assert lib.attnc_package_open(sys.argv[2].encode(), ctypes.byref(pkg)) == 0
    print("has_ragged_cpu:", lib.attnc_package_has_ragged_cpu(pkg))
    rng = np.random.default_rng(0)
    H, G, D = 4, 2, 16

    def call(cu_q, cu_k, tq=None, tk=None, lse_shape=None, doc_shape=None,
             cu_dtype=I32, package=pkg, null_varlen=False):
        cu_q = np.asarray(cu_q, dtype=np.int32) if not isinstance(cu_q, np.ndarray) else cu_q
        cu_k = np.asarray(cu_k, dtype=np.int32) if not isinstance(cu_k, np.ndarray) else cu_k
        tq = int(cu_q[-1]) if tq is None else tq
        tk = int(cu_k[-1]) if tk is None else tk
        q = rng.standard_normal((tq, H, D)).astype(np.float32)
        k = rng.standard_normal((tk, G, D)).astype(np.float32)
        v = rng.standard_normal((tk, G, D)).astype(np.float32)
        o = np.full((tq, H, D), 7.0, dtype=np.float32)
        lse = np.full(lse_shape or (H, tq), 7.0, dtype=np.float32)
        b = len(cu_q) - 1
        lk = max(1, int(np.max(np.diff(cu_k)))) if len(cu_k) > 1 else 1
        doc = np.zeros(doc_shape or (max(b, 1), lk), dtype=np.int32)
        tensors = [tensor(q, F32), tensor(k, F32), tensor(v, F32),
                   tensor(o, F32), tensor(lse, F32)]
        tcq, tck, tdoc = tensor(cu_q, cu_dtype), tensor(cu_k, I32), tensor(doc, I32)
        varlen = Varlen(ctypes.pointer(tcq), ctypes.pointer(tck))
        status = lib.attnc_run_cpu_varlen(
            package, *[ctypes.byref(t) for t in tensors], ctypes.byref(tdoc), 1,
            None if null_varlen else ctypes.byref(varlen))
        untouched = bool(np.all(o == 7.0) and np.all(lse == 7.0))
        name = lib.attnc_status_name(status).decode()
        message = lib.attnc_last_error().decode() if status else "ok"
        print(f"{name}: {message}" + ("" if status == 0 or untouched
                                      else " (BUG: outputs written)"))
        return o, lse

    call([0, 3, 5], [0, 3, 2])                       # k offsets decrease
    call([0, 4, 4, 9], [0, 5, 5])                    # wrong length
    call([1, 3], [0, 3])                             # not starting at 0
    call([0], [0])                                   # no sequence
    call([0, 3, 5], [0, 3, 5], tq=6)                 # total mismatch, q
    call([0, 3, 5], [0, 3, 5], tk=4)                 # total mismatch, k
    call([0, 3, 5], [0, 3, 5], lse_shape=(5, H))     # lse [total_q, H]
    call([0, 3, 5], [0, 3, 9], doc_shape=(2, 5))     # doc at the padded Nk
    call(np.array([0, 3, 5], dtype=np.float32), [0, 3, 5], cu_dtype=F32)
    call([0, 3, 5], [0, 3, 5], null_varlen=True)
    o, lse = call([0, 0, 0], [0, 4, 4])              # no query rows: ok
    o, lse = call([0, 2, 3], [0, 0, 5])              # sequence 0 has no keys
    print("no keys: o zero", bool(np.all(o[:2] == 0)), "lse -inf",
          bool(np.all(lse[:, :2] == -np.inf)))
    if len(sys.argv) > 3:
        other = ctypes.c_void_p()
        assert lib.attnc_package_open(sys.argv[3].encode(), ctypes.byref(other)) == 0
        print("has_ragged_cpu:", lib.attnc_package_has_ragged_cpu(other))
        call([0, 3, 5], [0, 3, 5], package=other)
    if len(sys.argv) > 4:
        # The same package with a manifest that claims a ragged CPU entry:
        # the kernel's signature has no ragged=1, so the call is refused
        # before the kernel could read the packed tensors as dense ones.
        edited = ctypes.c_void_p()
        assert lib.attnc_package_open(sys.argv[4].encode(), ctypes.byref(edited)) == 0
        print("has_ragged_cpu:", lib.attnc_package_has_ragged_cpu(edited))
        call([0, 3, 5], [0, 3, 5], package=edited)


if __name__ == "__main__":
    main()
