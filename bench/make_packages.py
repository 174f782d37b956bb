#!/usr/bin/env python3
"""Compiles the benchmark variants (specs.py) into attnc packages with
cubins for sm_80 and sm_90, to carry to a GPU machine.
usage: make_packages.py ATTNC OUT_DIR"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import specs  # noqa: E402


def build(attnc, out, name, text, flags):
    """Writes spec `name` and compiles it to OUT/name for sm_80 and sm_90."""
    path = os.path.join(out, name + ".attn")
    with open(path, "w") as f:
        f.write(text)
    subprocess.run([attnc, "compile", path, "-o", os.path.join(out, name),
                    "--arch", "sm_80,sm_90", "--no-cpu"] + flags, check=True)
    print("built", name)


def main():
    attnc, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    # The softmax masks (bench_softmax.py) and the backward's score
    # variants (bench_backward.py), all with the backward kernels.
    for mask in list(specs.MASKS) + list(specs.SCORES):
        for hd in specs.HEAD_DIMS:
            build(attnc, out, *specs.spec_text(mask, hd), ["--backward"])
    # Selection and SLA (bench_sparse.py).
    for kind, n, p in specs.sparse_variants():
        build(attnc, out, *specs.sparse_spec_text(kind, n, p), [])
    # Token grids (bench_grid.py).
    for variant in specs.GRIDS:
        build(attnc, out, *specs.grid_spec_text(variant), [])
    # Paged decode (bench_decode.py).
    build(attnc, out, *specs.decode_spec_text(), [])
    # The linear family (bench_linear.py).
    for variant in specs.LINEAR:
        build(attnc, out, *specs.linear_spec_text(variant), [])


if __name__ == "__main__":
    main()
