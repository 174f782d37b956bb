#!/usr/bin/env python3
"""Independent numpy backward of causal softmax attention with ALiBi.

Checks the gradients `attnc run --backward --grad ...` wrote (through the
.npy interface) against the textbook formulas, written here without reading
attnc's code: P = softmax(scale q k^T - slope (i - j)) under the causal
mask, dV = P^T dO, dP = dO V^T, dS = P * (dP - rowsum(dO * O)),
dQ = scale dS K, dK = scale dS^T Q, dslope[h] = -sum dS_ij (i - j).

usage: backward_numpy.py DIR   (DIR holds q k v slope do dq dk dv dslope .npy)
"""

import os
import sys

import numpy as np


def main():
    d = sys.argv[1]
    load = lambda name: np.load(os.path.join(d, name + ".npy")).astype(np.float64)
    q, k, v, slope, do = (load(n) for n in ("q", "k", "v", "slope", "do"))
    B, H, Nq, D = q.shape
    Nk = k.shape[2]
    scale = 1 / np.sqrt(D)
    i = np.arange(Nq)[:, None] + Nk - Nq
    j = np.arange(Nk)[None, :]
    visible = j <= i
    want = {n: np.zeros_like(load(n)) for n in ("dq", "dk", "dv", "dslope")}
    for b in range(B):
        for h in range(H):
            s = scale * q[b, h] @ k[b, h].T - slope[h] * (i - j)
            s = np.where(visible, s, -np.inf)
            p = np.exp(s - s.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            o = p @ v[b, h]
            dp = do[b, h] @ v[b, h].T
            ds = p * (dp - (do[b, h] * o).sum(axis=1, keepdims=True))
            want["dv"][b, h] += p.T @ do[b, h]
            want["dq"][b, h] += scale * ds @ k[b, h]
            want["dk"][b, h] += scale * ds.T @ q[b, h]
            want["dslope"][h] += -(ds * (i - j)).sum()
    worst = 0.0
    for name, w in want.items():
        got = load(name)
        assert got.shape == w.shape, (name, got.shape, w.shape)
        err = np.abs(got - w).max() / max(1.0, np.abs(w).max())
        worst = max(worst, err)
        # float32 files of float64 values: 1e-6 relative.
        print("%s: shape %s relative error %.2e %s" % (
            name, list(got.shape), err, "ok" if err < 1e-6 else "FAIL"))
    print("PASS" if worst < 1e-6 else "FAIL")


if __name__ == "__main__":
    main()
