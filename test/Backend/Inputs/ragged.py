#!/usr/bin/env python3
"""Ragged (packed variable-length) batches, docs/runtime.md §3e: for each
case, random lengths (0 and 1 included, none a multiple of the tiles),
random packed q, k, v (never zeros), cu_seqlens, and params at the padded
lengths. Each case runs `attnc run --cu-seqlens-q/k --check` on a compiled
package (ragged kernel against the ragged reference executor) and then
compares the packed o and lse with the padded dense equivalent:

- cpu: each sequence run alone as a dense batch of one (B = 1, its own Nq
  and Nk, params sliced at b) through the same package; a sequence with no
  keys must give o = 0 and lse = -inf; a sequence with no queries nothing;
- a case whose lengths are all equal is also run as one dense [B, H, N, D]
  batch, which it must match;
- cuda (run under %emu_env): the ragged CUDA kernel against the reference
  (--check) and against the CPU backend's ragged result (same rounding of
  the inputs; the GPU tolerance).

usage: ragged.py ATTNC GROUP WORKDIR     GROUP: cpu or cuda
Prints one PASS/FAIL line per case and a summary.
"""
import os
import subprocess
import sys

import numpy as np

MASKS = {
    "causal": "mask causal",
    "window": "mask causal && q - k < 20",
    "document": "param doc: i32[b, n]\n  mask doc[b, q] == doc[b, k] && causal",
    "alibi": "param slope: f32[h]\n  mask causal\n  score s - slope[h] * (q - k)",
    "none": "",
}

# CPU o is stored in the storage dtype after f32 math: the ragged and the
# dense runs of one package do the same arithmetic, so they agree to a few
# ulps of the dtype (the tiles of a sequence start at its own row 0 in both).
SAME_KERNEL_TOL = {"f32": 1e-6, "f16": 1e-3, "bf16": 8e-3}
CUDA_VS_CPU_TOL = {"f32": 1e-4, "f16": 4e-3, "bf16": 3e-2}


def spec(name, heads, kv_heads, head_dim, dtype, body, tile=""):
    lines = [f"attention {name} {{", f"  heads {heads}", f"  kv_heads {kv_heads}",
             f"  head_dim {head_dim}", f"  dtype {dtype}"]
    if body:
        lines.append("  " + body)
    if tile:
        lines.append("  " + tile)
    lines.append("}")
    return "\n".join(lines) + "\n"


def cases(group):
    """(name, spec text, q lengths, k lengths)."""
    if group == "cpu":
        yield ("causal_f32_gqa", spec("r_causal", 4, 2, 32, "f32", MASKS["causal"]),
               [37, 0, 1, 70, 5], [37, 3, 1, 70, 0])
        yield ("decode_f32", spec("r_decode", 4, 1, 32, "f32", MASKS["causal"]),
               [1, 1, 2, 1], [90, 1, 67, 0])
        yield ("window_bf16", spec("r_window", 2, 2, 64, "bf16", MASKS["window"]),
               [65, 1, 0, 129], [65, 1, 17, 140])
        yield ("document_f16", spec("r_doc", 2, 1, 32, "f16", MASKS["document"]),
               [80, 33, 1], [80, 50, 1])
        yield ("alibi_bf16", spec("r_alibi", 4, 4, 32, "bf16", MASKS["alibi"]),
               [3, 100, 0], [40, 100, 9])
        yield ("full_f32_tiles", spec("r_full", 2, 2, 16, "f32", MASKS["none"],
                                      "tile q=32 k=16 warps=2"),
               [17, 1, 33, 0, 2], [5, 31, 33, 1, 0])
        # Decode rows far from the padded alignment, a document mask: the
        # automatic block mask must classify each sequence's tiles with its
        # own lengths.
        yield ("document_decode_f32", spec("r_docdec", 2, 1, 32, "f32", MASKS["document"]),
               [1, 130, 1], [300, 130, 77])
        # Equal lengths: also one dense batch.
        yield ("uniform_causal_f32", spec("r_uniform", 2, 1, 32, "f32", MASKS["causal"]),
               [45, 45, 45], [60, 60, 60])
    elif group == "cuda":
        yield ("causal_f32_gqa", spec("e_causal", 4, 2, 32, "f32", MASKS["causal"]),
               [37, 0, 1, 70], [37, 3, 1, 0])
        yield ("document_bf16", spec("e_doc", 2, 1, 64, "bf16", MASKS["document"]),
               [80, 33, 1, 0], [80, 50, 1, 6])
        yield ("window_f16_decode", spec("e_window", 2, 2, 64, "f16", MASKS["window"]),
               [1, 65, 2], [100, 65, 1])
        yield ("uniform_bf16", spec("e_uniform", 4, 2, 64, "bf16", MASKS["causal"]),
               [33, 33], [70, 70])
        yield ("document_decode_f32", spec("e_docdec", 2, 1, 32, "f32", MASKS["document"]),
               [1, 130, 1], [300, 130, 77])
    else:
        raise SystemExit(f"unknown group {group}")


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def cu(lengths):
    return np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)


