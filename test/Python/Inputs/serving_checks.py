"""The attnc package's serving calls on numpy arrays (docs/python.md,
docs/runtime.md §3e to §3g): Kernel.varlen (packed batches) against each
sequence run alone through Kernel.__call__, Kernel.paged with packed and
dense queries against the unpacked run (identical: same rows, same
arithmetic), split-KV decode against the unsplit result, and the errors a
user meets (a float table, a kernel that is not ragged, a bad layout). f32
and bf16, GQA, a document mask (an i32 parameter), lengths 0 and 1.
Usage: serving_checks.py TMPDIR (ATTNC_BIN and ATTNC_CACHE_DIR set)."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import FORWARD_TOL, check, expect, randn

import attnc

tmp = sys.argv[1]
os.makedirs(tmp, exist_ok=True)

SPEC = """attention serve_doc {
  heads 4
  kv_heads 2
  head_dim 32
  dtype f32
  param doc: i32[b, n]
  mask doc[b, q] == doc[b, k] && causal
}
"""

rng = np.random.default_rng(31)
qlens, klens = [37, 1, 3, 20], [90, 1, 0, 20]
B, PK = len(qlens), max(klens)
cq = np.concatenate([[0], np.cumsum(qlens)]).astype(np.int32)
ck = np.concatenate([[0], np.cumsum(klens)]).astype(np.int32)
doc = np.cumsum(rng.random((B, PK)) < 0.05, axis=1).astype(np.int32)
for dtype in ("f32", "bf16"):
    kern = attnc.compile(SPEC, dtype=dtype)
    q = randn(rng, (int(cq[-1]), 4, 32), dtype)
    k = randn(rng, (int(ck[-1]), 2, 32), dtype)
    v = randn(rng, (int(ck[-1]), 2, 32), dtype)
    o, lse = kern.varlen(q, k, v, cq, ck, lse=True, doc=doc)
    expect(f"{dtype}: varlen shapes", o.shape == q.shape and lse.shape == (4, cq[-1]),
           f"{o.shape} {lse.shape}")
    # Each sequence alone, densely ([1, H, N, D]).
    worst = 0.0
    for b in range(B):
        if qlens[b] == 0 or klens[b] == 0:
            continue
        rows = slice(cq[b], cq[b + 1])
        keys = slice(ck[b], ck[b + 1])
        od = kern(q[rows].transpose(1, 0, 2)[None].copy(), k[keys].transpose(1, 0, 2)[None].copy(),
                  v[keys].transpose(1, 0, 2)[None].copy(), doc=doc[b:b + 1, :klens[b]].copy())
        worst = max(worst, check(f"{dtype}: varlen sequence {b} vs alone",
                                 o[rows], od[0].transpose(1, 0, 2), FORWARD_TOL[dtype]))
    expect(f"{dtype}: a sequence without keys gives o = 0 and lse = -inf",
           np.all(o[cq[2]:cq[3]] == 0) and np.all(lse[:, cq[2]:cq[3]] == -np.inf), "")
    # The same keys in pages of 16, shuffled, NHD and HND.
    S = 16
    per = [(n + S - 1) // S for n in klens]
    P = sum(per) + 1
    order = rng.permutation(P).astype(np.int32)
    table = np.zeros((B, max(per)), np.int32)
    kp = np.zeros((P, S, 2, 32), q.dtype)
    vp = np.zeros((P, S, 2, 32), q.dtype)
    nxt = 0
    for b in range(B):
        for j in range(per[b]):
            table[b, j] = order[nxt]
            nxt += 1
        for t in range(klens[b]):
            kp[table[b, t // S], t % S] = k[ck[b] + t]
            vp[table[b, t // S], t % S] = v[ck[b] + t]
    lens = np.array(klens, np.int32)
    op, lp = kern.paged(q, kp, vp, table, lens, cu_seqlens_q=cq, lse=True, doc=doc)
    expect(f"{dtype}: paged (packed queries, nhd) identical to varlen",
           np.array_equal(op, o) and np.array_equal(lp, lse), "")
    oh = kern.paged(q, np.ascontiguousarray(kp.transpose(0, 2, 1, 3)),
                    np.ascontiguousarray(vp.transpose(0, 2, 1, 3)), table, lens,
                    cu_seqlens_q=cq, page_layout="hnd", doc=doc)
    expect(f"{dtype}: paged hnd identical to nhd", np.array_equal(oh, op), "")

# Decode: dense queries [B, H, 1, D] against paged caches (a mask without
# params, so no block mask and split-KV applies), split-KV forced against
# unsplit (the CPU rule never splits on few threads).
kern = attnc.compile("""attention serve_dec {
  heads 4
  kv_heads 2
  head_dim 32
  dtype f32
  mask causal && q - k < 200
}
""")
Bd, Nk, S = 3, 300, 16
q = randn(rng, (Bd, 4, 1, 32), "f32")
kd = randn(rng, (Bd, 2, Nk, 32), "f32")
vd = randn(rng, (Bd, 2, Nk, 32), "f32")
dense = kern(q, kd, vd)
per = (Nk + S - 1) // S
table = np.arange(Bd * per, dtype=np.int32)[::-1].reshape(Bd, per).copy()
kp = np.zeros((Bd * per, S, 2, 32), np.float32)
vp = np.zeros((Bd * per, S, 2, 32), np.float32)
for b in range(Bd):
    for t in range(Nk):
        kp[table[b, t // S], t % S] = kd[b, :, t]
        vp[table[b, t // S], t % S] = vd[b, :, t]
lens = np.full(Bd, Nk, np.int32)
od = kern.paged(q, kp, vp, table, lens)
expect("decode: paged dense queries identical to the dense call", np.array_equal(od, dense), "")
kern.set_kv_splits(4)
os_ = kern.paged(q, kp, vp, table, lens)
kern.set_kv_splits(0)
check("decode: 4 kv splits vs none", os_, od, FORWARD_TOL["f32"])
expect("decode: the split result is not bit-identical (it did split)",
       not np.array_equal(os_, od), "")

# Errors.
try:
    kern.paged(q, kp, vp, table.astype(np.float32), lens)
    expect("a float block table is refused", False, "no error")
except TypeError as e:
    expect("a float block table is refused", "must hold integers" in str(e), str(e))
bad = table.copy()
bad[1, 0] = 10 ** 6
try:
    kern.paged(q, kp, vp, bad, lens)
    expect("a page outside the pool is refused", False, "no error")
except attnc.RuntimeError_ as e:
    expect("a page outside the pool is refused",
           "entry [1, 0] is 1000000, outside the pool's" in str(e), str(e))
try:
    kern.paged(q, kp, vp, table, lens, page_layout="bhnd")
    expect("an unknown page layout is refused", False, "no error")
except ValueError as e:
    expect("an unknown page layout is refused", "page_layout" in str(e), str(e))
lin = attnc.compile("""attention lin_serve {
  heads 2
  head_dim 16
  dtype f32
  linear
  feature elu1
}
""")
try:
    lin.varlen(randn(rng, (5, 2, 16), "f32"), randn(rng, (5, 2, 16), "f32"),
               randn(rng, (5, 2, 16), "f32"), [0, 5], [0, 5])
    expect("a linear kernel refuses packed batches", False, "no error")
except ValueError as e:
    expect("a linear kernel refuses packed batches", "not ragged" in str(e), str(e))
print("serving checks done")
