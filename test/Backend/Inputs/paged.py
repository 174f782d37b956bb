#!/usr/bin/env python3
"""Paged KV caches, docs/runtime.md §3f: each case runs `attnc run
--page-size P [--page-layout L] --check` on a compiled package (k and v
scattered into shuffled pages of a pool whose unused slots and spare page
hold NaN, so a read outside a sequence's pages shows in o), then the same
inputs without pages (the ragged entry for packed queries, the dense one for
dense queries), and requires the two outputs to be identical: the paged
kernel reads the same rows and does the same arithmetic, only the rows'
addresses differ.

Cases: packed queries (random lengths with 0 and 1, sequences without keys,
GQA/MQA, causal, sliding window, document ids, ALiBi) and dense queries
(decode of a few queries against long caches); page sizes 1, 7, 16, 64;
both pool layouts; f32/f16/bf16.

usage: paged.py ATTNC GROUP WORKDIR     GROUP: cpu or cuda
Prints one PASS/FAIL line per case and a summary.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ragged import MASKS, cu, input_args, inputs, run, spec  # noqa: E402


def cases(group):
    """(name, spec text, q lengths or None (dense), k lengths or (B, Nq, Nk),
    page size, layout)."""
    if group == "cpu":
        yield ("decode_f32_gqa", spec("p_decode", 4, 2, 32, "f32", MASKS["causal"]),
               [1, 1, 2, 1, 0], [90, 1, 67, 0, 33], 16, "nhd")
        yield ("window_bf16_page1", spec("p_window", 2, 2, 64, "bf16", MASKS["window"]),
               [65, 1, 0, 129], [65, 1, 17, 140], 1, "hnd")
        yield ("document_f16_mqa", spec("p_doc", 2, 1, 32, "f16", MASKS["document"]),
               [80, 33, 1], [80, 50, 1], 64, "nhd")
        yield ("alibi_bf16_page7", spec("p_alibi", 4, 4, 32, "bf16", MASKS["alibi"]),
               [3, 100, 0], [40, 100, 9], 7, "hnd")
        yield ("dense_decode_f32", spec("p_dense", 4, 1, 32, "f32", MASKS["causal"]),
               None, (3, 4, 150), 16, "nhd")
        yield ("dense_full_bf16", spec("p_full", 2, 2, 64, "bf16", MASKS["none"]),
               None, (2, 70, 200), 32, "hnd")
    elif group == "cuda":
        yield ("decode_f32_gqa", spec("q_decode", 4, 2, 32, "f32", MASKS["causal"]),
               [1, 0, 37, 2], [90, 3, 37, 0], 16, "nhd")
        yield ("document_bf16_hnd", spec("q_doc", 2, 1, 64, "bf16", MASKS["document"]),
               [80, 33, 1], [80, 50, 6], 16, "hnd")
        yield ("dense_window_f16", spec("q_window", 2, 2, 64, "f16", MASKS["window"]),
               None, (2, 3, 130), 64, "nhd")
        yield ("causal_bf16_page1", spec("q_causal", 4, 2, 64, "bf16", MASKS["causal"]),
               [5, 33], [40, 33], 1, "nhd")
    else:
        raise SystemExit(f"unknown group {group}")


def run_case(attnc, group, name, text, qlens, klens, page, layout, root, seed):
    work = os.path.join(root, name)
    os.makedirs(work, exist_ok=True)
    spec_path = os.path.join(work, "spec.attn")
    with open(spec_path, "w") as f:
        f.write(text)
    pkg = os.path.join(work, "pkg")
    code, out = run([attnc, "compile", spec_path, "-o", pkg, "--no-cuda-build"])
    if code:
        return f"compile failed: {out.strip()}"
    if qlens is not None:
        heads = int(text.split("heads ")[1].split()[0])
        kv_heads = int(text.split("kv_heads ")[1].split()[0])
        d = int(text.split("head_dim ")[1].split()[0])
        files = inputs(np.random.default_rng(seed), text, qlens, klens, heads,
                       kv_heads, d, work)
        data = input_args(work, list(files)) + [
            "--cu-seqlens-q", os.path.join(work, "cuq.npy"),
            "--cu-seqlens-k", os.path.join(work, "cuk.npy")]
    else:
        data = ["--random", ",".join(map(str, klens)), "--seed", str(seed)]
    backend = "cuda" if group == "cuda" else "cpu"
    results = {}
    for mode, extra in (("paged", ["--page-size", str(page), "--page-layout", layout,
                                   "--check"]),
                        ("plain", [])):
        o_path = os.path.join(work, f"o_{mode}.npy")
        lse_path = os.path.join(work, f"lse_{mode}.npy")
        code, out = run([attnc, "run", spec_path, "--package", pkg, "--backend", backend,
                         "--output", o_path, "--lse", lse_path] + data + extra)
        if code or (mode == "paged" and "PASS" not in out):
            return f"{mode} {backend} run: {out.strip()}"
        if mode == "paged":
            check = out.strip().splitlines()[-1]
        results[mode] = (np.load(o_path), np.load(lse_path))
    (o, lse), (o_plain, lse_plain) = results["paged"], results["plain"]
    if o.shape != o_plain.shape or lse.shape != lse_plain.shape:
        return f"shapes: paged o {o.shape} lse {lse.shape}, plain o {o_plain.shape}"
    if not np.isfinite(o).all():
        return "paged o is not finite (a NaN slot or spare page was read)"
    if not (np.array_equal(o, o_plain) and np.array_equal(lse, lse_plain)):
        diff = float(np.nanmax(np.abs(o - o_plain)))
        return f"paged and unpaged outputs differ (max |o| difference {diff:.3g})"
    if qlens is not None:
        cq = cu(qlens)
        for b, (lq, lk) in enumerate(zip(qlens, klens)):
            rows = slice(cq[b], cq[b + 1])
            if lq and lk == 0 and (np.any(o[rows] != 0) or np.any(lse[:, rows] != -np.inf)):
                return f"sequence {b} has no keys: expected o = 0, lse = -inf"
    return f"ok: {check}; identical to the unpaged run"


def main():
    attnc, group, root = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(root, exist_ok=True)
    passed = failed = 0
    for seed, (name, text, qlens, klens, page, layout) in enumerate(cases(group)):
        result = run_case(attnc, group, name, text, qlens, klens, page, layout, root,
                          200 + seed)
        ok = result.startswith("ok")
        passed += ok
        failed += not ok
        print(f"{'PASS' if ok else 'FAIL'} {name}: {result}")
    print(f"paged {group}: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
