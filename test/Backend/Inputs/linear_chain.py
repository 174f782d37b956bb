#!/usr/bin/env python3
"""Chaining the linear family's state: a sequence run in pieces, each piece
starting from the state the previous one handed out (--input state=, z=,
--final-state, --final-z), must give the outputs and the final state of one
run over the whole sequence. This is what prefill-then-decode and sequence
parallelism across devices (LASP-2) rely on.

For each spec and backend (reference, cpu) the script makes seeded random
inputs with numpy, runs `attnc run` once over all N keys and then over the
pieces (splits such as 150 | 1 | 50: a prefill, one decode step, a second
chunk), and compares o (the pieces' rows concatenated) and the final state
with max|got - want| <= tol * max(max|want|, 1), tol the per-dtype bound of
docs/testing.md (the state: the f32 bound). Parameters over n are sliced with
the keys; the others are passed whole. Positions restart at 0 in every call,
so the specs here do not read n, Nq or Nk.

Two specs are also checked against numpy directly (an independent recurrence
written here): from a random initial state S0, o_i = scale phi(q_i) S_i with
S_t = lambda_t S_{t-1} + k_t v_t^T.

usage: linear_chain.py ATTNC
Prints one PASS/FAIL line per check and a summary; exits 1 on any failure.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

TOL = {"f32": 2e-5, "f16": 1e-3, "bf16": 8e-3}
STATE_TOL = 2e-5


def spec(name, body, heads=2, kv_heads=None, head_dim=16, value_dim=None,
         dtype="f32", chunk=None):
    lines = [f"attention {name} {{", f"  heads {heads}",
             f"  kv_heads {kv_heads or heads}", f"  head_dim {head_dim}"]
    if value_dim:
        lines.append(f"  value_dim {value_dim}")
    lines += [f"  dtype {dtype}", "  linear"] + ["  " + b for b in body]
    if chunk:
        lines.append(f"  chunk {chunk}")
    return "\n".join(lines + ["}"]) + "\n"


# name, spec text, params {name: dims}, normalize sum?, dtype, splits.
CASES = [
    ("elu1_sum_gqa", spec("elu", ["feature elu1", "normalize sum"], heads=4,
                          kv_heads=2, chunk=32), {}, True, "f32",
     [(150, 1, 50), (64, 137)]),
    ("lightning", spec("light", ["param slope: f32[h]",
                                 "decay exp(-slope[h])"], value_dim=24),
     {"slope": "h"}, False, "f32", [(100, 101), (1, 1, 199)]),
    ("gla_vgate", spec("gla", ["param a: f32[b, h, n, d]",
                               "decay pow(a[b, h, n, d], 0.0625)"], chunk=16),
     {"a": "bhnd"}, False, "f32", [(77, 1, 123)]),
    ("gated_deltanet", spec("gdn", ["param beta: f32[b, h, n]",
                                    "param g: f32[b, h, n]", "feature l2norm",
                                    "update delta(beta)",
                                    "decay exp(-g[b, h, n])"], chunk=32),
     {"beta": "bhn", "g": "bhn"}, False, "f32", [(90, 111), (200, 1)]),
    ("hedgehog_sum_bf16", spec("hh", ["param w: f32[h, d, d]",
                                      "feature hedgehog(w)", "normalize sum"],
                               dtype="bf16"),
     {"w": "hdd"}, True, "bf16", [(120, 81)]),
    ("taylor2_sum", spec("t2", ["feature taylor2", "normalize sum"],
                         head_dim=4, chunk=16), {}, True, "f32", [(33, 1, 167)]),
]

# Independent numpy checks: (name, spec text, decay(slope) or None).
NUMPY_CASES = [
    ("plain_numpy", spec("plain", ["scale 0.5"], heads=4, kv_heads=2,
                         value_dim=8, chunk=16), False),
    ("slope_numpy", spec("slope", ["param slope: f32[h]",
                                   "decay exp(-slope[h])"], chunk=32), True),
]


class Runner:
    def __init__(self, attnc, tmp):
        self.attnc, self.tmp, self.count = attnc, tmp, 0

    def save(self, array):
        self.count += 1
        path = os.path.join(self.tmp, f"t{self.count}.npy")
        np.save(path, array)
        return path

    def run(self, spec_path, backend, tensors, want_z):
        """Runs attnc; returns (o, state, z) as arrays."""
        cmd = [self.attnc, "run", spec_path, "--backend", backend]
        for name, array in tensors.items():
            cmd += ["--input", f"{name}={self.save(array)}"]
        outs = {"o": "--output", "state": "--final-state"}
        if want_z:
            outs["z"] = "--final-z"
        paths = {}
        for name, flag in outs.items():
            self.count += 1
            paths[name] = os.path.join(self.tmp, f"out{self.count}_{name}.npy")
            cmd += [flag, paths[name]]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)}\n{result.stdout}{result.stderr}")
        return tuple(np.load(paths[n]) if n in paths else None
                     for n in ("o", "state", "z"))


def relative_error(got, want):
    return float(np.abs(got.astype(np.float64) - want).max() /
                 max(np.abs(want).max(), 1.0))


def make_inputs(rng, H, G, D, Dv, N, B, params):
    tensors = {"q": rng.standard_normal((B, H, N, D)).astype(np.float32),
               "k": rng.standard_normal((B, G, N, D)).astype(np.float32),
               "v": rng.standard_normal((B, G, N, Dv)).astype(np.float32)}
    sizes = {"b": B, "h": H, "n": N, "d": D}
    for name, dims in params.items():
        shape = tuple(sizes[c] for c in dims)
        if name == "w":
            tensors[name] = (0.2 * rng.standard_normal(shape)).astype(np.float32)
        else:
            tensors[name] = rng.uniform(0.05, 1.0, shape).astype(np.float32)
    return tensors


def piece(tensors, params, lo, hi):
    """The inputs of keys [lo, hi): q, k, v and the params over n sliced."""
    out = {}
    for name, array in tensors.items():
        dims = "bhnd" if name in ("q", "k", "v") else params[name]
        if "n" in dims:
            index = [slice(None)] * array.ndim
            index[dims.index("n")] = slice(lo, hi)
            array = array[tuple(index)]
        out[name] = np.ascontiguousarray(array)
    return out


def header(text):
    """H, G, D, Dv from a spec written by spec()."""
    get = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            get[parts[0]] = int(parts[1])
    return (get["heads"], get["kv_heads"], get["head_dim"],
            get.get("value_dim", get["head_dim"]))


def chain_case(runner, name, text, params, has_z, dtype, splits, backend,
               seed):
    path = os.path.join(runner.tmp, name + ".attn")
    with open(path, "w") as f:
        f.write(text)
    H, G, D, Dv = header(text)
    N = sum(splits[0])
    rng = np.random.default_rng(seed)
    tensors = make_inputs(rng, H, G, D, Dv, N, 2, params)
    o_full, s_full, z_full = runner.run(path, backend, tensors, has_z)
    lines, ok = [], True
    for split in splits:
        assert sum(split) == N
        outs, state, z, lo = [], None, None, 0
        for length in split:
            inputs = piece(tensors, params, lo, lo + length)
            if state is not None:
                inputs["state"] = state
                if has_z:
                    inputs["z"] = z
            o, state, z = runner.run(path, backend, inputs, has_z)
            outs.append(o)
            lo += length
        errors = {"o": relative_error(np.concatenate(outs, axis=2), o_full),
                  "state": relative_error(state, s_full)}
        if has_z:
            errors["z"] = relative_error(z, z_full)
        good = (errors["o"] <= TOL[dtype] and
                all(errors[k] <= STATE_TOL for k in errors if k != "o"))
        ok &= good
        detail = ", ".join(f"{k} {v:.2g}" for k, v in errors.items())
        lines.append(f"{'PASS' if good else 'FAIL'} {backend}/{name} "
                     f"{'|'.join(map(str, split))} vs {N}: {detail}")
    return ok, lines


def numpy_case(runner, name, text, gated, backend, seed):
    """One run from a random S0 against a recurrence written here."""
    path = os.path.join(runner.tmp, name + ".attn")
    with open(path, "w") as f:
        f.write(text)
    H, G, D, Dv = header(text)
    scale = 0.5 if "scale 0.5" in text else 1.0
    B, Nq, Nk = 2, 70, 97
    rng = np.random.default_rng(seed)
    tensors = make_inputs(rng, H, G, D, Dv, Nk, B,
                          {"slope": "h"} if gated else {})
    tensors["q"] = tensors["q"][:, :, :Nq].copy()
    s0 = rng.standard_normal((B, H, D, Dv)).astype(np.float32)
    tensors["state"] = s0
    o, s_final, _ = runner.run(path, backend, tensors, False)

    q, k, v = (tensors[n].astype(np.float64) for n in "qkv")
    kh = np.repeat(k, H // G, axis=1)  # query head h reads kv head h // (H/G)
    vh = np.repeat(v, H // G, axis=1)
    lam = (np.exp(-tensors["slope"].astype(np.float64)) if gated
           else np.ones(H))[None, :, None, None]
    S = s0.astype(np.float64)
    want_o = np.zeros((B, H, Nq, Dv))
    for t in range(Nk):
        S = lam * S + kh[:, :, t, :, None] * vh[:, :, t, None, :]
        i = t - (Nk - Nq)
        if i >= 0:
            want_o[:, :, i] = scale * np.einsum("bhf,bhfe->bhe", q[:, :, i], S)
    errors = {"o": relative_error(o, want_o), "state": relative_error(s_final, S)}
    good = errors["o"] <= TOL["f32"] and errors["state"] <= STATE_TOL
    detail = ", ".join(f"{k} {v:.2g}" for k, v in errors.items())
    return good, [f"{'PASS' if good else 'FAIL'} {backend}/{name} "
                  f"Nq={Nq} Nk={Nk} from S0: {detail}"]


def main():
    attnc = sys.argv[1]
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        runner = Runner(attnc, tmp)
        for backend in ("reference", "cpu"):
            jobs = [(chain_case, (name, text, params, has_z, dtype, splits))
                    for name, text, params, has_z, dtype, splits in CASES]
            jobs += [(numpy_case, (name, text, gated))
                     for name, text, gated in NUMPY_CASES]
            for seed, (fn, args) in enumerate(jobs):
                try:
                    ok, lines = fn(runner, *args, backend, seed + 1)
                except RuntimeError as e:
                    ok, lines = False, [f"FAIL {backend}/{args[0]}: {e}"]
                print("\n".join(lines))
                good = sum(line.startswith("PASS") for line in lines)
                if not ok and good == len(lines):
                    good -= 1
                passed, failed = passed + good, failed + len(lines) - good
    print(f"linear_chain: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
