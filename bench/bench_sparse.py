#!/usr/bin/env python3
"""Dynamic and hybrid sparsity benchmark (issue: runtime block masks,
content-based selection, SLA), run on a CUDA machine in one process.

1. Document mask (packed documents of specs.DOC_LEN tokens, causal, bf16,
   the softmax benchmark's packages): attnc's device block mask
   (attnc_block_mask_build_cuda) + attnc_launch_cuda_block_mask against
   FlexAttention's create_block_mask + compiled flex_attention; creation
   time separately and together with the attention.
2. Top-k selection (non-causal, 64 x 64 tiles) at 5%, 10% and 25% of the
   k-tiles against dense SDPA-flash at N = 16k and 64k: the full call
   (estimator + sparse attention, one attnc_launch_cuda), the estimator
   alone (attnc_block_mask_build_cuda, which synchronizes) and the attention
   over a prebuilt mask; target: attention time within 1.5x of p times the
   dense time, estimator under 10% of the total.
3. SLA (the same selection at 10% plus the elu1 linear branch) against the
   dense baseline.

usage: bench_sparse.py --runtime libattnc_runtime.so --packages DIR --out results.json
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import specs  # noqa: E402
from attnc_ctypes import BlockMask, Runtime  # noqa: E402
from bench_softmax import time_cuda  # noqa: E402


def wall_ms(fn, repeats=5):
    """Median wall time of fn() with the device synchronized around it."""
    times = []
    for _ in range(repeats):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    return times[len(times) // 2]


def document_rows(rt, packages, dev, stream, rows):
    from torch.nn.attention.flex_attention import create_block_mask, flex_attention
    flex = torch.compile(flex_attention)
    H, hd = specs.HEADS, 128
    name, _ = specs.spec_text("document", hd)
    pkg = rt.open(os.path.join(packages, name))
    pkg.prepare(stream)
    for N in (16384, 65536):
        B = 1
        q, k, v = (torch.randn(B, H, N, hd, device=dev, dtype=torch.bfloat16) for _ in range(3))
        doc = (torch.arange(N, device=dev) // specs.DOC_LEN).to(torch.int32).repeat(B, 1).contiguous()
        o = torch.empty_like(q)
        build = wall_ms(lambda: BlockMask(pkg, q, k, v, [doc], stream).close())
        mask = BlockMask(pkg, q, k, v, [doc], stream)
        t_attn = time_cuda(mask.launcher(o, None, stream))
        # Launched without a mask, the package builds one per call (its mask
        # reads doc): the build and attention together, then the static plan.
        t_auto = time_cuda(pkg.launcher(q, k, v, o, None, [doc], stream))
        pkg.set_auto_block_mask(False)
        t_static = time_cuda(pkg.launcher(q, k, v, o, None, [doc], stream))
        pkg.set_auto_block_mask(True)
        mask_mod = specs.flex_mask_mod("document", doc)
        flex_build = wall_ms(lambda: create_block_mask(mask_mod, B, None, N, N, device=dev))
        bm = create_block_mask(mask_mod, B, None, N, N, device=dev)
        t_flex = time_cuda(lambda: flex(q, k, v, block_mask=bm))
        err = float((o.float() - flex(q, k, v, block_mask=bm).float()).abs().max())
        mask.close()
        row = dict(part="document", N=N, B=B, H=H, head_dim=hd,
                   attnc_mask_build_ms=build, attnc_ms=t_attn, attnc_static_plan_ms=t_static,
                   attnc_auto_block_mask_ms=t_auto,
                   attnc_total_ms=build + t_attn, flex_block_mask_ms=flex_build,
                   flex_ms=t_flex, flex_total_ms=flex_build + t_flex,
                   speedup_vs_flex=t_flex / t_attn,
                   speedup_vs_flex_with_creation=(flex_build + t_flex) / (build + t_attn),
                   max_abs_err_vs_flex=err)
        rows.append(row)
        print(json.dumps(row), flush=True)


def selection_rows(rt, packages, dev, stream, rows):
    from torch.nn.attention import SDPBackend, sdpa_kernel
    H, hd = specs.SPARSE_HEADS, specs.SPARSE_HEAD_DIM
    dense = {}
    for kind, N, p in specs.sparse_variants():
        B = 1
        gen = torch.Generator(device=dev)
        gen.manual_seed(N)
        q, k, v = (torch.randn(B, H, N, hd, device=dev, generator=gen).to(torch.bfloat16)
                   for _ in range(3))
        if N not in dense:
            with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
                dense[N] = time_cuda(lambda: F.scaled_dot_product_attention(q, k, v))
        name, _ = specs.sparse_spec_text(kind, N, p)
        pkg = rt.open(os.path.join(packages, name))
        pkg.prepare(stream)
        o = torch.empty_like(q)
        t_call = time_cuda(pkg.launcher(q, k, v, o, None, [], stream))
        t_est = wall_ms(lambda: BlockMask(pkg, q, k, v, [], stream).close())
        mask = BlockMask(pkg, q, k, v, [], stream)
        row = dict(part=kind, N=N, B=B, H=H, head_dim=hd, density=p,
                   sdpa_flash_dense_ms=dense[N], attnc_call_ms=t_call,
                   attnc_estimator_ms=t_est,
                   estimator_share=t_est / t_call,
                   time_over_p_dense=t_call / (p * dense[N]))
        if kind == "topk":
            t_attn = time_cuda(mask.launcher(o, None, stream))
            row.update(attnc_attention_ms=t_attn,
                       attention_over_p_dense=t_attn / (p * dense[N]))
        mask.close()
        rows.append(row)
        print(json.dumps(row), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runtime", required=True)
    ap.add_argument("--packages", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    rt = Runtime(args.runtime)
    dev = torch.device("cuda")
    stream = torch.cuda.current_stream().cuda_stream
    rows = []
    for part in (document_rows, selection_rows):
        try:
            part(rt, args.packages, dev, stream, rows)
        except Exception as e:  # report and go on with the next part
            rows.append(dict(part=part.__name__, error=str(e)))
            print(json.dumps(rows[-1]), flush=True)
    with open(args.out, "w") as f:
        json.dump(dict(device=torch.cuda.get_device_name(), torch=torch.__version__, rows=rows), f,
                  indent=1)


if __name__ == "__main__":
    main()
