#!/usr/bin/env python3
"""Runs a linear-family spec's generated CUDA kernel on the host (simt_host.h,
one coroutine per thread) and compares it with the reference executor on
seeded random inputs: o, and with --state the final state (and z) from a
random initial one. The threads of every barrier phase run once in order
and once in reverse; the two results must be bitwise equal (a difference
means a missing barrier).

usage: check.py ATTNC CXX WORKDIR SPEC B,Nq,Nk [--state]
Prints 'ok NAME err=...' or 'FAIL ...' and exits 1 on failure.
"""
import os
import re
import subprocess
import sys

import numpy as np

TOLERANCE = {"f32": 2e-5, "f16": 2e-3, "bf16": 1.5e-2}


def rel_err(got, want):
    scale = max(float(np.abs(want).max()), 1e-30)
    return float(np.abs(got.astype(np.float64) - want).max()) / scale


def main():
    attnc, cxx, work, spec, shape = sys.argv[1:6]
    with_state = "--state" in sys.argv[6:]
    here = os.path.dirname(os.path.abspath(__file__))
    name = os.path.splitext(os.path.basename(spec))[0]
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    text = open(spec).read()
    dtype = re.search(r"^\s*dtype\s+(\w+)", text, re.M).group(1)
    params = re.findall(r"^\s*param\s+(\w+)\s*:", text, re.M)
    cu = os.path.join(d, "kernel.cu")
    with open(cu, "w") as f:
        subprocess.run([attnc, spec, "--emit=cuda"], stdout=f, check=True)
    exe = os.path.join(d, "run")
    subprocess.run([cxx, "-std=c++20", "-O1", "-include", "simt_host.h", "-D__CUDACC_RTC__",
                    "-I" + here, "-DKERNEL_CU=\"%s\"" % cu, os.path.join(here, "run_kernel.cpp"),
                    "-o", exe], check=True)
    cmd = [attnc, "run", spec, "--backend", "reference", "--random", shape, "--seed", "7",
           "--save-inputs", d, "--output", os.path.join(d, "ref_o.npy")]
    if with_state:
        cmd += ["--random-state", "--final-state", os.path.join(d, "ref_state.npy")]
        if "normalize sum" in text:
            cmd += ["--final-z", os.path.join(d, "ref_z.npy")]
    subprocess.run(cmd, check=True)
    for i, p in enumerate(params):
        os.replace(os.path.join(d, p + ".npy"), os.path.join(d, "p%d.npy" % i))
    results = []
    for order in ("forward", "reverse"):
        subprocess.run([exe, d, str(len(params)), order], check=True)
        results.append({f: np.fromfile(os.path.join(d, f + ".bin"), dtype=np.float32)
                        for f in ("o", "state_out", "z_out")})
    fwd, rev = results
    for key in fwd:
        if not np.array_equal(fwd[key], rev[key], equal_nan=True):
            print("FAIL %s: %s depends on the thread order (missing barrier?)" % (name, key))
            return 1
    want = np.load(os.path.join(d, "ref_o.npy")).astype(np.float64)
    errs = {"o": rel_err(fwd["o"].reshape(want.shape), want)}
    if with_state:
        s = np.load(os.path.join(d, "ref_state.npy")).astype(np.float64)
        errs["state"] = rel_err(fwd["state_out"].reshape(s.shape), s)
        if os.path.exists(os.path.join(d, "ref_z.npy")):
            z = np.load(os.path.join(d, "ref_z.npy")).astype(np.float64)
            errs["z"] = rel_err(fwd["z_out"].reshape(z.shape), z)
    tol = TOLERANCE[dtype]
    line = " ".join("%s=%.2e" % kv for kv in errs.items())
    if any(not (e <= tol) for e in errs.values()):
        print("FAIL %s: %s above %g" % (name, line, tol))
        return 1
    print("ok %s %s" % (name, line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
