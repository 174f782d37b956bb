#!/usr/bin/env python3
"""Builds the GPU test bundle: the CPU matrix's cases (test/Backend/Inputs/
cpu_matrix.py) and a few linear-family cases (each recurrence, f32 and bf16,
lengths no multiple of the chunk, most from a random initial state with the
final state compared), each compiled to a CUDA package (a cubin for sm_90,
and the .cu for NVRTC elsewhere), with seeded random inputs and the
reference executor's outputs as .npy. attnc-gpu-check runs it on a GPU
machine, where neither LLVM nor MLIR is needed.

usage: make_bundle.py ATTNC OUT_DIR
Tolerances (docs/testing.md): the tensor-core path rounds P to the storage
dtype before P V, on top of the output rounding the CPU backend has.
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Backend", "Inputs"))
import cpu_matrix  # noqa: E402
import linear_matrix as lm  # noqa: E402

TOLERANCE = {"f32": 1e-4, "f16": 4e-3, "bf16": 3e-2}


def linear_cases():
    """(name, spec, shape, with_state): one per recurrence and dtype."""
    spec = lm.spec
    yield ("plain_f32", spec("plain", [], chunk=32), "2,150", True)
    yield ("slope_f32", spec("slope", lm.SLOPE, head_dim=64), "2,201", True)
    yield ("gate_bf16", spec("gate", lm.SOFT_GATE, dtype="bf16"), "2,201", False)
    yield ("vgate_f32", spec("vgate", lm.SOFT_VGATE, value_dim=80, chunk=32), "1,150", True)
    yield ("vgate_bf16", spec("vgate", lm.SOFT_VGATE, dtype="bf16"), "1,130", False)
    yield ("delta_f32", spec("delta", lm.DELTA, head_dim=64), "2,150", True)
    yield ("gated_delta_bf16", spec("gdelta", lm.DELTA + lm.SOFT_GATE, dtype="bf16"), "2,150",
           True)
    yield ("vgated_delta_f32", spec("vdelta", lm.DELTA + lm.SOFT_VGATE, chunk=16), "1,100", True)
    yield ("elu1_sum_f32", spec("elu", ["feature elu1", "normalize sum"]), "1,37,150", True)
    yield ("bidir_bf16", spec("bi", ["bidirectional", "feature elu1", "normalize sum"],
                              value_dim=96, dtype="bf16"), "2,120", False)
    yield ("decode_f32", spec("decode", lm.SLOPE), "2,1,77", True)
    # Nq = Nk = 1: the kernel's decode step instead of the chunk loop.
    yield ("step_vgated_delta_f32", spec("step", lm.DELTA + lm.SOFT_VGATE), "2,1,1", True)
    yield ("step_elu1_sum_bf16", spec("step_sum", lm.SOFT_GATE + ["feature elu1", "normalize sum"],
                                      dtype="bf16"), "2,1,1", True)


def write_linear_case(attnc, out, seed, name, text, shape, with_state):
    case = os.path.join(out, f"linear-{name}")
    os.makedirs(case)
    spec = os.path.join(case, "spec.attn")
    with open(spec, "w") as f:
        f.write(text)
    subprocess.run([attnc, "compile", spec, "-o", os.path.join(case, "pkg"), "--no-cpu",
                    "--arch", "sm_90"], check=True)
    cmd = [attnc, "run", spec, "--backend", "reference", "--random", shape, "--seed",
           str(seed), "--save-inputs", case, "--output", os.path.join(case, "o.npy")]
    dtype = next(w.split()[1] for w in text.splitlines() if w.strip().startswith("dtype"))
    lines = ["package pkg", "input q q.npy", "input k k.npy", "input v v.npy",
             "expect o o.npy", f"tolerance {TOLERANCE[dtype]}"]
    if with_state:
        cmd += ["--random-state", "--final-state", os.path.join(case, "final_state.npy")]
        lines += ["input state state.npy", "expect state final_state.npy"]
        if "normalize sum" in text:
            cmd += ["--final-z", os.path.join(case, "final_z.npy")]
            lines += ["input z z.npy", "expect z final_z.npy"]
    subprocess.run(cmd, check=True)
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
            case = os.path.join(out, f"{group}-{name}")
            os.makedirs(case)
            spec = os.path.join(case, "spec.attn")
            with open(spec, "w") as f:
                f.write(text)
            # Cubins for sm_90 (the H100/H200 machines tests run on); other
            # archs load the .cu through NVRTC.
            subprocess.run([attnc, "compile", spec, "-o", os.path.join(case, "pkg"),
                            "--no-cpu", "--arch", "sm_90"], check=True)
            softmax = "normalize softmax" in text
            cmd = [attnc, "run", spec, "--backend", "reference", "--random", shape,
                   "--seed", str(seed + 1), "--save-inputs", case,
                   "--output", os.path.join(case, "o.npy")]
            if softmax:
                cmd += ["--lse", os.path.join(case, "lse.npy")]
            subprocess.run(cmd, check=True)
            dtype = next(w.split()[1] for w in text.splitlines() if w.strip().startswith("dtype"))
            lines = ["package pkg", "input q q.npy", "input k k.npy", "input v v.npy",
                     "expect o o.npy", f"tolerance {TOLERANCE[dtype]}"]
            if softmax:
                lines.append("expect lse lse.npy")
            for line in text.splitlines():
                line = line.strip()
                if line.startswith("param "):
                    pname = line.split()[1].rstrip(":")
                    lines.append(f"param {pname} {pname}.npy")
            with open(os.path.join(case, "case.txt"), "w") as f:
                f.write("\n".join(lines) + "\n")
            count += 1
    for seed, (name, text, shape, with_state) in enumerate(linear_cases()):
        write_linear_case(attnc, out, seed + 1, name, text, shape, with_state)
        count += 1
    print(f"bundle: {count} cases in {out}")


if __name__ == "__main__":
    main()
