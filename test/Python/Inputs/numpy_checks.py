"""The attnc package on numpy arrays: forward (o, lse), backward (dq, dk,
dv, a learned parameter's gradient) for every dtype against the reference
executor; both layouts; the linear family's state; a DLPack producer; the
compile cache; explain. Inputs are seeded standard normal (never zeros),
lengths are no multiple of the 64 x 64 tile, Nq != Nk, GQA (4 heads over
2). Usage: numpy_checks.py TMPDIR (ATTNC_BIN and ATTNC_CACHE_DIR set)."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import (BACKWARD_TOL, FORWARD_TOL, PARAM_GRAD_TOL, check, doc_ids,
                    expect, randn, reference)

import attnc

tmp = sys.argv[1]
os.makedirs(tmp, exist_ok=True)

# Documents, causal, and a learned per-head ALiBi slope (so an i32 and an
# f32 parameter, and a parameter gradient).
SPEC = """attention doc_alibi {
  heads 4
  kv_heads 2
  head_dim 32
  dtype f32
  param doc: i32[b, n]
  param slope: f32[h]
  mask doc[b, q] == doc[b, k] && causal
  score s - slope[h] * (q - k)
}
"""

rng = np.random.default_rng(18)
B, NQ, NK = 2, 77, 141
for dtype in ("f32", "f16", "bf16"):
    kern = attnc.compile(SPEC, dtype=dtype, backward=True)
    expect(f"{dtype}: compiled", kern.dtype == dtype and kern.has_cpu_backward,
           repr(kern))
    q = randn(rng, (B, 4, NQ, 32), dtype)
    k = randn(rng, (B, 2, NK, 32), dtype)
    v = randn(rng, (B, 2, NK, 32), dtype)
    doc = doc_ids(rng, B, NK)
    slope = rng.uniform(0.05, 1.0, 4).astype(np.float32)
    o, lse = kern(q, k, v, lse=True, doc=doc, slope=slope)
    expect(f"{dtype}: o is numpy {dtype}, lse float32",
           o.dtype == q.dtype and o.shape == (B, 4, NQ, 32) and lse.dtype == np.float32
           and lse.shape == (B, 4, NQ))
    dout = randn(rng, o.shape, dtype)
    ref = reference(kern._spec_path, os.path.join(tmp, dtype),
                    {"q": q, "k": k, "v": v, "doc": doc, "slope": slope, "do": dout},
                    [("--output", "o"), ("--lse", "lse"), ("--grad", "q"), ("--grad", "k"),
                     ("--grad", "v"), ("--grad", "slope")], ["--backward"])
    check(f"{dtype}: o vs reference", o, ref["o"], FORWARD_TOL[dtype])
    check(f"{dtype}: lse vs reference", lse, ref["lse"], FORWARD_TOL["f32"])

    g = kern.backward(q, k, v, o, dout, lse=lse, doc=doc, slope=slope)
    expect(f"{dtype}: gradients' dtypes and shapes",
           g.dq.dtype == q.dtype and g.dk.shape == k.shape and g.dv.shape == v.shape
           and sorted(g.params) == ["slope"] and g.params["slope"].dtype == np.float32)
    for name, got in (("q", g.dq), ("k", g.dk), ("v", g.dv), ("slope", g.params["slope"])):
        tol = (PARAM_GRAD_TOL if name == "slope" else BACKWARD_TOL)[dtype]
        check(f"{dtype}: d{name} vs reference", got, ref[name], tol)

    # [B, N, H, D]: strided views of the same numbers give the same bits.
    qt, kt, vt = (np.ascontiguousarray(a.transpose(0, 2, 1, 3)) for a in (q, k, v))
    ot, lset = kern(qt, kt, vt, lse=True, layout="bnhd", doc=doc, slope=slope)
    expect(f"{dtype}: bnhd o equals bhnd o", ot.shape == (B, NQ, 4, 32)
           and np.array_equal(ot.transpose(0, 2, 1, 3), o, equal_nan=True)
           and np.array_equal(lset, lse))
    gt = kern.backward(qt, kt, vt, ot, np.ascontiguousarray(dout.transpose(0, 2, 1, 3)),
                       lse=lset, layout="bnhd", doc=doc, slope=slope)
    expect(f"{dtype}: bnhd gradients equal bhnd gradients",
           np.array_equal(gt.dq.transpose(0, 2, 1, 3), g.dq)
           and np.array_equal(gt.dk.transpose(0, 2, 1, 3), g.dk)
           and np.array_equal(gt.dv.transpose(0, 2, 1, 3), g.dv)
           and np.array_equal(gt.params["slope"], g.params["slope"]))

# A non-contiguous last dimension is copied (the runtime needs stride 1
# there); a strided batch slice is read in place.
kern = attnc.compile(SPEC, dtype="f32", backward=True)
q = randn(rng, (4, 4, NQ, 32), "f32")
k = randn(rng, (4, 2, NK, 32), "f32")
v = randn(rng, (4, 2, NK, 32), "f32")
doc = doc_ids(rng, 2, NK)
slope = np.full(4, 0.25, np.float32)
o_view = kern(q[::2], k[::2], v[::2], doc=doc, slope=slope)
o_copy = kern(np.ascontiguousarray(q[::2]), np.ascontiguousarray(k[::2]),
              np.ascontiguousarray(v[::2]), doc=doc, slope=slope)
expect("strided batch view equals its copy", np.array_equal(o_view, o_copy))
qf = np.asfortranarray(q[::2])
expect("non-unit last stride is copied", np.array_equal(
    kern(qf, k[::2], v[::2], doc=doc, slope=slope), o_copy))


# A DLPack producer that is not a numpy array.
class Producer:
    def __init__(self, a):
        self.a = a

    def __dlpack__(self, **kw):
        return self.a.__dlpack__(**kw)

    def __dlpack_device__(self):
        return self.a.__dlpack_device__()


o_dl = kern(Producer(q[::2]), Producer(k[::2]), Producer(v[::2]), doc=doc, slope=slope)
expect("DLPack producer gives numpy o equal to the numpy call",
       isinstance(o_dl, np.ndarray) and np.array_equal(o_dl, o_copy))

# The linear family: the final state, and a sequence run in two pieces with
# the state handed over equals one call (and the reference).
LINEAR = """attention lin {
  heads 2
  head_dim 16
  value_dim 24
  dtype f32
  linear
  feature elu1
  normalize sum
  chunk 16
}
"""
lin = attnc.compile(LINEAR)
expect("linear kernel has a state", lin.has_state and lin.feature_dim == 16, repr(lin))
N = 53
q = randn(rng, (1, 2, N, 16), "f32")
k = randn(rng, (1, 2, N, 16), "f32")
v = randn(rng, (1, 2, N, 24), "f32")
o, (s, z) = lin(q, k, v, state=True)
ref = reference(lin._spec_path, os.path.join(tmp, "lin"), {"q": q, "k": k, "v": v},
                [("--output", "o"), ("--final-state", "s"), ("--final-z", "z")])
check("linear: o vs reference", o, ref["o"], FORWARD_TOL["f32"])
check("linear: final state vs reference", s, ref["s"], FORWARD_TOL["f32"])
check("linear: final z vs reference", z, ref["z"], FORWARD_TOL["f32"])
cut = 29
o1, st = lin(q[:, :, :cut], k[:, :, :cut], v[:, :, :cut], state=True)
o2, (s2, z2) = lin(q[:, :, cut:], k[:, :, cut:], v[:, :, cut:], state=st)
check("linear: two pieces vs one call (o)", np.concatenate([o1, o2], axis=2), o,
      FORWARD_TOL["f32"])
check("linear: two pieces vs one call (state)", s2, s, FORWARD_TOL["f32"])
try:
    lin.backward(q, k, v, o, o)
    expect("linear backward is refused", False)
except NotImplementedError as e:
    expect("linear backward is refused", "no CPU backward" in str(e), str(e))

# explain: the CLI's numbers, parsed.
causal = attnc.compile("attention c {\n  heads 2\n  head_dim 32\n  mask causal\n}\n")
ex = causal.explain(4096)
expect("explain parses the tile counts",
       (ex.stats["total"], ex.stats["visited"], ex.stats["full"], ex.stats["partial"],
        ex.stats["skipped"], ex.stats["block_q"]) == (4096, 2080, 2016, 64, 2016, 64),
       str(ex.stats))
ex = causal.explain(100, 300, svg=True)
expect("explain draws the tile map", ex._repr_svg_().startswith("<svg")
       and ex.stats["nk"] == 300, str(ex.stats))
ex = lin.explain(1000)
expect("explain reports the chunk plan", ex.stats["chunk"] == 16 and ex.stats["chunks"] == 63,
       str(ex.stats))

# The cache: a second compile of the same text and options reuses the
# package (the compiler is not run again); other options get another one.
log = os.path.join(tmp, "calls.log")
wrapper = os.path.join(tmp, "attnc-wrapper")
with open(wrapper, "w") as f:
    f.write(f"#!/bin/sh\necho \"$1\" >> {log}\nexec {os.environ['ATTNC_BIN']} \"$@\"\n")
os.chmod(wrapper, 0o755)
os.environ["ATTNC_BIN"] = wrapper
cache = os.path.join(tmp, "cache2")
a = attnc.compile(SPEC, dtype="f16", cache_dir=cache)
b = attnc.compile(SPEC, dtype="f16", cache_dir=cache)
c = attnc.compile(SPEC, dtype="bf16", cache_dir=cache)
calls = open(log).read().split()
expect("the cache compiles once per spec and options",
       a.package_dir == b.package_dir != c.package_dir and calls.count("compile") == 2,
       f"{calls}")
print("numpy checks done")
