#!/usr/bin/env python3
"""Decoding the linear family token by token on the CPU backend: a call with
one query and one key takes the recurrent step form (docs/codegen.md), with
the state handed from call to call through --input state= / --final-state.
The decoded outputs and the final state must equal one chunked CPU call over
the whole sequence and the reference executor's recurrence, from the same
random initial state.

For each spec (every recurrence: no gate, scalar and per-channel gates, the
delta rule with none, a scalar and a per-channel gate, normalize sum) and
each split of N keys (all single tokens; a chunked prefill then single
tokens) the script compiles the spec once (attnc compile), runs the pieces
through that package, and compares with max|got - want| <= tol *
max(max|want|, 1), tol per dtype (docs/testing.md; the state: the f32
bound). Positions restart at 0 in every call, so the specs read neither n,
Nq nor Nk.

usage: linear_decode.py ATTNC
Prints one PASS/FAIL line per check and a summary; exits 1 on any failure.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

TOL = {"f32": 2e-5, "bf16": 8e-3}
STATE_TOL = 2e-5


def spec(name, body, heads=2, kv_heads=None, head_dim=16, dtype="f32",
         chunk=16):
    lines = [f"attention {name} {{", f"  heads {heads}",
             f"  kv_heads {kv_heads or heads}", f"  head_dim {head_dim}",
             f"  dtype {dtype}", "  linear"] + ["  " + b for b in body]
    lines.append(f"  chunk {chunk}")
    return "\n".join(lines + ["}"]) + "\n"


SLOPE = ["param slope: f32[h]", "decay exp(-slope[h])"]
GATE = ["param g: f32[b, h, n]", "decay pow(g[b, h, n], 0.25)"]
VGATE = ["param a: f32[b, h, n, d]", "decay pow(a[b, h, n, d], 0.25)"]
DELTA = ["param beta: f32[b, h, n]", "feature l2norm", "update delta(beta)"]

# name, spec text, params {name: dims}, normalize sum?, dtype.
CASES = [
    ("plain", spec("plain", []), {}, False, "f32"),
    ("elu1_sum_gqa", spec("elu", ["feature elu1", "normalize sum"], heads=4,
                          kv_heads=2), {}, True, "f32"),
    ("lightning", spec("light", SLOPE), {"slope": "h"}, False, "f32"),
    ("gate_sum", spec("gsum", GATE + ["feature elu1", "normalize sum"]),
     {"g": "bhn"}, True, "f32"),
    ("gla_vgate", spec("gla", VGATE), {"a": "bhnd"}, False, "f32"),
    ("deltanet", spec("dn", DELTA), {"beta": "bhn"}, False, "f32"),
    ("gated_deltanet", spec("gdn", DELTA + GATE), {"beta": "bhn", "g": "bhn"},
     False, "f32"),
    ("vgated_deltanet", spec("vdn", DELTA + VGATE),
     {"beta": "bhn", "a": "bhnd"}, False, "f32"),
    ("hedgehog_sum_bf16", spec("hh", ["param w: f32[h, d, d]",
                                      "feature hedgehog(w)", "normalize sum"],
                               dtype="bf16"), {"w": "hdd"}, True, "bf16"),
]
N = 21
SPLITS = [(1,) * N, (17,) + (1,) * 4]


class Runner:
    def __init__(self, attnc, tmp):
        self.attnc, self.tmp, self.count = attnc, tmp, 0

    def path(self, stem):
        self.count += 1
        return os.path.join(self.tmp, f"{stem}{self.count}.npy")

    def call(self, cmd):
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)}\n{result.stdout}{result.stderr}")

    def compile(self, spec_path, package):
        self.call([self.attnc, "compile", spec_path, "-o", package,
                   "--no-cuda-build"])

    def run(self, spec_path, backend, package, tensors, want_z):
        cmd = [self.attnc, "run", spec_path, "--backend", backend]
        if package:
            cmd += ["--package", package]
        for name, array in tensors.items():
            p = self.path("in")
            np.save(p, array)
            cmd += ["--input", f"{name}={p}"]
        outs = {"o": "--output", "state": "--final-state"}
        if want_z:
            outs["z"] = "--final-z"
        paths = {}
        for name, flag in outs.items():
            paths[name] = self.path("out_" + name)
            cmd += [flag, paths[name]]
        self.call(cmd)
        return tuple(np.load(paths[n]) if n in paths else None
                     for n in ("o", "state", "z"))


def relative_error(got, want):
    return float(np.abs(got.astype(np.float64) - want).max() /
                 max(np.abs(want).max(), 1.0))


def header(text):
    get = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            get[parts[0]] = int(parts[1])
    return get["heads"], get["kv_heads"], get["head_dim"]


def feature_dim(text, D):
    return 2 * D if "hedgehog" in text else D


def make_inputs(rng, text, params, has_z):
    H, G, D = header(text)
    B = 2
    tensors = {"q": rng.standard_normal((B, H, N, D)).astype(np.float32),
               "k": rng.standard_normal((B, G, N, D)).astype(np.float32),
               "v": rng.standard_normal((B, G, N, D)).astype(np.float32)}
    sizes = {"b": B, "h": H, "n": N, "d": D}
    for name, dims in params.items():
        shape = tuple(sizes[c] for c in dims)
        if name == "w":
            tensors[name] = (0.2 * rng.standard_normal(shape)).astype(np.float32)
        else:
            tensors[name] = rng.uniform(0.05, 1.0, shape).astype(np.float32)
    F = feature_dim(text, D)
    # A random initial state (as --random-state draws it): decoding
    # continues some earlier prefill.
    tensors["state"] = rng.standard_normal((B, H, F, D)).astype(np.float32)
    if has_z:
        tensors["z"] = rng.uniform(0.5, 1.5, (B, H, F)).astype(np.float32)
    return tensors


def piece(tensors, params, lo, hi):
    out = {}
    for name, array in tensors.items():
        if name in ("state", "z"):
            continue
        dims = "bhnd" if name in ("q", "k", "v") else params[name]
        if "n" in dims:
            index = [slice(None)] * array.ndim
            index[dims.index("n")] = slice(lo, hi)
            array = array[tuple(index)]
        out[name] = np.ascontiguousarray(array)
    return out


def decode_case(runner, name, text, params, has_z, dtype, seed):
    spec_path = os.path.join(runner.tmp, name + ".attn")
    with open(spec_path, "w") as f:
        f.write(text)
    package = os.path.join(runner.tmp, name + ".pkg")
    runner.compile(spec_path, package)
    tensors = make_inputs(np.random.default_rng(seed), text, params, has_z)
    whole = {"cpu": runner.run(spec_path, "cpu", package, tensors, has_z),
             "reference": runner.run(spec_path, "reference", None, tensors,
                                     has_z)}
    lines, ok = [], True
    for split in SPLITS:
        outs, lo = [], 0
        state = {k: tensors[k] for k in ("state", "z") if k in tensors}
        for length in split:
            inputs = piece(tensors, params, lo, lo + length)
            inputs.update(state)
            o, s, z = runner.run(spec_path, "cpu", package, inputs, has_z)
            outs.append(o)
            state = {"state": s}
            if has_z:
                state["z"] = z
            lo += length
        for against, (o_w, s_w, z_w) in whole.items():
            errors = {"o": relative_error(np.concatenate(outs, axis=2), o_w),
                      "state": relative_error(state["state"], s_w)}
            if has_z:
                errors["z"] = relative_error(state["z"], z_w)
            good = (errors["o"] <= TOL[dtype] and
                    all(errors[k] <= STATE_TOL for k in errors if k != "o"))
            ok &= good
            detail = ", ".join(f"{k} {v:.2g}" for k, v in errors.items())
            shown = f"{split[0]}+1x{len(split) - 1}" if split[0] > 1 else f"1x{len(split)}"
            lines.append(f"{'PASS' if good else 'FAIL'} {name} {shown} vs "
                         f"{against} {N}: {detail}")
    return ok, lines


def main():
    attnc = sys.argv[1]
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        runner = Runner(attnc, tmp)
        for seed, case in enumerate(CASES):
            try:
                ok, lines = decode_case(runner, *case, seed + 1)
            except RuntimeError as e:
                ok, lines = False, [f"FAIL {case[0]}: {e}"]
            print("\n".join(lines), flush=True)
            good = sum(line.startswith("PASS") for line in lines)
            if not ok and good == len(lines):
                good -= 1
            passed, failed = passed + good, failed + len(lines) - good
    print(f"linear_decode: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
