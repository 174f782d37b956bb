#!/usr/bin/env python3
"""Tile sweep of the softmax forward kernel: the same causal bf16 spec
compiled with several `tile` hints, timed on a CUDA machine against SDPA's
FlashAttention-2 backend, to choose the CUDA plan's defaults from
measurements (docs/benchmarks.md).

usage (where attnc builds):  tile_sweep.py build ATTNC OUT_DIR
usage (on the GPU machine):  tile_sweep.py run --runtime LIB --packages OUT_DIR
    [--lengths 4096,16384] [--tokens 32768]
Each row: the package, its plan (from the manifest), the median time, TFLOPS
over the visible (causal) entries, the ratio to SDPA-flash, and the max abs
difference to SDPA's output (bf16 rounding: about 4e-3 on these inputs).
"""
import argparse
import json
import os
import subprocess
import sys

# (head_dim, tile hint); "" is attnc's default plan.
VARIANTS = [
    (128, ""), (128, "q=128 k=64 warps=4"), (128, "q=128 k=64 warps=8"),
    (128, "q=128 k=32 warps=4"), (128, "q=64 k=128 warps=4"), (128, "q=128 k=128 warps=8"),
    (128, "q=256 k=64 warps=8"),
    (64, ""), (64, "q=128 k=64 warps=4"), (64, "q=128 k=64 warps=8"), (64, "q=128 k=128 warps=8"),
    (64, "q=256 k=64 warps=8"), (64, "q=128 k=128 warps=4"),
]
HEADS = 16


def variant_name(hd, tile):
    return f"sweep_hd{hd}_" + ("default" if not tile else tile.replace(" ", "_").replace("=", ""))


def spec_text(hd, tile):
    lines = [f"attention {variant_name(hd, tile)} {{", f"  heads {HEADS}", f"  head_dim {hd}",
             "  dtype bf16", "  mask causal"]
    if tile:
        lines.append(f"  tile {tile}")
    return "\n".join(lines + ["}"]) + "\n"


def wait_all(procs):
    for p in procs:
        if p.wait():
            sys.exit(f"tile_sweep.py: {' '.join(p.args)} failed")


def build(attnc, out):
    os.makedirs(out, exist_ok=True)
    procs = []
    for hd, tile in VARIANTS:
        name = variant_name(hd, tile)
        path = os.path.join(out, name + ".attn")
        with open(path, "w") as f:
            f.write(spec_text(hd, tile))
        procs.append(subprocess.Popen([attnc, "compile", path, "-o", os.path.join(out, name),
                                       "--arch", "sm_90", "--no-cpu"]))
        if len(procs) == 2:  # two cores
            wait_all(procs)
            procs = []
    wait_all(procs)


def run(args):
    import torch
    import torch.nn.functional as F
    from torch.nn.attention import SDPBackend, sdpa_kernel
    sys.path.insert(0, os.path.dirname(__file__))
    from attnc_ctypes import Runtime
    from bench_softmax import time_cuda
    rt = Runtime(args.runtime)
    dev = torch.device("cuda")
    stream = torch.cuda.current_stream().cuda_stream
    for N in [int(x) for x in args.lengths.split(",")]:
        for hd in sorted({hd for hd, _ in VARIANTS}, reverse=True):
            B = max(1, args.tokens // N)
            torch.manual_seed(0)
            q, k, v = (torch.randn(B, HEADS, N, hd, device=dev, dtype=torch.bfloat16)
                       for _ in range(3))
            with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
                ref = F.scaled_dot_product_attention(q, k, v, is_causal=True)
                t_sdpa = time_cuda(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True))
            flops = 4.0 * B * HEADS * (N * (N + 1) / 2) * hd
            for vhd, tile in VARIANTS:
                if vhd != hd:
                    continue
                name = variant_name(hd, tile)
                row = dict(variant=name, head_dim=hd, N=N, B=B, sdpa_ms=t_sdpa,
                           sdpa_tflops=flops / t_sdpa / 1e9)
                try:
                    pkg_dir = os.path.join(args.packages, name)
                    with open(os.path.join(pkg_dir, "manifest.json")) as f:
                        row["plan"] = json.load(f).get("cuda", {}).get("plan")
                    pkg = rt.open(pkg_dir)
                    pkg.prepare(stream)
                    o = torch.empty_like(q)
                    lse = torch.empty(B, HEADS, N, device=dev, dtype=torch.float32)
                    t = time_cuda(pkg.launcher(q, k, v, o, lse, [], stream))
                    row.update(attnc_ms=t, attnc_tflops=flops / t / 1e9,
                               speedup_vs_sdpa=t_sdpa / t,
                               max_abs_diff_vs_sdpa=float((o.float() - ref.float()).abs().max()))
                except Exception as e:  # report the row and go on
                    row["error"] = repr(e)
                print(json.dumps(row), flush=True)


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "build":
        build(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["run"])
    ap.add_argument("--runtime", required=True)
    ap.add_argument("--packages", required=True)
    ap.add_argument("--lengths", default="4096,16384")
    ap.add_argument("--tokens", type=int, default=32768)
    run(ap.parse_args())


if __name__ == "__main__":
    main()
