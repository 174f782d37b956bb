#!/usr/bin/env python3
"""Runs one example spec on the reference backend and checks it against oracle.py.

Usage:
  check_example.py ATTNC EXAMPLE.attn --B 2 --Nq 77 --Nk 77 --seed 3 [--rtol 1e-5]
                   [--state]

The example's name is the file stem; oracle.EXAMPLES holds its head config,
parameters and an independent numpy implementation. This script makes seeded
random inputs (normal, never all zeros; parameters drawn as the example's
paper uses them), writes them as .npy files to a temporary directory, runs

  ATTNC run EXAMPLE --backend reference --input q=q.npy --input k=k.npy
        --input v=v.npy [--input P=P.npy ...] --output o.npy [--lse lse.npy]

and compares o (and lse for softmax normalization) elementwise with
|got - ref| <= atol + rtol * |ref|, atol = rtol * max|ref| over the tensor
(lse: over its finite entries; -inf entries, the empty rows, must match
exactly). Prints `PASS <name>` and exits 0, or prints a mismatch summary and
exits 1.

With --state (causal linear examples), the run starts from a random initial
state (S0 standard normal [B, H, F, Dv]; with normalize sum z0 uniform in
[0.5, 1.5), [B, H, F]), passed as --input state= / z=, and the final state
(--final-state, --final-z) is compared too.
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402


def make_inputs(ex, B, Nq, Nk, seed):
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((B, ex.heads, Nq, ex.head_dim)) * ex.q_std
    k = rng.standard_normal((B, ex.G, Nk, ex.head_dim)) * ex.q_std
    v = rng.standard_normal((B, ex.G, Nk, ex.Dv))
    tensors = {"q": q.astype(np.float32), "k": k.astype(np.float32),
               "v": v.astype(np.float32)}
    params = {}
    for pname, decl in ex.params.items():
        a = decl.gen(rng, ex.param_shape(pname, B, Nk))
        a = a.astype(np.int32 if decl.ctype == "i32" else np.float32)
        params[pname] = a
    return tensors, params


def compare(name, what, got, ref, rtol):
    """Returns a list of failure lines (empty when the tensors agree)."""
    if got.shape != ref.shape:
        return ["%s: expected shape %s, got %s" % (what, list(ref.shape),
                                                   list(got.shape))]
    if got.dtype != np.float32:
        return ["%s: expected dtype float32, got %s" % (what, got.dtype)]
    got = got.astype(np.float64)
    fin = np.isfinite(ref)
    bad = []
    if not np.array_equal(np.isfinite(got), fin) or \
            not np.array_equal(got[~fin], ref[~fin]):
        where = np.argwhere((np.isfinite(got) != fin) |
                            (~fin & (got != ref)))
        idx = tuple(int(i) for i in where[0])
        bad.append("%s: %d entries differ in finiteness, first at %s: "
                   "got %s, expected %s" % (what, len(where), list(idx),
                                            float(got[idx]), float(ref[idx])))
        return bad
    if not fin.any():
        return bad
    scale = np.abs(ref[fin]).max()
    atol = rtol * scale
    g0, r0 = np.where(fin, got, 0.0), np.where(fin, ref, 0.0)
    err = np.abs(g0 - r0)
    lim = atol + rtol * np.abs(r0)
    over = err > lim
    if over.any():
        idx = tuple(int(i) for i in
                    np.unravel_index(np.argmax(err - lim), err.shape))
        bad.append("%s: %d of %d entries out of tolerance (rtol %g, atol %.3g);"
                   " max abs error %.6g at %s: got %.9g, expected %.9g;"
                   " max relative-to-max error %.3g"
                   % (what, int(over.sum()), over.size, rtol, atol, err.max(),
                      list(idx), got[idx], ref[idx],
                      err.max() / max(scale, 1e-300)))
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("attnc")
    ap.add_argument("example")
    ap.add_argument("--B", type=int, default=2)
    ap.add_argument("--Nq", type=int, required=True)
    ap.add_argument("--Nk", type=int, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rtol", type=float, default=1e-5)
    ap.add_argument("--state", action="store_true",
                    help="start from a random initial state and compare the "
                         "final state")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directory and print its path")
    args = ap.parse_args()

    name = os.path.splitext(os.path.basename(args.example))[0]
    if name not in oracle.EXAMPLES:
        print("FAIL %s: no oracle for this example (known: %s)"
              % (name, ", ".join(sorted(oracle.EXAMPLES))))
        return 1
    ex = oracle.EXAMPLES[name]
    tensors, params = make_inputs(ex, args.B, args.Nq, args.Nk, args.seed)
    state = None
    if args.state:
        if ex.family != "linear":
            print("FAIL %s: --state needs a linear example" % name)
            return 1
        # A first run finds F and the normalizer; then the state is drawn.
        probe = {}
        ex(tensors["q"], tensors["k"], tensors["v"], params, state=probe)
        rng = np.random.default_rng(args.seed + 1000)
        shape = (args.B, ex.heads, probe["F"], ex.Dv)
        tensors["state"] = rng.standard_normal(shape).astype(np.float32)
        state = {"S0": tensors["state"].astype(np.float64)}
        if probe["normalize"] == "sum":
            tensors["z"] = rng.uniform(0.5, 1.5, shape[:3]).astype(np.float32)
            state["z0"] = tensors["z"].astype(np.float64)
    ref_o, ref_lse = ex(tensors["q"], tensors["k"], tensors["v"], params,
                        state=state)
    want_lse = ex.has_lse
    assert (ref_lse is not None) == want_lse

    tmp = tempfile.mkdtemp(prefix="attnc-check-%s-" % name)
    cmd = [args.attnc, "run", args.example, "--backend", "reference"]
    for tname, arr in list(tensors.items()) + list(params.items()):
        path = os.path.join(tmp, tname + ".npy")
        np.save(path, arr)
        cmd += ["--input", "%s=%s" % (tname, path)]
    o_path = os.path.join(tmp, "o.npy")
    lse_path = os.path.join(tmp, "lse.npy")
    cmd += ["--output", o_path]
    if want_lse:
        cmd += ["--lse", lse_path]
    finals = {}
    if state is not None:
        finals["state"] = ("--final-state", state["S"])
        if "z0" in state:
            finals["z"] = ("--final-z", state["z"])
        for what, (flag, _) in finals.items():
            cmd += [flag, os.path.join(tmp, "final_%s.npy" % what)]

    try:
        try:
            subprocess.run(cmd, check=True, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        except subprocess.CalledProcessError as e:
            print("FAIL %s: attnc exited with status %d" % (name, e.returncode))
            print("command: %s" % " ".join(cmd))
            if e.stdout:
                print("stdout:\n%s" % e.stdout.rstrip())
            if e.stderr:
                print("stderr:\n%s" % e.stderr.rstrip())
            return 1
        except OSError as e:
            print("FAIL %s: cannot run %s: %s" % (name, args.attnc, e))
            return 1

        failures = []
        try:
            got_o = np.load(o_path)
        except OSError as e:
            failures.append("o: cannot read %s: %s" % (o_path, e))
        else:
            failures += compare(name, "o", got_o, ref_o, args.rtol)
        if want_lse:
            try:
                got_lse = np.load(lse_path)
            except OSError as e:
                failures.append("lse: cannot read %s: %s" % (lse_path, e))
            else:
                failures += compare(name, "lse", got_lse, ref_lse, args.rtol)
        for what, (_, ref) in finals.items():
            path = os.path.join(tmp, "final_%s.npy" % what)
            try:
                got = np.load(path)
            except OSError as e:
                failures.append("%s: cannot read %s: %s" % (what, path, e))
            else:
                failures += compare(name, "final " + what, got, ref, args.rtol)
    finally:
        if args.keep:
            print("inputs and outputs kept in %s" % tmp)
        else:
            for f in os.listdir(tmp):
                os.remove(os.path.join(tmp, f))
            os.rmdir(tmp)

    config = "B=%d Nq=%d Nk=%d seed=%d%s" % (args.B, args.Nq, args.Nk,
                                             args.seed,
                                             " state" if args.state else "")
    if failures:
        print("FAIL %s (%s)" % (name, config))
        for line in failures:
            print("  " + line)
        return 1
    print("PASS %s" % name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
