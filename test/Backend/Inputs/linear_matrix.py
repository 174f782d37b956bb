#!/usr/bin/env python3
"""The linear-family CPU test matrix: writes one .attn spec per case, runs
`attnc run --backend cpu --check` on seeded random inputs, and prints one
PASS/FAIL line per case plus a summary. The check compares the chunked CPU
kernel against the reference executor's token-by-token recurrence with the
per-dtype tolerance of docs/testing.md.

usage: linear_matrix.py ATTNC GROUPS [--examples DIR]
GROUPS is a comma-separated list of: features, decay, delta, shapes, long,
state (the same kinds of cases from a random initial state, --random-state),
forms (the chunk-parallel and sequential kernel forms, from a random state),
examples (every linear spec in examples/, with its own schedule); or all.
Every causal case also compares the final state (and z with normalize sum)
with the reference's.
Random f32 parameters are uniform in [0.05, 1) (tools/attnc/Inputs.cpp), so a
gate written as the parameter itself decays hard (products underflow within
a chunk) and pow(p, 1/16) decays slowly; both are covered.
"""
import os
import subprocess
import sys
import tempfile
import time
import zlib


def spec(name, body, heads=2, kv_heads=None, head_dim=32, value_dim=None,
         dtype="f32", chunk=None):
    lines = [f"attention {name} {{", f"  heads {heads}",
             f"  kv_heads {kv_heads or heads}", f"  head_dim {head_dim}"]
    if value_dim:
        lines.append(f"  value_dim {value_dim}")
    lines += [f"  dtype {dtype}", "  linear"]
    lines += ["  " + line for line in body]
    if chunk:
        lines.append(f"  chunk {chunk}")
    lines.append("}")
    return "\n".join(lines) + "\n"


# Feature maps, each with the normalizer it is used with: sum needs phi(q).z
# away from 0, so only maps with positive features take it.
FEATURES = {
    "identity": (["feature identity", "normalize none"], {}),
    "relu": (["feature relu", "normalize sum"], {}),
    "elu1": (["feature elu1", "normalize sum"], {}),
    "exp": (["feature exp", "normalize sum"], {}),
    "l2norm": (["feature l2norm", "normalize none"], {}),
    "taylor2": (["feature taylor2", "normalize sum"], {"head_dim": 16}),
    "hedgehog": (["param w: f32[h, d, d]", "feature hedgehog(w)",
                  "normalize sum"], {}),
    # cosFormer-like: relu features reweighted by the position, cos on the
    # first half of the channels and sin on the second.
    "cosformer": (["feature relu(x) * (d < 16 ? cos(1.5707963 * n / Nk) : "
                   "sin(1.5707963 * n / Nk))", "normalize sum"], {}),
}

SLOPE = ["param slope: f32[h]", "decay exp(-slope[h])"]
GATE = ["param g: f32[b, h, n]", "decay g[b, h, n]"]
SOFT_GATE = ["param g: f32[b, h, n]", "decay pow(g[b, h, n], 0.0625)"]
VGATE = ["param a: f32[b, h, n, d]", "decay a[b, h, n, d]"]
SOFT_VGATE = ["param a: f32[b, h, n, d]", "decay pow(a[b, h, n, d], 0.0625)"]
# Zero and negative gates: the state is erased or flips sign.
ODD_GATE = ["param g: f32[b, h, n]",
            "decay g[b, h, n] < 0.2 ? 0 : 1.3 * g[b, h, n] - 0.3"]
ODD_VGATE = ["param a: f32[b, h, n, d]",
             "decay a[b, h, n, d] < 0.1 ? 0 : 1.2 * a[b, h, n, d] - 0.2"]
DELTA = ["param beta: f32[b, h, n]", "feature l2norm", "update delta(beta)"]


