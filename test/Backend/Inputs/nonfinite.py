#!/usr/bin/env python3
"""Non-finite inputs (docs/language.md, "Non-finite values") on the reference
executor and the CPU backend: a NaN or inf at a key the mask hides changes
nothing, a NaN score at a visible key makes that row's o and lse NaN. Each
case puts one non-finite value into otherwise random inputs and checks, on
both backends, which rows of o, lse (and with --backward of dq, dk, dv)
come out NaN against the rows the semantics predict; the finite rows must
also agree (`--check`). Prints one PASS/FAIL line per case and a summary.

usage: nonfinite.py ATTNC [BACKEND...]   (default: reference cpu; cuda runs
on the device, or on the CPU emulator under its libcuda)
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

N, D = 300, 16  # several q- and k-tiles of the CPU kernel (64): rows cross tile edges


def spec(body, dtype="f32", normalize="softmax"):
    return ("attention nf {\n  heads 1\n  kv_heads 1\n  head_dim %d\n  dtype %s\n"
            "  %s\n  normalize %s\n}\n" % (D, dtype, body, normalize))


WINDOW = "mask causal && q - k < 4"
DOC = "param doc: i32[b, n]\n  mask doc[b, q] == doc[b, k] && causal"


def window_rows(key):
    """Rows that see `key` under WINDOW."""
    return set(range(key, min(N, key + 4)))


# name, spec, tensor, position, value, expected rows of o with a non-finite
# value, of lse with a NaN (softmax only: a value in v changes o, not lse),
# {gradient: expected non-finite rows} or None (forward only).
CASES = [
    # Hidden keys: a NaN in v or k must stay in the rows that see it.
    ("v_nan_window", spec(WINDOW), "v", 5, np.nan, window_rows(5), set(), None),
    ("v_inf_window", spec(WINDOW), "v", 5, np.inf, window_rows(5), set(), None),
    ("v_nan_document", spec(DOC), "v", 19, np.nan, {19}, set(), None),
    ("v_nan_window_sum", spec(WINDOW + "\n  score exp(s / 2)", normalize="sum"), "v", 5,
     np.nan, window_rows(5), set(), None),
    ("k_nan_window", spec(WINDOW), "k", 5, np.nan, window_rows(5), window_rows(5),
     None),
    ("v_nan_window_f16", spec(WINDOW, "f16"), "v", 66, np.nan, window_rows(66), set(),
     None),
    # A hybrid's linear branch folds whole complement tiles through prefix sums
    # of tile states: the NaN tile 0 must not reach the folds of later tiles.
    ("v_nan_hybrid_fold", spec(WINDOW.replace("4", "64") + "\n  hybrid elu1\n"
                               "  complement causal && k >= 64"),
     "v", 5, np.nan, set(range(5, 69)), set(), None),
    # A NaN score at a visible key: the row is NaN, lse too (not 0 and -inf).
    ("q_nan_row", spec(WINDOW), "q", 7, np.nan, {7}, {7}, None),
    ("q_nan_row_causal", spec("mask causal"), "q", 65, np.nan, {65}, {65}, None),
    # f16 inputs beyond 65504 round to inf: inf scores, NaN rows.
    ("q_overflow_f16", spec("mask causal", "f16"), "q", 3, 1e6, {3}, {3}, None),
    # Backward: dS = 0 at a hidden key passes nothing back, whatever k or q hold.
    ("backward_k_nan", spec(WINDOW), "k", 5, np.nan, window_rows(5), window_rows(5),
     {"q": window_rows(5)}),
    ("backward_q_nan", spec(WINDOW), "q", 2, np.nan, {2}, {2},
     {"q": {2}, "k": {0, 1, 2}, "v": {0, 1, 2}}),
]


# Known gaps of the CUDA forward (docs/language.md, "Non-finite values"):
# the tensor-core P V multiplies whole tiles, so a NaN v at a key hidden from
# some rows of its tile reaches them; the CUDA hybrid prologue sums tile
# states without leaving non-finite ones out. Reported as GAP (not PASS),
# so the lit test pinning them changes when they are fixed.
CUDA_GAPS = {"v_nan_window_f16", "v_nan_hybrid_fold"}


def bad_rows(path, lse):
    """Rows with a non-finite value; for lse, a NaN (-inf: nothing visible)."""
    a = np.load(path)
    a = a.reshape(a.shape[0] * a.shape[1], a.shape[2], -1)[0]
    bad = np.isnan(a) if lse else ~np.isfinite(a)
    return set(np.where(bad.any(axis=-1))[0].tolist())


def run_case(attnc, backends, tmp, name, text, tensor, pos, value, want, want_lse, grads):
    rng = np.random.default_rng(sum(map(ord, name)))
    inputs = {t: rng.standard_normal((1, 1, N, D)).astype(np.float32) for t in "qkv"}
    inputs[tensor][0, 0, pos, :] = value
    inputs["do"] = rng.standard_normal((1, 1, N, D)).astype(np.float32)
    inputs["doc"] = np.array([[0] * 20 + [1] * (N - 20)], dtype=np.int32)
    spec_path = os.path.join(tmp, name + ".attn")
    with open(spec_path, "w") as f:
        f.write(text)
    args = []
    for t, a in inputs.items():
        if t == "doc" and "doc" not in text or t == "do" and grads is None:
            continue
        p = os.path.join(tmp, f"{name}_{t}.npy")
        np.save(p, a)
        args += ["--input", f"{t}={p}"]
    problems = []
    for backend in backends:
        out = {t: os.path.join(tmp, f"{name}_{backend}_{t}.npy") for t in ("o", "lse")}
        cmd = [attnc, "run", spec_path, "--backend", backend, "--output", out["o"]] + args
        if "softmax" in text:
            cmd += ["--lse", out["lse"]]
        if grads is not None:
            cmd.append("--backward")
            for g in grads:
                out["d" + g] = os.path.join(tmp, f"{name}_{backend}_d{g}.npy")
                cmd += ["--grad", f"{g}={out['d' + g]}"]
        if backend != "reference":
            cmd.append("--check")
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            problems.append(f"{backend}: exit {r.returncode}: {(r.stdout + r.stderr).strip()}")
            continue
        expected = {"o": want}
        if "softmax" in text:
            expected["lse"] = want_lse
        for g, rows in (grads or {}).items():
            expected["d" + g] = rows
        for t, rows in expected.items():
            got = bad_rows(out[t], t == "lse")
            if got != rows:
                problems.append(f"{backend}: bad rows of {t} {sorted(got)}, expected {sorted(rows)}")
    return problems


def main():
    attnc = sys.argv[1]
    backends = sys.argv[2:] or ["reference", "cpu"]
    failed = gaps = 0
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            problems = run_case(attnc, backends, tmp, *case)
            gap = "cuda" in backends and case[0] in CUDA_GAPS
            if gap:
                print(("GAP " if problems else "FIXED ") + case[0])
                failed += not problems
                gaps += bool(problems)
                continue
            failed += bool(problems)
            print(("FAIL " if problems else "PASS ") + case[0])
            for p in problems:
                print("  " + p)
    summary = f"nonfinite: {len(CASES) - failed - gaps} passed, {failed} failed"
    print(summary + (f", {gaps} known gaps" if "cuda" in backends else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
