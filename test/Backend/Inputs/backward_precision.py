#!/usr/bin/env python3
"""The FlashAttention convention for backward tolerances (issue 12): a
gradient's error against a float64 reference must be at most 2x that of a
straightforward implementation in the same dtype. Measures both on one
causal case and prints, per gradient, attnc's error, the straightforward
one's and their ratio; exits 1 when a ratio exceeds 2.

- Reference: the reference backend's backward (float64) on the inputs
  rounded to the dtype (`attnc run --backend reference --save-inputs`).
- attnc: `attnc run --backend BACKEND --backward` on those inputs.
- Straightforward: attention as PyTorch eager runs it in bf16/f16 (numpy
  here): every matmul accumulates in float32 and rounds its result to the
  dtype, the softmax and its backward compute in float32 and round, as
  does every elementwise step (the scale, the masked fill).
Errors are max|got - ref| / max(max|ref|, 1), the comparator's measure.

usage: backward_precision.py ATTNC BACKEND DTYPE B,N
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

SPEC = """attention precision {{
  heads 2
  head_dim 64
  dtype {dtype}
  mask causal
}}
"""


def rounder(dtype):
    if dtype == "f16":
        return lambda x: np.asarray(x, np.float32).astype(np.float16).astype(np.float32)

    def bf16(x):
        # Round to nearest even on the upper 16 bits of the float32.
        a = np.ascontiguousarray(x, np.float32).view(np.uint32)
        a = (a + (((a >> 16) & 1) + 0x7FFF)) & 0xFFFF0000
        return a.astype(np.uint32).view(np.float32)
    return bf16


def straightforward(q, k, v, do, r):
    """Gradients of sum(o * do) for causal softmax attention, every step
    rounded by r (inputs already in the dtype)."""
    d = q.shape[-1]
    scale = r(np.float32(1.0 / np.sqrt(d)))
    n, m = q.shape[2], k.shape[2]
    mask = np.arange(m)[None, :] <= np.arange(n)[:, None] + (m - n)
    s = r(np.einsum("bhqd,bhkd->bhqk", q, k, dtype=np.float32))
    s = r(s * scale)
    s = np.where(mask, s, -np.inf).astype(np.float32)
    mx = s.max(-1, keepdims=True)
    e = np.exp(s - mx)
    p = r(e / e.sum(-1, keepdims=True))
    dv = r(np.einsum("bhqk,bhqd->bhkd", p, do, dtype=np.float32))
    dp = r(np.einsum("bhqd,bhkd->bhqk", do, v, dtype=np.float32))
    ds = r(p * (dp - (p * dp).sum(-1, keepdims=True)))
    ds = r(ds * scale)
    dq = r(np.einsum("bhqk,bhkd->bhqd", ds, k, dtype=np.float32))
    dk = r(np.einsum("bhqk,bhqd->bhkd", ds, q, dtype=np.float32))
    return {"q": dq, "k": dk, "v": dv}


def err(got, ref):
    return float(np.max(np.abs(got.astype(np.float64) - ref))) / max(float(np.max(np.abs(ref))), 1.0)


def main():
    attnc, backend, dtype, shape = sys.argv[1:5]
    r = rounder(dtype)
    with tempfile.TemporaryDirectory() as tmp:
        spec = os.path.join(tmp, "p.attn")
        with open(spec, "w") as f:
            f.write(SPEC.format(dtype=dtype))
        grads = lambda tag: sum((["--grad", f"{g}={tmp}/{tag}_d{g}.npy"] for g in "qkv"), [])
        subprocess.run([attnc, "run", spec, "--backend", "reference", "--random", shape,
                        "--seed", "11", "--save-inputs", tmp, "--backward"] + grads("ref"),
                       check=True, stdout=subprocess.DEVNULL)
        # dO as the backends store it: rounded to the dtype, for all three.
        do = r(np.load(f"{tmp}/do.npy"))
        np.save(f"{tmp}/do_r.npy", do)
        inputs = sum((["--input", f"{t}={tmp}/{t}.npy"] for t in "qkv"), [])
        subprocess.run([attnc, "run", spec, "--backend", "reference", "--backward",
                        "--input", f"do={tmp}/do_r.npy"] + inputs + grads("ref"),
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run([attnc, "run", spec, "--backend", backend, "--backward",
                        "--input", f"do={tmp}/do_r.npy"] + inputs + grads("got"),
                       check=True, stdout=subprocess.DEVNULL)
        q, k, v = (np.load(f"{tmp}/{t}.npy") for t in "qkv")
        naive = straightforward(q, k, v, do, r)
        worst = 0.0
        for g in "qkv":
            ref = np.load(f"{tmp}/ref_d{g}.npy").astype(np.float64)
            ours, theirs = err(np.load(f"{tmp}/got_d{g}.npy"), ref), err(naive[g], ref)
            ratio = ours / theirs
            worst = max(worst, ratio)
            print(f"d{g}: attnc {ours:.3g}, straightforward {dtype} {theirs:.3g}, "
                  f"ratio {ratio:.2f} {'ok' if ratio <= 2 else 'FAIL'}")
    return 0 if worst <= 2 else 1


if __name__ == "__main__":
    sys.exit(main())