def cases(group):
    if group == "features":
        for i, (name, (body, kw)) in enumerate(FEATURES.items()):
            for dtype in ("f32", "bf16"):
                if dtype == "bf16" and name not in ("identity", "elu1", "hedgehog"):
                    continue
                # Lengths that are no multiple of the chunk; chunk 32 or 64.
                yield (f"{name}_{dtype}",
                       spec(f"f_{name}", body, dtype=dtype,
                            chunk=32 if i % 2 else None, **kw),
                       "2,150" if name == "taylor2" else "2,201")
    elif group == "decay":
        for chunk in (16, 32, 64, 128):
            yield (f"slope_c{chunk}", spec("slope", SLOPE, chunk=chunk), "2,300")
        yield ("gate_c64", spec("gate", GATE), "2,300")
        yield ("gate_c128", spec("gate", GATE, chunk=128), "1,333")
        yield ("soft_gate_c32", spec("soft_gate", SOFT_GATE, chunk=32), "2,300")
        yield ("gate_elu1_sum", spec("gate_sum", SOFT_GATE + ["feature elu1", "normalize sum"]), "2,250")
        yield ("vgate_c16", spec("vgate", VGATE, chunk=16), "2,300")
        yield ("vgate_c64", spec("vgate", VGATE), "2,300")
        yield ("vgate_c128", spec("vgate", VGATE, chunk=128), "1,333")
        yield ("soft_vgate_c64", spec("soft_vgate", SOFT_VGATE, head_dim=64), "2,300")
        yield ("soft_vgate_c128_bf16", spec("soft_vgate", SOFT_VGATE, dtype="bf16", chunk=128), "1,300")
        yield ("vgate_elu1_sum", spec("vgate_sum", SOFT_VGATE + ["feature elu1", "normalize sum"]), "2,250")
        # Gates over F != D state rows: d runs over the feature channels.
        yield ("vgate_taylor2", spec("vgate_t2", ["feature taylor2", "normalize sum",
                                                  "decay 1 / (1 + 0.01 * d)"], head_dim=8), "2,200")
        yield ("vgate_hedgehog", spec("vgate_hh", FEATURES["hedgehog"][0] + [
            "decay exp(-0.02 * (d + 1))"], chunk=32), "2,200")
        yield ("odd_gate", spec("odd_gate", ODD_GATE, chunk=32), "2,300")
        yield ("odd_vgate", spec("odd_vgate", ODD_VGATE, chunk=32), "2,300")
        yield ("retnet_bf16", spec("retnet", ["decay 1 - pow(2, -5 - h)"], heads=4, dtype="bf16"), "1,300")
    elif group == "delta":
        for chunk in (16, 32, 64, 128):
            yield (f"delta_c{chunk}", spec("delta", DELTA, head_dim=64, chunk=chunk), "2,300")
        yield ("delta_bf16", spec("delta", DELTA, dtype="bf16"), "2,201")
        # Unnormalised features with |k|^2 close to 1 (D = 64, N(0, 1) inputs).
        yield ("delta_expr", spec("delta_x", ["param beta: f32[b, h, n]",
                                              "feature x / 8", "update delta(beta)"],
                                  head_dim=64), "2,201")
        yield ("gated_delta_c64", spec("gdelta", DELTA + SOFT_GATE, head_dim=64), "2,300")
        yield ("gated_delta_hard_c32", spec("gdelta", DELTA + GATE, chunk=32), "2,300")
        yield ("gated_delta_c128", spec("gdelta", DELTA + SLOPE, chunk=128), "1,333")
        yield ("gated_delta_odd", spec("gdelta", DELTA + ODD_GATE, chunk=16), "2,200")
        # Per-channel gates with the delta rule (pairwise log-space ratios).
        yield ("vgated_delta_c32", spec("vdelta", DELTA + SOFT_VGATE, chunk=32), "2,300")
        yield ("vgated_delta_hard_c64", spec("vdelta", DELTA + VGATE, head_dim=64), "1,300")
        yield ("vgated_delta_odd_c16", spec("vdelta", DELTA + ODD_VGATE, chunk=16), "2,200")
        yield ("vgated_delta_c128_bf16", spec("vdelta", DELTA + SOFT_VGATE, dtype="bf16", chunk=128), "1,300")
    elif group == "shapes":
        soft = SOFT_GATE + ["feature elu1", "normalize sum"]
        yield ("nq_lt_nk", spec("nq_lt_nk", soft), "1,37,300")
        yield ("nq_gt_nk", spec("nq_gt_nk", soft), "1,90,50")
        yield ("decode", spec("decode", SLOPE), "2,1,517")
        yield ("delta_nq_lt_nk", spec("dq", DELTA, chunk=32), "1,50,230")
        yield ("delta_nq_gt_nk", spec("dq", DELTA + GATE, chunk=16), "1,70,40")
        yield ("vdelta_nq_lt_nk", spec("vdq", DELTA + SOFT_VGATE, chunk=16), "1,33,150")
        yield ("vgate_nq_lt_nk", spec("vq", SOFT_VGATE, chunk=32), "1,45,200")
        yield ("gqa", spec("gqa", soft, heads=4, kv_heads=2), "2,150")
        yield ("mqa_delta", spec("mqa", DELTA, heads=4, kv_heads=1), "1,150")
        yield ("value_dim", spec("vdim", SLOPE, head_dim=32, value_dim=48), "2,150")
        yield ("short", spec("short", SLOPE, chunk=128), "2,5")
        yield ("bidir_elu1", spec("bi", ["bidirectional", "feature elu1", "normalize sum"]), "2,201")
        yield ("bidir_identity_c16", spec("bi_id", ["bidirectional"], chunk=16), "2,201")
        yield ("bidir_gqa_bf16", spec("bi_gqa", ["bidirectional", "feature exp", "normalize sum"],
                                      heads=4, kv_heads=2, dtype="bf16"), "1,150")
        yield ("bidir_nq_gt_nk", spec("bi_q", ["bidirectional", "feature elu1", "normalize sum"]), "1,80,50")
        yield ("bidir_cosformer", spec("bi_cos", ["bidirectional"] + FEATURES["cosformer"][0]), "1,60,170")
    elif group == "state":
        # From a random initial state S (and z with normalize sum): chunk
        # lengths 16 to 128, lengths no multiple of the chunk, Nq < Nk and
        # Nq > Nk, decode, the delta rule, scalar, per-channel, zero and
        # negative gates, every normalizer.
        soft = SOFT_GATE + ["feature elu1", "normalize sum"]
        for chunk in (16, 32, 64, 128):
            yield (f"slope_c{chunk}", spec("slope", SLOPE, chunk=chunk), "2,300")
        yield ("plain_c32", spec("plain", [], chunk=32), "2,201")
        yield ("elu1_sum_c32", spec("elu", ["feature elu1", "normalize sum"], chunk=32), "2,201")
        yield ("taylor2_sum", spec("t2", ["feature taylor2", "normalize sum"], head_dim=8), "1,150")
        yield ("hedgehog_sum_bf16", spec("hh", FEATURES["hedgehog"][0], dtype="bf16"), "1,150")
        yield ("gate_sum", spec("gate_sum", soft, chunk=16), "2,250")
        yield ("hard_gate", spec("gate", GATE, chunk=32), "2,201")
        yield ("odd_gate", spec("odd_gate", ODD_GATE, chunk=32), "2,201")
        yield ("vgate_c16", spec("vgate", SOFT_VGATE, chunk=16), "2,201")
        yield ("odd_vgate_c64", spec("odd_vgate", ODD_VGATE), "1,201")
        yield ("vgate_sum", spec("vgate_sum", SOFT_VGATE + ["feature elu1", "normalize sum"], chunk=32), "1,150")
        for chunk in (16, 64):
            yield (f"delta_c{chunk}", spec("delta", DELTA, head_dim=64, chunk=chunk), "2,201")
        yield ("gated_delta_c32", spec("gdelta", DELTA + SOFT_GATE, chunk=32), "2,201")
        yield ("gated_delta_odd_c16", spec("gdelta", DELTA + ODD_GATE, chunk=16), "1,150")
        yield ("vgated_delta_c32", spec("vdelta", DELTA + SOFT_VGATE, chunk=32), "1,150")
        yield ("nq_lt_nk", spec("nq_lt_nk", soft), "1,37,300")
        yield ("nq_gt_nk", spec("nq_gt_nk", soft), "1,90,50")
        yield ("decode", spec("decode", SLOPE), "2,1,517")
        yield ("decode_one_key", spec("decode1", soft), "2,1,1")
        yield ("delta_nq_lt_nk", spec("dq", DELTA, chunk=32), "1,50,230")
        yield ("vdelta_nq_lt_nk", spec("vdq", DELTA + SOFT_VGATE, chunk=16), "1,33,150")
        yield ("delta_decode", spec("ddec", DELTA + SOFT_GATE), "2,1,77")
        yield ("gqa_sum", spec("gqa", soft, heads=4, kv_heads=2), "2,150")
        yield ("value_dim", spec("vdim", SLOPE, head_dim=32, value_dim=48), "2,150")
        yield ("short", spec("short", SLOPE, chunk=128), "2,5")
        yield ("long_2048", spec("long", SOFT_GATE, head_dim=64, chunk=64), "1,2048")
    elif group == "forms":
        # The chunked kernel forms (docs/codegen.md), update add and the
        # delta rule with every gate, on B*H = 1, where the
        # unforced kernel takes the chunk-parallel form when OpenMP has more
        # than one thread, and with `chunk C parallel` / `chunk C sequential`
        # both forms on the same seeded inputs (the seed of a forms case is
        # derived from its name without the form). From a random initial
        # state; final state and z checked.
        soft = SOFT_GATE + ["feature elu1", "normalize sum"]
        bodies = [("plain", [], 16, "1,201"),
                  ("slope", SLOPE, 64, "1,300"),
                  ("gate_sum", soft, 16, "1,250"),
                  ("odd_gate", ODD_GATE, 16, "1,150"),
                  ("vgate", SOFT_VGATE, 16, "1,201"),
                  ("odd_vgate", ODD_VGATE, 64, "1,333"),
                  ("vgate_sum", SOFT_VGATE + ["feature elu1", "normalize sum"], 64, "1,150"),
                  ("delta", DELTA, 16, "1,201"),
                  ("delta", DELTA, 64, "1,300"),
                  ("gated_delta", DELTA + SOFT_GATE, 16, "1,250"),
                  ("gated_delta_hard", DELTA + GATE, 64, "1,201"),
                  ("gated_delta_odd", DELTA + ODD_GATE, 32, "1,150"),
                  ("vgated_delta", DELTA + SOFT_VGATE, 16, "1,201"),
                  ("vgated_delta_hard", DELTA + VGATE, 64, "1,150"),
                  ("vgated_delta_odd", DELTA + ODD_VGATE, 32, "1,150")]
        for name, body, chunk, shape in bodies:
            for form in ("", " parallel", " sequential"):
                yield (f"{name}_c{chunk}{form.replace(' ', '_')}",
                       spec(name, body, heads=1, chunk=f"{chunk}{form}"), shape)
        for form in (" parallel", " sequential"):
            tag = form.replace(" ", "_")
            yield (f"slope_bf16{tag}", spec("slope", SLOPE, heads=1, dtype="bf16",
                                            chunk=f"64{form}"), "1,300")
            yield (f"vgate_bf16{tag}", spec("vgate", SOFT_VGATE, heads=1, dtype="bf16",
                                            chunk=f"16{form}"), "1,100")
            # Nq < Nk (chunks without queries), Nq > Nk (rows before the
            # first key), several heads with GQA, one chunk only.
            yield (f"nq_lt_nk{tag}", spec("nq_lt_nk", soft, heads=1, chunk=f"16{form}"), "1,37,300")
            yield (f"nq_gt_nk{tag}", spec("nq_gt_nk", soft, heads=1, chunk=f"16{form}"), "1,90,50")
            yield (f"gqa{tag}", spec("gqa", soft, heads=4, kv_heads=2, chunk=f"32{form}"), "2,150")
            yield (f"one_chunk{tag}", spec("one", SLOPE, heads=1, chunk=f"64{form}"), "1,40")
            yield (f"delta_bf16{tag}", spec("delta", DELTA + SOFT_GATE, heads=1, dtype="bf16",
                                            chunk=f"32{form}"), "1,150")
            yield (f"delta_nq_lt_nk{tag}", spec("dq", DELTA, heads=1, chunk=f"16{form}"), "1,50,230")
            yield (f"delta_nq_gt_nk{tag}", spec("dq", DELTA + GATE, heads=1, chunk=f"16{form}"), "1,70,40")
            yield (f"mqa_delta{tag}", spec("mqa", DELTA, heads=4, kv_heads=1, chunk=f"32{form}"), "1,150")
            yield (f"vdelta_bf16{tag}", spec("vdelta", DELTA + SOFT_VGATE, heads=1, dtype="bf16",
                                             chunk=f"64{form}"), "1,150")
            yield (f"vdelta_nq_lt_nk{tag}", spec("vdq", DELTA + SOFT_VGATE, heads=1,
                                                 chunk=f"16{form}"), "1,33,150")
    elif group == "long":
        yield ("slope_8192", spec("slope", SLOPE, head_dim=64, chunk=64), "1,8192")
        yield ("delta_8192", spec("delta", DELTA + SOFT_GATE, head_dim=64, chunk=64), "1,8192")
        yield ("identity_8192", spec("plain", [], head_dim=64, chunk=128), "1,8192")
        yield ("vgated_delta_2048", spec("vdelta", DELTA + SOFT_VGATE, head_dim=64), "1,2048")
        yield ("vgate_8192", spec("vgate", SOFT_VGATE, head_dim=64, chunk=64), "1,8192")
        yield ("elu1_sum_4100", spec("elu_long", ["feature elu1", "normalize sum"], chunk=128), "1,4100")
    else:
        sys.exit(f"unknown group {group}")


