"""Shared helpers of the Python package tests: random inputs, the reference
executor through `attnc run --backend reference`, and the error measure of
docs/testing.md (max|got - ref| / max(max|ref|, 1))."""
import os
import subprocess
import sys

import numpy as np

# Forward: `attnc run --check`'s bounds (tools/attnc/BackendRun.cpp);
# backward: `attnc run --backward --check`'s (tools/attnc/BackwardRun.cpp).
FORWARD_TOL = {"f32": 2e-5, "f16": 1e-3, "bf16": 8e-3}
BACKWARD_TOL = {"f32": 2e-5, "f16": 2e-3, "bf16": 8e-3}
# A parameter's gradient (ALiBi's slope) sums B * Nq * Nk terms per head,
# each weighted by dS, which carries the rounding of the stored 16-bit o and
# dO (D = rowsum(dO * o)): twice the bound of dq, dk, dv in f16 and bf16.
# Measured: bf16 up to 4.5e-3 over 8 seeds of numpy_checks.py's case and
# 9.2e-3 on torch_checks.py's draw; f16 up to 7.9e-4.
PARAM_GRAD_TOL = {"f32": 2e-5, "f16": 4e-3, "bf16": 1.6e-2}


def attnc_bin():
    return os.environ["ATTNC_BIN"]


def rel_err(got, ref):
    got = np.asarray(got, np.float64)
    ref = np.asarray(ref, np.float64)
    assert got.shape == ref.shape, (got.shape, ref.shape)
    return float(np.max(np.abs(got - ref)) / max(np.max(np.abs(ref)), 1.0))


def check(what, got, ref, tol):
    err = rel_err(got, ref)
    status = "ok" if err <= tol else "FAIL"
    print(f"{status}: {what}: error {err:.3g} (bound {tol:g})", flush=True)
    if err > tol:
        sys.exit(1)
    return err


def expect(what, cond, detail=""):
    print(f"{'ok' if cond else 'FAIL'}: {what}{': ' + detail if detail else ''}", flush=True)
    if not cond:
        sys.exit(1)


def np_dtype(dtype):
    if dtype == "bf16":
        import ml_dtypes
        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype({"f32": np.float32, "f16": np.float16}[dtype])


def randn(rng, shape, dtype):
    """Standard normal values, never all zero, stored in `dtype`."""
    return rng.standard_normal(shape).astype(np.float32).astype(np_dtype(dtype))


def doc_ids(rng, b, n, mean=16):
    """Sorted document ids per batch row (a new one with probability 1/mean)."""
    starts = rng.random((b, n)) < 1.0 / mean
    starts[:, 0] = False
    return np.cumsum(starts, axis=1).astype(np.int32)


def reference(spec, tmp, inputs, outputs, extra=()):
    """Runs the reference executor on `inputs` (name -> array, saved as
    float32 or int32 .npy) and returns {name: array} for `outputs`
    (flag -> file name, e.g. {"--output": "o"})."""
    os.makedirs(tmp, exist_ok=True)
    args = [attnc_bin(), "run", spec, "--backend", "reference"]
    for name, a in inputs.items():
        path = os.path.join(tmp, f"in_{name}.npy")
        a = np.asarray(a)
        np.save(path, a if a.dtype == np.int32 else a.astype(np.float32))
        args += ["--input", f"{name}={path}"]
    result = {}
    for flag, name in outputs:
        path = os.path.join(tmp, f"out_{name}.npy")
        args += [flag, (f"{name}={path}" if flag == "--grad" else path)]
        result[name] = path
    args += list(extra)
    subprocess.run(args, check=True, capture_output=True)
    return {name: np.load(path) for name, path in result.items()}
