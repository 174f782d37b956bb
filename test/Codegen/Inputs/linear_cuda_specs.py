#!/usr/bin/env python3
"""Writes one linear-family spec per recurrence and storage dtype into a
directory, for nvcc / NVRTC compile tests of the CUDA backend: update add
with no gate, a constant scalar decay, a data-dependent scalar gate and a
per-channel gate; the delta rule plain, gated (scalar) and with a
per-channel gate; bidirectional; normalize sum with its state. The bodies
are the CPU matrix's (test/Backend/Inputs/linear_matrix.py).

usage: linear_cuda_specs.py OUT_DIR
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "Backend", "Inputs"))
import linear_matrix as m  # noqa: E402

RECURRENCES = {
    "add": [],
    "const_decay": ["decay 0.9"],
    "scalar_gate": m.SOFT_GATE,
    "vector_gate": m.SOFT_VGATE,
    "delta": m.DELTA,
    "gated_delta": m.DELTA + m.SOFT_GATE,
    "vector_delta": m.DELTA + m.SOFT_VGATE,
    "bidirectional": ["bidirectional", "feature exp", "normalize sum"],
    "sum": ["feature elu1", "normalize sum"] + m.SLOPE,
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, body in RECURRENCES.items():
        for dtype in ("f32", "f16", "bf16"):
            spec = m.spec(f"{name}_{dtype}", body, head_dim=64, value_dim=96, dtype=dtype)
            with open(os.path.join(out, f"{name}_{dtype}.attn"), "w") as f:
                f.write(spec)


if __name__ == "__main__":
    main()
