#!/usr/bin/env python3
"""attnc_run_cpu_paged's checks (docs/runtime.md §3f) through the C API:
every bad call returns ATTNC_ERROR_INVALID_ARGUMENT (or UNSUPPORTED) with
its message and writes nothing; good calls after them still run: dense and
packed queries, a sequence without keys (o = 0, lse = -inf), entries past a
sequence's pages that are not page indices (never read), and a block table
whose rows are wider than max_pages (its row stride is honored).

usage: paged_errors.py LIBATTNC_RUNTIME PACKAGE_DIR [NON_RAGGED_PACKAGE]
The package: heads 4, kv_heads 2, head_dim 16, f32, param doc: i32[b, n].
"""
import ctypes
import sys

import numpy as np

from c_tensor import F32, I32, Tensor, tensor

NHD, HND = 0, 1


class PagedKv(ctypes.Structure):
    _fields_ = [("layout", ctypes.c_int),
                ("block_table", ctypes.POINTER(Tensor)),
                ("kv_lens", ctypes.POINTER(Tensor)),
                ("cu_seqlens_q", ctypes.POINTER(Tensor))]


def main():
    lib = ctypes.CDLL(sys.argv[1])
    lib.attnc_last_error.restype = ctypes.c_char_p
    lib.attnc_status_name.restype = ctypes.c_char_p
    lib.attnc_package_open.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.attnc_run_cpu_paged.argtypes = ([ctypes.c_void_p] + [ctypes.c_void_p] * 6 +
                                        [ctypes.c_int, ctypes.c_void_p])
    pkg = ctypes.c_void_p()
    assert lib.attnc_package_open(sys.argv[2].encode(), ctypes.byref(pkg)) == 0
    rng = np.random.default_rng(0)
    H, G, D = 4, 2, 16

    def call(lens, table, pages=6, page=4, layout=NHD, nq=3, cu_q=None,
             q_shape=None, v_pages=None, lse_shape=None, doc_shape=None,
             table_dtype=np.int32, package=pkg, null_paged=False, seed=None):
        nonlocal rng
        if seed is not None:
            rng = np.random.default_rng(seed)
        lens = np.asarray(lens, dtype=np.int32)
        table = table if isinstance(table, np.ndarray) else np.asarray(table, dtype=table_dtype)
        b = len(lens)
        pool = (pages, page, G, D) if layout in (NHD, 7) else (pages, G, page, D)
        k = rng.standard_normal(pool).astype(np.float32)
        vpool = list(pool)
        vpool[0] = v_pages or pages
        v = rng.standard_normal(vpool).astype(np.float32)
        if cu_q is not None:
            cu_q = np.asarray(cu_q, dtype=np.int32)
            tq = int(cu_q[-1])
            q = rng.standard_normal(q_shape or (tq, H, D)).astype(np.float32)
            o = np.full((tq, H, D), 7.0, dtype=np.float32)
            lse = np.full(lse_shape or (H, tq), 7.0, dtype=np.float32)
        else:
            q = rng.standard_normal(q_shape or (b, H, nq, D)).astype(np.float32)
            o = np.full((b, H, nq, D), 7.0, dtype=np.float32)
            lse = np.full(lse_shape or (b, H, nq), 7.0, dtype=np.float32)
        doc = np.zeros(doc_shape or (b, max(1, int(lens.max()))), dtype=np.int32)
        tensors = [tensor(q, F32), tensor(k, F32), tensor(v, F32),
                   tensor(o, F32), tensor(lse, F32)]
        ttable = tensor(table, I32 if table_dtype == np.int32 else F32)
        tlens, tdoc = tensor(lens, I32), tensor(doc, I32)
        tcu = tensor(cu_q, I32) if cu_q is not None else None
        paged = PagedKv(layout, ctypes.pointer(ttable), ctypes.pointer(tlens),
                        ctypes.pointer(tcu) if tcu is not None else None)
        status = lib.attnc_run_cpu_paged(
            package, *[ctypes.byref(t) for t in tensors], ctypes.byref(tdoc), 1,
            None if null_paged else ctypes.byref(paged))
        untouched = bool(np.all(o == 7.0) and np.all(lse == 7.0))
        name = lib.attnc_status_name(status).decode()
        message = lib.attnc_last_error().decode() if status else "ok"
        print(f"{name}: {message}" + ("" if status == 0 or untouched
                                      else " (BUG: outputs written)"))
        return o, lse, q, k, v, doc

    good = [[0, 1, 2], [3, 4, 5]]
    call([9, 5], good, layout=7)                          # unknown layout
    call([9, 13], good)                                   # more keys than the row holds
    call([9, 5], [[0, 1, 6], [3, 4, 5]])                  # page 6 of a 6-page pool
    call([9, 5], [[0, 1, 2], [-1, 4, 5]])                 # negative page
    call([9, 5], [[0, 1], [3, 4]], doc_shape=(2, 9))      # lens fit, table rows too short
    call([9, 5, 2], good)                                 # table rows != B
    call([9, 5], good, v_pages=5)                         # v pool of another size
    call([9, 5], good, q_shape=(2, H, 3, D + 1))          # q head_dim
    call([9, 5], good, lse_shape=(2, 3, H))               # lse layout
    call([9, 5], good, cu_q=[0, 2, 3], lse_shape=(3, H))  # packed lse layout
    call([9, 5], good, cu_q=[0, 2])                       # cu_seqlens_q of B entries
    call([9, 5], good, doc_shape=(2, 5))                  # doc at the longest kv_lens
    call([9, 5], np.array(good, dtype=np.float32), table_dtype=np.float32)
    call([9, 5], good, null_paged=True)
    # Good calls: dense queries; packed queries; a sequence without keys and
    # garbage past its pages (never read).
    call([9, 5], good)
    call([9, 5], good, cu_q=[0, 2, 3], layout=HND)
    o, lse, *_ = call([0, 5], [[123456, -5, 99], [3, 4, 5]])
    print("no keys: o zero", bool(np.all(o[0] == 0)), "lse -inf",
          bool(np.all(lse[0] == -np.inf)))
    # A view of the first columns of a wider table (row stride 5).
    wide = np.array([[2, 0, 1, 8, 8], [5, 3, 4, 8, 8]], dtype=np.int32)
    o1, lse1, *_ = call([9, 5], wide[:, :3], seed=7)
    o2, lse2, *_ = call([9, 5], np.ascontiguousarray(wide[:, :3]), seed=7)
    print("strided table: same", bool(np.array_equal(o1, o2) and np.array_equal(lse1, lse2)))
    if len(sys.argv) > 3:
        other = ctypes.c_void_p()
        assert lib.attnc_package_open(sys.argv[3].encode(), ctypes.byref(other)) == 0
        call([9, 5], good, package=other)


if __name__ == "__main__":
    main()