def inputs(rng, text, qlens, klens, heads, kv_heads, d, work):
    """Packed q, k, v and padded params as .npy files; returns them."""
    tq, tk = sum(qlens), sum(klens)
    b, pk = len(qlens), max(1, max(klens))
    q = rng.standard_normal((tq, heads, d)).astype(np.float32)
    k = rng.standard_normal((tk, kv_heads, d)).astype(np.float32)
    v = rng.standard_normal((tk, kv_heads, d)).astype(np.float32)
    params = {}
    if "doc:" in text:
        # Sorted document ids per key position, new documents at random.
        doc = np.cumsum(rng.random((b, pk)) < 0.08, axis=1).astype(np.int32)
        params["doc"] = doc
    if "slope:" in text:
        params["slope"] = rng.uniform(0.05, 1.0, heads).astype(np.float32)
    files = {"q": q, "k": k, "v": v, **params}
    for name, array in files.items():
        np.save(os.path.join(work, name + ".npy"), array)
    np.save(os.path.join(work, "cuq.npy"), cu(qlens))
    np.save(os.path.join(work, "cuk.npy"), cu(klens))
    return files


def input_args(work, names):
    args = []
    for name in names:
        args += ["--input", f"{name}={os.path.join(work, name + '.npy')}"]
    return args


def rel_error(got, want):
    finite = np.isfinite(want)
    if not np.array_equal(finite, np.isfinite(got)) or \
            not np.array_equal(want[~finite], got[~finite]):
        return float("inf")
    if not finite.any():
        return 0.0
    scale = max(1.0, float(np.abs(want[finite]).max()))
    return float(np.abs(got[finite] - want[finite]).max()) / scale


