#!/usr/bin/env python3
"""The CPU-backend test matrix: writes one .attn spec per case, runs
`attnc run --backend cpu --check` on seeded random inputs, and prints one
PASS/FAIL line per case plus a summary. The check compares against the
reference executor with the per-dtype tolerance of docs/testing.md.

usage: cpu_matrix.py ATTNC GROUP [--backend cpu]
GROUP is one of: masks, scores, shapes (each a lit test of its own, so lit
runs them in parallel).
"""
import os
import subprocess
import sys
import tempfile

MASKS = {
    "none": "",
    "causal": "mask causal",
    "window": "mask causal && q - k < 100",
    "sinks_window": "mask causal && (q - k < 100 || k < 4)",
    "prefix_lm": "mask k < 70 || causal",
    # PowerAttention-style: distance 0 or a power of two (up to 128).
    "power": "mask causal && (q - k == 0 || q - k == 1 || q - k == 2 || "
             "q - k == 4 || q - k == 8 || q - k == 16 || q - k == 32 || "
             "q - k == 64 || q - k == 128)",
    "strided": "mask causal && (q - k) % 3 == 0",
    "document": "param doc: i32[b, n]\n  mask doc[b, q] == doc[b, k] && causal",
}

SCORES = {
    "alibi": ("param slope: f32[h]\n  mask causal\n  score s - slope[h] * (q - k)", "softmax"),
    "softcap": ("score 20 * tanh(s / 20)", "softmax"),
    "sigmoid": ("score sigmoid(s - log(Nk))", "none"),
    "sum": ("mask causal\n  score exp(s / 2)", "sum"),
}


def spec(name, heads, kv_heads, head_dim, dtype, body, normalize="softmax",
         tile=""):
    lines = [f"attention {name} {{", f"  heads {heads}", f"  kv_heads {kv_heads}",
             f"  head_dim {head_dim}", f"  dtype {dtype}"]
    if body:
        lines.append("  " + body)
    lines.append(f"  normalize {normalize}")
    if tile:
        lines.append("  " + tile)
    lines.append("}")
    return "\n".join(lines) + "\n"


def cases(group):
    if group == "masks":
        for mask_name, body in MASKS.items():
            for dtype in ("f32", "f16", "bf16"):
                yield (f"{mask_name}_{dtype}", spec(f"m_{mask_name}", 2, 2, 64, dtype, body),
                       "2,150,150")
    elif group == "scores":
        for score_name, (body, normalize) in SCORES.items():
            for dtype in ("f32", "bf16"):
                yield (f"{score_name}_{dtype}",
                       spec(f"s_{score_name}", 2, 2, 64, dtype, body, normalize), "2,130,130")
    elif group == "shapes":
        causal = "mask causal"
        yield ("nq_lt_nk", spec("nq_lt_nk", 2, 2, 64, "f32", causal), "1,37,300")
        yield ("nq_gt_nk", spec("nq_gt_nk", 2, 2, 64, "f32", causal), "1,90,50")
        yield ("decode", spec("decode", 4, 4, 64, "bf16", causal), "3,1,517")
        yield ("not_tile_multiple", spec("odd", 2, 2, 64, "f16", "mask causal && q - k < 77"), "2,201,201")
        yield ("gqa", spec("gqa", 8, 2, 64, "f32", causal), "2,100,100")
        yield ("mqa", spec("mqa", 4, 1, 64, "bf16", causal), "2,100,100")
        yield ("hd96", spec("hd96", 2, 2, 96, "f32", causal), "1,150,150")
        yield ("hd128", spec("hd128", 2, 2, 128, "bf16", causal), "1,150,150")
        yield ("hd128_f16", spec("hd128h", 2, 2, 128, "f16", causal), "1,150,150")
        yield ("tile_q128_k32", spec("tiled", 2, 2, 64, "f32", "mask causal && q - k < 300",
                                     tile="tile q=128 k=32 warps=4"), "1,333,333")
        yield ("tile_q32", spec("tiled32", 2, 2, 32, "f32", causal,
                                tile="tile q=32 k=16 warps=2"), "1,70,70")
    else:
        sys.exit(f"unknown group {group}")


def main():
    attnc, group = sys.argv[1], sys.argv[2]
    backend = "cpu"
    if "--backend" in sys.argv:
        backend = sys.argv[sys.argv.index("--backend") + 1]
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for seed, (name, text, shape) in enumerate(cases(group)):
            path = os.path.join(tmp, name + ".attn")
            with open(path, "w") as f:
                f.write(text)
            result = subprocess.run(
                [attnc, "run", path, "--backend", backend, "--random", shape,
                 "--seed", str(seed + 1), "--check"],
                capture_output=True, text=True)
            verdict = result.stdout.strip().splitlines()[-1:] or [""]
            if result.returncode == 0 and verdict[0].endswith("PASS"):
                passed += 1
                print(f"PASS {group}/{name}: {verdict[0]}")
            else:
                failed += 1
                print(f"FAIL {group}/{name} (exit {result.returncode})\n"
                      f"{text}{result.stdout}{result.stderr}")
    print(f"{group}: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