def example_cases(examples_dir):
    # Every linear example, compiled with its own schedule.
    shapes = ["2,150", "1,41,200"]
    for entry in sorted(os.listdir(examples_dir)):
        path = os.path.join(examples_dir, entry)
        if not entry.endswith(".attn"):
            continue
        with open(path) as f:
            text = f.read()
        if "\n  linear\n" not in text:
            continue
        for shape in shapes:
            yield (f"{entry[:-5]}@{shape}", text, shape)


def main():
    attnc, group = sys.argv[1], sys.argv[2]
    examples = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "..", "..", "..", "examples")
    if "--examples" in sys.argv:
        examples = sys.argv[sys.argv.index("--examples") + 1]
    groups = (["features", "decay", "delta", "shapes", "long", "state",
               "examples"]
              if group == "all" else group.split(","))
    passed = failed = 0
    start = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        for g in groups:
            todo = example_cases(examples) if g == "examples" else cases(g)
            for seed, (name, text, shape) in enumerate(todo):
                path = os.path.join(tmp, name.replace("@", "_").replace(",", "_") + ".attn")
                with open(path, "w") as f:
                    f.write(text)
                t0 = time.time()
                extra = ["--random-state"] if g in ("state", "forms") else []
                run_seed = seed + 1
                if g == "forms":
                    base = name.replace("_parallel", "").replace("_sequential", "")
                    run_seed = zlib.crc32(base.encode()) % 100000 + 1
                result = subprocess.run(
                    [attnc, "run", path, "--backend", "cpu", "--random", shape,
                     "--seed", str(run_seed), "--check"] + extra,
                    capture_output=True, text=True)
                verdict = result.stdout.strip().splitlines()[-1:] or [""]
                if result.returncode == 0 and verdict[0].endswith("PASS"):
                    passed += 1
                    print(f"PASS {g}/{name} [{shape}] ({time.time() - t0:.1f} s): {verdict[0]}")
                else:
                    failed += 1
                    print(f"FAIL {g}/{name} [{shape}] (exit {result.returncode})\n"
                          f"{text}{result.stdout}{result.stderr}")
    print(f"{group}: {passed} passed, {failed} failed ({time.time() - start:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
