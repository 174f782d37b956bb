#!/usr/bin/env python3
"""Token-grid benchmark (issue 16), run on a CUDA machine in one process:
attnc's box kernels (docs/language.md §3c) against compiled FlexAttention
with the equivalent block mask and, when the `natten` package is
importable, NATTEN's fused neighborhood attention. bf16, head_dim 128.

Times are CUDA-event medians over repeats after warm-up (bench_softmax's
time_cuda); TFLOPS count only visible score entries. Flex's block-mask
creation is timed separately and not included.

usage: bench_grid.py --runtime libattnc_runtime.so --packages DIR --out results.json
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import specs  # noqa: E402
from attnc_ctypes import Runtime  # noqa: E402
from bench_softmax import compiled_flex, time_cuda, visible_entries  # noqa: E402


def natten_fn(variant):
    """NATTEN's fused forward for a variant without strides, or None when
    natten is not installed (it is optional: it needs its own wheel)."""
    try:
        import natten  # noqa: F401
        from natten.functional import na2d, na3d
    except Exception:
        return None
    axes, windows = specs.GRIDS[variant]
    if any(s > 1 for _, _, s in windows):
        return None
    kernel = tuple(k for _, k, _ in windows)
    shape = tuple(n for _, n in axes)
    fn = na2d if len(shape) == 2 else na3d

    def run(q, k, v):
        # [B, H, N, D] -> [B, *grid, H, D], NATTEN's layout.
        B, H, N, D = q.shape
        t = [x.transpose(1, 2).reshape(B, *shape, H, D) for x in (q, k, v)]
        return fn(*t, kernel_size=kernel)
    return run


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runtime", required=True)
    ap.add_argument("--packages", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--tokens", type=int, default=32768, help="B * N per run")
    ap.add_argument("--variants", default=",".join(specs.GRIDS))
    args = ap.parse_args()

    from torch.nn.attention.flex_attention import create_block_mask
    flex = compiled_flex()
    rt = Runtime(args.runtime)
    dev = torch.device("cuda")
    stream = torch.cuda.current_stream().cuda_stream
    rows = []
    for variant in args.variants.split(","):
        try:
            name, _ = specs.grid_spec_text(variant)
            pkg = rt.open(os.path.join(args.packages, name))
            pkg.prepare(stream)
            N = specs.grid_tokens(variant)
            B, H, hd = max(1, args.tokens // N), specs.GRID_HEADS, specs.GRID_HEAD_DIM
            torch.manual_seed(0)
            q, k, v = (torch.randn(B, H, N, hd, device=dev, dtype=torch.bfloat16) for _ in range(3))
            o = torch.empty_like(q)
            lse = torch.empty(B, H, N, device=dev, dtype=torch.float32)
            mask_mod = specs.flex_grid_mask_mod(variant)
            visible = visible_entries(mask_mod, 1, N, dev) * B * H
            flops = 4.0 * visible * hd
            launch = pkg.launcher(q, k, v, o, lse, [], stream)
            t_attnc = time_cuda(launch)
            bm_time = time_cuda(lambda: create_block_mask(mask_mod, None, None, N, N, device=dev), 1, 3)
            block_mask = create_block_mask(mask_mod, None, None, N, N, device=dev)
            t_flex = time_cuda(lambda: flex(q, k, v, block_mask=block_mask))
            ref = flex(q, k, v, block_mask=block_mask)
            err = float((o.float() - ref.float()).abs().max())
            t_natten, natten = None, natten_fn(variant)
            if natten is not None:
                t_natten = time_cuda(lambda: natten(q, k, v))
            row = dict(variant=variant, N=N, B=B, H=H, head_dim=hd, visible=visible,
                       attnc_ms=t_attnc, flex_ms=t_flex, flex_block_mask_ms=bm_time,
                       natten_ms=t_natten, max_abs_err_vs_flex=err,
                       attnc_tflops=flops / t_attnc / 1e9, flex_tflops=flops / t_flex / 1e9,
                       speedup_vs_flex=t_flex / t_attnc,
                       speedup_vs_natten=(t_natten / t_attnc) if t_natten else None)
        except Exception as e:  # report the row and go on with the next
            row = dict(variant=variant, error=repr(e))
        rows.append(row)
        print(json.dumps(row), flush=True)
    with open(args.out, "w") as f:
        json.dump(dict(device=torch.cuda.get_device_name(), torch=torch.__version__, rows=rows), f, indent=1)


if __name__ == "__main__":
    main()
