#!/usr/bin/env python3
"""Builds the GPU test bundle: the CPU matrix's cases (test/Backend/Inputs/
cpu_matrix.py), each compiled to a CUDA package (a cubin for sm_90, and the
.cu for NVRTC elsewhere), with seeded random inputs and the reference
executor's outputs as .npy. attnc-gpu-check runs it on a GPU machine, where
neither LLVM nor MLIR is needed.

usage: make_bundle.py ATTNC OUT_DIR
Tolerances (docs/testing.md): the tensor-core path rounds P to the storage
dtype before P V, on top of the output rounding the CPU backend has.
"""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Backend", "Inputs"))
import cpu_matrix  # noqa: E402

TOLERANCE = {"f32": 1e-4, "f16": 4e-3, "bf16": 3e-2}


def write_case(attnc, case, text, shape, seed, compile_flags, extra_lines=()):
    """Writes one case directory: spec.attn, the package (`attnc compile`
    with `compile_flags`), seeded inputs, the reference executor's o (and
    lse) and case.txt in the format attnc-gpu-check reads, plus
    `extra_lines` (e.g. "layout bnhd"). Also used by the CPU emulator's
    matrix (test/Emu/Inputs/emu_matrix.py)."""
    os.makedirs(case)
    spec = os.path.join(case, "spec.attn")
    with open(spec, "w") as f:
        f.write(text)
    subprocess.run([attnc, "compile", spec, "-o", os.path.join(case, "pkg"),
                    "--no-cpu"] + compile_flags, check=True)
    # The manifest, not the text: a spec without `normalize` is softmax too.
    with open(os.path.join(case, "pkg", "manifest.json")) as f:
        softmax = json.load(f).get("has_lse", False)
    cmd = [attnc, "run", spec, "--backend", "reference", "--random", shape,
           "--seed", str(seed), "--save-inputs", case,
           "--output", os.path.join(case, "o.npy")]
    if softmax:
        cmd += ["--lse", os.path.join(case, "lse.npy")]
    subprocess.run(cmd, check=True)
    dtype = next(w.split()[1] for w in text.splitlines() if w.strip().startswith("dtype"))
    lines = ["package pkg", "input q q.npy", "input k k.npy", "input v v.npy",
             "expect o o.npy", f"tolerance {TOLERANCE[dtype]}"]
    if softmax:
        lines.append("expect lse lse.npy")
    lines += list(extra_lines)
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("param "):
            pname = line.split()[1].rstrip(":")
            lines.append(f"param {pname} {pname}.npy")
    with open(os.path.join(case, "case.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    attnc, out = sys.argv[1], sys.argv[2]
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    count = 0
    for group in ("masks", "scores", "shapes"):
        for seed, (name, text, shape) in enumerate(cpu_matrix.cases(group)):
            # Cubins for sm_90 (the H100/H200 machines tests run on); other
            # archs load the .cu through NVRTC.
            write_case(attnc, os.path.join(out, f"{group}-{name}"), text, shape,
                       seed + 1, ["--arch", "sm_90"])
            count += 1
    print(f"bundle: {count} cases in {out}")


if __name__ == "__main__":
    main()