def run_case(attnc, group, name, text, qlens, klens, root, seed):
    work = os.path.join(root, name)
    os.makedirs(work, exist_ok=True)
    spec_path = os.path.join(work, "spec.attn")
    with open(spec_path, "w") as f:
        f.write(text)
    heads = int(text.split("heads ")[1].split()[0])
    kv_heads = int(text.split("kv_heads ")[1].split()[0])
    d = int(text.split("head_dim ")[1].split()[0])
    dtype = text.split("dtype ")[1].split()[0]
    rng = np.random.default_rng(seed)
    files = inputs(rng, text, qlens, klens, heads, kv_heads, d, work)
    names = list(files)
    pkg = os.path.join(work, "pkg")
    code, out = run([attnc, "compile", spec_path, "-o", pkg, "--no-cuda-build"])
    if code:
        return f"compile failed: {out.strip()}"
    backend = "cuda" if group == "cuda" else "cpu"
    o_path, lse_path = os.path.join(work, "o.npy"), os.path.join(work, "lse.npy")
    ragged = ["--cu-seqlens-q", os.path.join(work, "cuq.npy"),
              "--cu-seqlens-k", os.path.join(work, "cuk.npy")]
    code, out = run([attnc, "run", spec_path, "--package", pkg, "--backend", backend,
                     "--check", "--output", o_path, "--lse", lse_path] +
                    input_args(work, names) + ragged)
    if code or "PASS" not in out:
        return f"ragged {backend} run: {out.strip()}"
    check = out.strip().splitlines()[-1]
    o, lse = np.load(o_path), np.load(lse_path)
    tq = sum(qlens)
    if o.shape != (tq, heads, d) or lse.shape != (heads, tq):
        return f"shapes o {o.shape}, lse {lse.shape}"
    cq = cu(qlens)
    worst = 0.0
    if group == "cpu":
        # Each sequence alone, densely, through the same package.
        for b, (lq, lk) in enumerate(zip(qlens, klens)):
            rows = slice(cq[b], cq[b + 1])
            if lq == 0:
                continue
            if lk == 0:
                if np.any(o[rows] != 0) or np.any(lse[:, rows] != -np.inf):
                    return f"sequence {b} has no keys: expected o = 0, lse = -inf"
                continue
            seq = os.path.join(work, f"seq{b}")
            os.makedirs(seq, exist_ok=True)
            ck = cu(klens)
            dense = {
                "q": files["q"][rows].transpose(1, 0, 2)[None],
                "k": files["k"][ck[b]:ck[b + 1]].transpose(1, 0, 2)[None],
                "v": files["v"][ck[b]:ck[b + 1]].transpose(1, 0, 2)[None],
            }
            if "doc" in files:
                dense["doc"] = files["doc"][b:b + 1, :lk]
            if "slope" in files:
                dense["slope"] = files["slope"]
            for n, a in dense.items():
                np.save(os.path.join(seq, n + ".npy"), np.ascontiguousarray(a))
            code, out = run([attnc, "run", spec_path, "--package", pkg, "--backend", "cpu",
                             "--output", os.path.join(seq, "o.npy"),
                             "--lse", os.path.join(seq, "lse.npy")] +
                            input_args(seq, list(dense)))
            if code:
                return f"dense run of sequence {b}: {out.strip()}"
            od = np.load(os.path.join(seq, "o.npy"))[0].transpose(1, 0, 2)
            ld = np.load(os.path.join(seq, "lse.npy"))[0]
            worst = max(worst, rel_error(o[rows], od), rel_error(lse[:, rows], ld))
        tol = SAME_KERNEL_TOL[dtype]
        if worst > tol:
            return f"ragged vs per-sequence dense: error {worst:.3g} > {tol:g}"
        if len(set(qlens)) == 1 and len(set(klens)) == 1:
            # One dense batch [B, H, N, D].
            b_, lq, lk = len(qlens), qlens[0], klens[0]
            dense = {n: files[n].reshape(b_, -1, *files[n].shape[1:]).transpose(0, 2, 1, 3)
                     for n in ("q", "k", "v")}
            whole = os.path.join(work, "whole")
            os.makedirs(whole, exist_ok=True)
            for n, a in dense.items():
                np.save(os.path.join(whole, n + ".npy"), np.ascontiguousarray(a))
            code, out = run([attnc, "run", spec_path, "--package", pkg, "--backend", "cpu",
                             "--output", os.path.join(whole, "o.npy"),
                             "--lse", os.path.join(whole, "lse.npy")] +
                            input_args(whole, ["q", "k", "v"]))
            if code:
                return f"dense batch run: {out.strip()}"
            od = np.load(os.path.join(whole, "o.npy")).transpose(0, 2, 1, 3).reshape(o.shape)
            ld = np.load(os.path.join(whole, "lse.npy")).transpose(1, 0, 2).reshape(heads, -1)
            e = max(rel_error(o, od), rel_error(lse, ld))
            if e > tol:
                return f"ragged vs one dense batch: error {e:.3g} > {tol:g}"
            worst = max(worst, e)
        return f"ok: {check}; vs dense {worst:.3g}"
    # CUDA: against the CPU backend's ragged result.
    co, cl = os.path.join(work, "o_cpu.npy"), os.path.join(work, "lse_cpu.npy")
    code, out = run([attnc, "run", spec_path, "--package", pkg, "--backend", "cpu",
                     "--output", co, "--lse", cl] + input_args(work, names) + ragged)
    if code:
        return f"ragged cpu run: {out.strip()}"
    e = max(rel_error(o, np.load(co)), rel_error(lse, np.load(cl)))
    tol = CUDA_VS_CPU_TOL[dtype]
    if e > tol:
        return f"ragged cuda vs cpu: error {e:.3g} > {tol:g}"
    return f"ok: {check}; vs cpu {e:.3g}"


def main():
    attnc, group, root = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(root, exist_ok=True)
    passed = failed = 0
    for seed, (name, text, qlens, klens) in enumerate(cases(group)):
        result = run_case(attnc, group, name, text, qlens, klens, root, 100 + seed)
        ok = result.startswith("ok")
        passed += ok
        failed += not ok
        print(f"{'PASS' if ok else 'FAIL'} {name}: {result}")
    print(f"ragged {group}: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
