#!/usr/bin/env python3
"""Builds the GPU test bundle: the CPU matrix's cases (test/Backend/Inputs/
cpu_matrix.py), ten backward cases (write_backward_case) and a few
linear-family cases (each recurrence, f32 and bf16,
lengths no multiple of the chunk, most from a random initial state with the
final state compared), each compiled to a CUDA package (a cubin for sm_90,
and the .cu for NVRTC elsewhere), with seeded random inputs and the
reference executor's outputs as .npy. attnc-gpu-check runs it on a GPU
machine, where neither LLVM nor MLIR is needed.

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
import linear_matrix as lm  # noqa: E402

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


# The backward's tolerances (max error / max(max|ref|, 1), per gradient):
# the CPU backward's (tools/attnc/BackwardRun.cpp, docs/testing.md); the
# SIMT CUDA backward computes in f32 from the same storage-dtype inputs.
BACKWARD_TOLERANCE = {"f32": 2e-5, "f16": 2e-3, "bf16": 8e-3}


def write_backward_case(attnc, case, text, shape, seed, compile_flags, extra=()):
    """Writes one backward case: the package compiled with --backward, seeded
    q, k, v, params and dO (do.npy), the reference executor's o and lse (the
    forward's outputs the backward takes) and its gradients; case.txt with
    `input o`, `input lse`, `input do`, `expect dq|dk|dv` and `expect
    grad:NAME` per parameter with a gradient."""
    os.makedirs(case)
    spec = os.path.join(case, "spec.attn")
    with open(spec, "w") as f:
        f.write(text)
    pkg = os.path.join(case, "pkg")
    subprocess.run([attnc, "compile", spec, "-o", pkg, "--no-cpu", "--backward"]
                   + compile_flags, check=True)
    with open(os.path.join(pkg, "manifest.json")) as f:
        manifest = json.load(f)
    if "backward_rows_kernel" not in manifest.get("cuda", {}):
        sys.exit(f"{case}: the package has no CUDA backward")
    softmax = manifest.get("has_lse", False)
    grads = [p["name"] for p in manifest["params"] if p.get("grad")]
    cmd = [attnc, "run", spec, "--backend", "reference", "--random", shape,
           "--seed", str(seed), "--save-inputs", case, "--backward",
           "--output", os.path.join(case, "o.npy")] + list(extra)
    for g in ("q", "k", "v"):
        cmd += ["--grad", f"{g}={os.path.join(case, 'd' + g + '.npy')}"]
    for g in grads:
        cmd += ["--grad", f"{g}={os.path.join(case, g + '.grad.npy')}"]
    if softmax:
        cmd += ["--lse", os.path.join(case, "lse.npy")]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    dtype = next(w.split()[1] for w in text.splitlines() if w.strip().startswith("dtype"))
    lines = ["package pkg", "input q q.npy", "input k k.npy", "input v v.npy",
             "input o o.npy", "input do do.npy", "expect dq dq.npy",
             "expect dk dk.npy", "expect dv dv.npy",
             f"tolerance {BACKWARD_TOLERANCE[dtype]}"]
    if softmax:
        lines.append("input lse lse.npy")
    lines += [f"expect grad:{g} {g}.grad.npy" for g in grads]
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("param "):
            pname = line.split()[1].rstrip(":")
            lines.append(f"param {pname} {pname}.npy")
    with open(os.path.join(case, "case.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


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


def sparse_cases():
    """(name, spec body, shape, case.txt lines)."""
    est = "by mean(q) . mean(k)"
    yield ("document_mask", "param doc: i32[b, n]\n  mask doc[b, q] == doc[b, k] && causal",
           "2,300,300", ["block_mask cuda"])
    yield ("topk_keep_f32", f"mask causal\n  select topk(2) {est}\n  keep k < 64 || q - k < 64",
           "1,333,333", [])
    yield ("cumulative_bf16", f"mask causal\n  select cumulative(0.9) {est}", "1,300,300", [])
    yield ("lolcats_bf16", "param gate: f32[h]\n  param hw: f32[h, d, d]\n"
           "  mask causal && q - k < 64\n  hybrid hedgehog(hw)\n  complement causal\n"
           "  combine shared(sigmoid(gate[h]))", "1,300,300", [])
    yield ("sla_f32", f"select topk(2) {est}\n  hybrid elu1", "1,260,300", [])


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
    for seed, (name, text, shape, with_state) in enumerate(linear_cases()):
        write_linear_case(attnc, out, seed + 1, name, text, shape, with_state)
        count += 1
    # Runtime block masks built on the device, selection and hybrids (the
    # prologue kernels of docs/runtime.md §3b).
    for seed, (name, body, shape, extra) in enumerate(sparse_cases()):
        text = cpu_matrix.spec("g_" + name, 4, 2, 64, "bf16" if "bf16" in name else "f32", body)
        write_case(attnc, os.path.join(out, f"sparse-{name}"), text, shape, seed + 1,
                   ["--arch", "sm_90"], extra)
        count += 1
    # Split-KV by hand and attnc_merge_states_cuda (attnc-gpu-check's
    # `merge P`): a long decode and a prefill, keys in unequal ranges.
    for seed, (name, text, shape, parts) in enumerate([
            ("decode_bf16", cpu_matrix.spec("g_mdec", 8, 2, 128, "bf16", ""), "4,1,4099", 8),
            ("prefill_f16", cpu_matrix.spec("g_mpre", 4, 4, 64, "f16", ""), "1,300,700", 3)]):
        write_case(attnc, os.path.join(out, f"merge-{name}"), text, shape, seed + 1,
                   ["--arch", "sm_90"], [f"merge {parts}"])
        count += 1
    # Paged KV caches and split-KV decode (docs/runtime.md §3f, §3g): issue
    # 13's decode shape through 16-key pages (the runtime's split rule on
    # the device's SMs), and a forced split count on a sliding window.
    for seed, (name, text, shape, extra) in enumerate([
            ("paged_decode_bf16", cpu_matrix.spec("g_pdec", 32, 8, 128, "bf16", "mask causal"),
             "4,1,4099", ["paged 16"]),
            ("split_window_f16", cpu_matrix.spec("g_swin", 8, 2, 64, "f16", cpu_matrix.MASKS["window"]),
             "2,3,3000", ["kv_splits 7"])]):
        write_case(attnc, os.path.join(out, f"serve-{name}"), text, shape, seed + 1,
                   ["--arch", "sm_90"], extra)
        count += 1
    # The CUDA backward (dQ, dK, dV, parameter gradients): a selection of
    # the CPU backward matrix covering every mask family, learned params,
    # the sum normalizer, GQA/MQA, empty rows, decode and each dtype (the
    # whole matrix runs on the emulator, test/Emu/backward.test).
    wanted = ("alibi_f32", "causal_bf16", "document_bf16", "window_f16", "sum_f32",
              "learned_params_bf16", "mqa", "hd128", "nq_gt_nk_empty_rows", "decode")
    for seed, (name, text, shape, extra) in enumerate(cpu_matrix.backward_cases()):
        if name in wanted:
            write_backward_case(attnc, os.path.join(out, f"backward-{name}"), text, shape,
                                seed + 1, ["--arch", "sm_90"], extra)
            count += 1
    print(f"bundle: {count} cases in {out}")


if __name__ == "__main__":
    main()
