#!/usr/bin/env python3
"""Runs linear-family specs' generated CUDA kernels on the host (simt_host.h,
one coroutine per CUDA thread) and compares them with the reference executor
on seeded random inputs: o, and for the `state` group (random initial state)
the final state and z. The threads of every barrier phase run once in order
and once in reverse; the two results must be bitwise equal (a difference
means a missing barrier). The cases are the CPU matrix's
(test/Backend/Inputs/linear_matrix.py).

usage: linear_check.py ATTNC CXX WORKDIR GROUP[,GROUP...] [--only N1,N2,...]
GROUP: a linear_matrix group (features, decay, delta, shapes, state, long),
examples, or cuda (value tiles, f16, a halved chunk). Prints one 'PASS'/'FAIL' line per case and a summary.
"""
import os
import re
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "Backend", "Inputs"))
import linear_matrix  # noqa: E402

# The CPU backend's tolerances (docs/testing.md): both backends store o in
# the storage dtype after float32 accumulation.
TOLERANCE = {"f32": 2e-5, "f16": 2e-3, "bf16": 1.5e-2}


def cuda_cases():
    """What the CUDA kernel adds to the CPU matrix: several value tiles (the
    last one partial), f16 storage, the chunk halved to fit shared memory,
    and the decode step (Nq = Nk = 1, from a random state) of every
    recurrence. Causal cases start from a random state."""
    spec, m = linear_matrix.spec, linear_matrix
    for name, body, kw in (
            ("add", [], {}), ("slope", m.SLOPE, {}), ("odd_gate", m.ODD_GATE, {}),
            ("vgate", m.ODD_VGATE, {"value_dim": 80}), ("delta", m.DELTA, {}),
            ("gated_delta", m.DELTA + m.SOFT_GATE, {"dtype": "f16"}),
            ("vgated_delta", m.DELTA + m.SOFT_VGATE, {"value_dim": 72}),
            ("elu1_sum", m.SOFT_GATE + ["feature elu1", "normalize sum"], {}),
            ("hedgehog_sum", m.FEATURES["hedgehog"][0], {"dtype": "bf16"}),
            ("taylor2_vgate", ["feature taylor2", "normalize sum", "decay 1 / (1 + 0.01 * d)"],
             {"head_dim": 8})):
        yield (f"step_{name}", spec(f"step_{name}", body, **kw), "2,1,1")
    yield ("tiles_f16", spec("tiles", m.SLOPE, value_dim=80, dtype="f16", chunk=32), "2,100")
    yield ("tiles_vgate", spec("tiles_v", m.SOFT_VGATE, value_dim=144), "1,150")
    yield ("tiles_delta_f16", spec("tiles_d", m.DELTA + m.SOFT_GATE, value_dim=96, dtype="f16",
                                   chunk=16), "2,90")
    yield ("tiles_vdelta", spec("tiles_vd", m.DELTA + m.SOFT_VGATE, value_dim=72, chunk=32), "1,100")
    yield ("tiles_bidir_sum", spec("tiles_bi", ["bidirectional", "feature elu1", "normalize sum"],
                                   value_dim=136, dtype="f16"), "1,70,90")
    # F = 1 + 24 + 576 = 601 features: chunk 64 halves to 16.
    yield ("halved_chunk", spec("halved", ["feature taylor2", "normalize sum"], head_dim=24,
                                chunk=64), "1,70")


def rel_err(got, want):
    scale = max(float(np.abs(want).max()), 1e-30)
    return float(np.abs(got.astype(np.float64) - want).max()) / scale


def check(attnc, cxx, d, text, shape, seed, with_state):
    """Returns (ok, message)."""
    os.makedirs(d, exist_ok=True)
    spec = os.path.join(d, "spec.attn")
    with open(spec, "w") as f:
        f.write(text)
    dtype = re.search(r"^\s*dtype\s+(\w+)", text, re.M).group(1)
    params = re.findall(r"^\s*param\s+(\w+)\s*:", text, re.M)
    causal = "bidirectional" not in text
    cu = os.path.join(d, "kernel.cu")
    with open(cu, "w") as f:
        subprocess.run([attnc, spec, "--emit=cuda"], stdout=f, check=True)
    exe = os.path.join(d, "run")
    subprocess.run([cxx, "-std=c++20", "-O1", "-include", "simt_host.h", "-D__CUDACC_RTC__",
                    "-I" + HERE, "-DKERNEL_CU=\"%s\"" % cu, os.path.join(HERE, "run_kernel.cpp"),
                    "-o", exe], check=True)
    cmd = [attnc, "run", spec, "--backend", "reference", "--random", shape, "--seed", str(seed),
           "--save-inputs", d, "--output", os.path.join(d, "ref_o.npy")]
    if with_state:
        cmd.append("--random-state")
    if causal:
        cmd += ["--final-state", os.path.join(d, "ref_state.npy")]
        if "normalize sum" in text:
            cmd += ["--final-z", os.path.join(d, "ref_z.npy")]
    subprocess.run(cmd, check=True)
    for i, p in enumerate(params):
        os.replace(os.path.join(d, p + ".npy"), os.path.join(d, "p%d.npy" % i))
    results = []
    for order in ("forward", "reverse"):
        run = subprocess.run([exe, d, str(len(params)), order], capture_output=True, text=True)
        if run.returncode != 0:
            return False, "kernel run failed: " + run.stderr.strip()
        results.append({f: np.fromfile(os.path.join(d, f + ".bin"), dtype=np.float32)
                        for f in ("o", "state_out", "z_out")})
    fwd, rev = results
    for key in fwd:
        if not np.array_equal(fwd[key], rev[key], equal_nan=True):
            return False, key + " depends on the thread order (missing barrier?)"
    want = np.load(os.path.join(d, "ref_o.npy")).astype(np.float64)
    errs = {"o": rel_err(fwd["o"].reshape(want.shape), want)}
    for key, ref in (("state", "ref_state.npy"), ("z", "ref_z.npy")):
        if os.path.exists(os.path.join(d, ref)):
            r = np.load(os.path.join(d, ref)).astype(np.float64)
            errs[key] = rel_err(fwd[key + "_out"].reshape(r.shape), r)
    tol = TOLERANCE[dtype]
    line = " ".join("%s=%.2e" % kv for kv in errs.items())
    if any(not (e <= tol) for e in errs.values()):
        return False, "%s above %g" % (line, tol)
    return True, line


def main():
    attnc, cxx, work, groups = sys.argv[1:5]
    only = None
    if "--only" in sys.argv:
        only = set(sys.argv[sys.argv.index("--only") + 1].split(","))
    examples = os.path.join(HERE, "..", "..", "..", "..", "examples")
    passed = failed = 0
    for g in groups.split(","):
        todo = (linear_matrix.example_cases(examples) if g == "examples"
                else cuda_cases() if g == "cuda" else linear_matrix.cases(g))
        for seed, (name, text, shape) in enumerate(todo):
            if only is not None and name not in only:
                continue
            d = os.path.join(work, g, name.replace("@", "_").replace(",", "_"))
            state = g == "state" or (g == "cuda" and "bidirectional" not in text)
            ok, message = check(attnc, cxx, d, text, shape, seed + 1, state)
            print("%s %s/%s [%s]: %s" % ("PASS" if ok else "FAIL", g, name, shape, message))
            sys.stdout.flush()
            passed += ok
            failed += not ok
    print("simt: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
