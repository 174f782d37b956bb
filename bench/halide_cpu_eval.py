#!/usr/bin/env python3
"""Halide as attnc's CPU target? The dense and causal softmax attention
forward through Halide (JIT, its autoscheduler-free manual schedule: one
task per (head, 64-query block), keys in blocks of 64, vectorized over
head_dim), timed beside attnc's emitted CPU backend on the same shapes.

Not part of the test suite (it needs the halide wheel): an evaluation whose numbers are recorded in
docs/architecture.md ("Halide as the CPU target"). Needs `pip install
halide numpy` and a built attnc (build/tools/attnc/attnc).

    python3 bench/halide_cpu_eval.py [--n 2048] [--heads 4] [--d 64]
"""
import argparse
import os
import re
import subprocess
import sys
import time

import numpy as np
import halide as hl


def attention(causal, n, heads, d):
    """o[d, q, h] = softmax_k(scale * q.k (masked)) v: Halide's algorithm and
    a schedule in attnc's shape (q-blocks of 64 in parallel, keys staged)."""
    Q = hl.ImageParam(hl.Float(32), 3, "q")  # [d, n, h], d innermost
    K = hl.ImageParam(hl.Float(32), 3, "k")
    V = hl.ImageParam(hl.Float(32), 3, "v")
    x, q, k, h = hl.Var("x"), hl.Var("qi"), hl.Var("ki"), hl.Var("h")
    scale = 1.0 / np.sqrt(d)
    rd = hl.RDom([(0, d)], "rd")
    s = hl.Func("s")
    s[k, q, h] = hl.f32(0)
    s[k, q, h] += Q[rd.x, q, h] * K[rd.x, k, h]
    keys = hl.RDom([(0, n)], "keys")
    if causal:
        keys.where(keys.x <= q)
    m = hl.Func("m")
    m[q, h] = hl.f32(-np.inf)
    m[q, h] = hl.max(m[q, h], s[keys.x, q, h] * scale)
    p = hl.Func("p")
    p[k, q, h] = hl.exp(s[k, q, h] * scale - m[q, h])
    l = hl.Func("l")
    l[q, h] = hl.f32(0)
    l[q, h] += p[keys.x, q, h]
    acc = hl.Func("acc")
    acc[x, q, h] = hl.f32(0)
    acc[x, q, h] += p[keys.x, q, h] * V[x, keys.x, h]
    o = hl.Func("o")
    o[x, q, h] = acc[x, q, h] / l[q, h]

    qo, qi = hl.Var("qo"), hl.Var("qii")
    o.split(q, qo, qi, 64).reorder(x, qi, qo, h).fuse(qo, h, qo).parallel(qo)
    o.vectorize(x, 8)
    for f in (s, p):
        f.compute_at(o, qo).vectorize(k, 8)
    s.update().reorder(k, rd.x, q).vectorize(k, 8)
    for f in (m, l):
        f.compute_at(o, qo)
    acc.compute_at(o, qo).vectorize(x, 8)
    acc.update().reorder(x, q, keys.x).vectorize(x, 8)
    o.compile_jit()
    return o, Q, K, V


def time_halide(causal, n, heads, d, repeat):
    o, Q, K, V = attention(causal, n, heads, d)
    rng = np.random.default_rng(0)
    # numpy [h, n, d] (C order) is Halide's [d, n, h]: hl.Buffer reverses axes.
    arrays = [rng.standard_normal((heads, n, d), dtype=np.float32)
              for _ in range(3)]
    for param, a in zip((Q, K, V), arrays):
        param.set(hl.Buffer(a))
    result = np.zeros((heads, n, d), dtype=np.float32)
    out = hl.Buffer(result)
    o.realize(out)  # warm-up (and JIT)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        o.realize(out)
        times.append(time.perf_counter() - t0)
    # The same numbers as numpy, so that the comparison is of correct code.
    qa, ka, va = arrays
    sc = np.einsum("hqd,hkd->hqk", qa, ka) / np.sqrt(d)
    if causal:
        sc = np.where(np.tril(np.ones((n, n), bool)), sc, -np.inf)
    w = np.exp(sc - sc.max(-1, keepdims=True))
    ref = np.einsum("hqk,hkd->hqd", w / w.sum(-1, keepdims=True), va)
    got = result
    err = float(np.abs(got - ref).max() / np.abs(ref).max())
    return float(np.median(times)), err


def time_attnc(attnc, causal, n, heads, d, repeat, workdir):
    spec = os.path.join(workdir, "eval_%s.attn" % ("causal" if causal else "full"))
    with open(spec, "w") as f:
        f.write("attention eval {\n  heads %d\n  head_dim %d\n  dtype f32\n%s}\n"
                % (heads, d, "  mask causal\n" if causal else ""))
    out = subprocess.run([attnc, "run", spec, "--backend", "cpu", "--random",
                          "1,%d" % n, "--repeat", str(repeat)],
                         check=True, capture_output=True, text=True).stdout
    m = re.search(r"time: ([0-9.]+) ms median", out)
    if not m:
        sys.exit("could not read attnc's time from:\n" + out)
    return float(m.group(1)) / 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2048)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--d", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--attnc", default="build/tools/attnc/attnc")
    ap.add_argument("--workdir", default="/tmp")
    a = ap.parse_args()
    print("shape: B*H = %d, N = %d, D = %d, f32, threads %d"
          % (a.heads, a.n, a.d, os.cpu_count()))
    for causal in (False, True):
        th, err = time_halide(causal, a.n, a.heads, a.d, a.repeat)
        ta = time_attnc(a.attnc, causal, a.n, a.heads, a.d, a.repeat, a.workdir)
        print("%-6s halide %8.2f ms (rel. err %.1e)  attnc cpu %8.2f ms  "
              "halide/attnc %.2f" % ("causal" if causal else "full", th * 1e3,
                                     err, ta * 1e3, th / ta))


if __name__ == "__main__":
    main()
