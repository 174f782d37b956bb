#!/usr/bin/env python3
"""Prints "close" when two .npy files have the same shape and
max|a - b| / max(max|b|, 1) <= TOL, else what differs (exit 1).

usage: npy_close.py A.npy B.npy TOL
"""
import sys

import numpy as np


def main():
    a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
    tol = float(sys.argv[3])
    if a.shape != b.shape:
        sys.exit(f"shapes differ: {a.shape} and {b.shape}")
    err = float(np.max(np.abs(a - b))) / max(float(np.max(np.abs(b))), 1.0)
    if not err <= tol:
        sys.exit(f"max error {err:.3g} exceeds {tol}")
    print(f"close: max error {err:.3g}")


if __name__ == "__main__":
    main()
