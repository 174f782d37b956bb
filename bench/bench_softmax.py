#!/usr/bin/env python3
"""Softmax-family benchmark, run on a CUDA machine in one process: attnc's
kernels against PyTorch SDPA (flash backend, causal only: it has no other
masks) and compiled FlexAttention with the equivalent block mask.

Times are CUDA-event medians over repeats after warm-up. TFLOPS count only
visible score entries (4 * visible * head_dim per batch and head). Block-mask
creation for FlexAttention is timed separately and not included.

usage: bench_softmax.py --runtime libattnc_runtime.so --packages DIR --out results.json
"""
import argparse
import json
import os
import statistics
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import specs  # noqa: E402
from attnc_ctypes import Runtime  # noqa: E402


def time_cuda(fn, warmup=5, repeats=20):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def compiled_flex():
    """FlexAttention compiled once per shape. One compile per (mask, head_dim,
    shape) is more than torch's default recompile limit (8) in one run, after
    which it falls back to its unfused path (and at N = 16384 runs out of
    memory): the limit is raised for the whole run."""
    from torch.nn.attention.flex_attention import flex_attention
    import torch._dynamo
    for knob in ("recompile_limit", "cache_size_limit"):
        if hasattr(torch._dynamo.config, knob):
            setattr(torch._dynamo.config, knob, 256)
    return torch.compile(flex_attention, dynamic=False)


def visible_entries(mask_mod, B, N, device):
    """Exact count of visible (q, k) pairs, evaluated in row chunks."""
    total = 0
    k = torch.arange(N, device=device)
    for b in range(B):
        for q0 in range(0, N, 1024):
            q = torch.arange(q0, min(q0 + 1024, N), device=device)[:, None]
            bb = torch.full_like(q, b)
            total += int(mask_mod(bb, 0, q, k[None, :]).sum())
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runtime", required=True)
    ap.add_argument("--packages", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--lengths", default="1024,4096,16384")
    ap.add_argument("--tokens", type=int, default=32768, help="B * N per run")
    ap.add_argument("--head-dims", default=",".join(str(d) for d in specs.HEAD_DIMS))
    ap.add_argument("--masks", default=",".join(specs.MASKS),
                    help="a subset, comma separated (each compiles its own FlexAttention)")
    args = ap.parse_args()

    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.nn.attention.flex_attention import create_block_mask
    flex = compiled_flex()
    rt = Runtime(args.runtime)
    dev = torch.device("cuda")
    stream = torch.cuda.current_stream().cuda_stream
    rows = []
    for hd in [int(x) for x in args.head_dims.split(",")]:
        for mask in args.masks.split(","):
            name, _ = specs.spec_text(mask, hd)
            pkg = rt.open(os.path.join(args.packages, name))
            pkg.prepare(stream)
            for N in [int(x) for x in args.lengths.split(",")]:
                try:
                    B, H = max(1, args.tokens // N), specs.HEADS
                    torch.manual_seed(0)
                    q, k, v = (torch.randn(B, H, N, hd, device=dev, dtype=torch.bfloat16) for _ in range(3))
                    o = torch.empty_like(q)
                    lse = torch.empty(B, H, N, device=dev, dtype=torch.float32)
                    params, doc = [], None
                    if mask == "document":
                        doc = (torch.arange(N, device=dev) // specs.DOC_LEN).to(torch.int32).repeat(B, 1).contiguous()
                        params = [doc]
                    mask_mod = specs.flex_mask_mod(mask, doc)
                    visible = visible_entries(mask_mod, B, N, dev) * H
                    flops = 4.0 * visible * hd

                    launch = pkg.launcher(q, k, v, o, lse, params, stream)
                    t_attnc = time_cuda(launch)
                    bm_time = time_cuda(lambda: create_block_mask(mask_mod, B, None, N, N, device=dev), 1, 3)
                    block_mask = create_block_mask(mask_mod, B, None, N, N, device=dev)
                    t_flex = time_cuda(lambda: flex(q, k, v, block_mask=block_mask))
                    ref = flex(q, k, v, block_mask=block_mask)
                    err = float((o.float() - ref.float()).abs().max())
                    t_sdpa = None
                    if mask == "causal":
                        with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
                            t_sdpa = time_cuda(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True))
                    row = dict(mask=mask, head_dim=hd, N=N, B=B, H=H, visible=visible,
                               attnc_ms=t_attnc, flex_ms=t_flex, flex_block_mask_ms=bm_time,
                               sdpa_flash_ms=t_sdpa, max_abs_err_vs_flex=err,
                               attnc_tflops=flops / t_attnc / 1e9, flex_tflops=flops / t_flex / 1e9,
                               sdpa_tflops=(flops / t_sdpa / 1e9) if t_sdpa else None,
                               speedup_vs_flex=t_flex / t_attnc,
                               speedup_vs_sdpa=(t_sdpa / t_attnc) if t_sdpa else None)
                    rows.append(row)
                    print(json.dumps(row), flush=True)
                except Exception as e:  # report the row and go on with the next
                    rows.append(dict(mask=mask, head_dim=hd, N=N, error=repr(e)))
                    print(json.dumps(rows[-1]), flush=True)
    with open(args.out, "w") as f:
        json.dump(dict(device=torch.cuda.get_device_name(), torch=torch.__version__, rows=rows), f, indent=1)


if __name__ == "__main__":
    main()
