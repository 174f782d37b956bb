#!/usr/bin/env python3
"""Softmax-family backward benchmark (issue 12), run on a CUDA machine in
one process: attnc's CUDA backward (attnc_launch_cuda_backward: dQ, dK, dV
and learned-parameter gradients) against FlexAttention's backward (compiled,
the equivalent block mask and score_mod) and, on the causal mask, PyTorch
SDPA's FlashAttention-2 backward. bf16, head_dim 64 and 128, N 1k to 16k.

Times are CUDA-event medians after warm-up. TFLOPS count visible score
entries only: 2.5x the forward's 4 * visible * head_dim (FlashAttention's
convention for the backward). The peers' backward is timed as
torch.autograd.grad of (o * dO).sum() after a forward whose time is
measured separately and subtracted. Also reported: max|attnc - flex| per
gradient, relative to max|flex|.

usage: bench_backward.py --runtime libattnc_runtime.so --packages DIR --out results.json
  (DIR from make_packages.py, whose softmax packages carry the backward)
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
from bench_softmax import compiled_flex  # noqa: E402
from bench_softmax import time_cuda, visible_entries  # noqa: E402

BACKWARD_MASKS = ("causal", "window", "document", "alibi")


def rel_err(a, b):
    return float((a.float() - b.float()).abs().max()) / max(float(b.float().abs().max()), 1.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runtime", required=True)
    ap.add_argument("--packages", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--lengths", default="1024,4096,16384")
    ap.add_argument("--tokens", type=int, default=32768, help="B * N per run")
    ap.add_argument("--head-dims", default=",".join(str(d) for d in specs.HEAD_DIMS))
    ap.add_argument("--masks", default=",".join(BACKWARD_MASKS),
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
                    q, k, v, dout = (torch.randn(B, H, N, hd, device=dev, dtype=torch.bfloat16)
                                     for _ in range(4))
                    params, param_grads, doc, slope = [], [], None, None
                    if mask == "document":
                        doc = (torch.arange(N, device=dev) // specs.DOC_LEN).to(torch.int32).repeat(B, 1).contiguous()
                        params, param_grads = [doc], [None]
                    if mask == "alibi":
                        slope = torch.rand(H, device=dev, dtype=torch.float32) * 0.1
                        params, param_grads = [slope], [torch.zeros_like(slope)]
                    mask_mod = specs.flex_mask_mod("causal" if mask == "alibi" else mask, doc)
                    score_mod = specs.flex_score_mod(mask, slope)
                    visible = visible_entries(mask_mod, B, N, dev) * H
                    flops = 2.5 * 4.0 * visible * hd

                    # attnc: the forward once (o, lse), then the backward timed.
                    o = torch.empty_like(q)
                    lse = torch.empty(B, H, N, device=dev, dtype=torch.float32)
                    pkg.launcher(q, k, v, o, lse, params, stream)()
                    dq, dk, dv = torch.empty_like(q), torch.empty_like(k), torch.empty_like(v)
                    backward = pkg.backward_launcher(q, k, v, o, lse, dout, dq, dk, dv, params,
                                                     param_grads, stream)
                    t_attnc = time_cuda(backward)

                    # FlexAttention: forward + backward minus forward.
                    block_mask = create_block_mask(mask_mod, B, None, N, N, device=dev)
                    qf, kf, vf = (t.detach().clone().requires_grad_() for t in (q, k, v))
                    inputs = [qf, kf, vf]
                    slope_f = None
                    if slope is not None:
                        slope_f = slope.detach().clone().requires_grad_()
                        score_mod = specs.flex_score_mod(mask, slope_f)
                        inputs.append(slope_f)

                    def flex_fwd():
                        return flex(qf, kf, vf, score_mod=score_mod, block_mask=block_mask)

                    def flex_fwd_bwd():
                        out = flex_fwd()
                        return torch.autograd.grad(out, inputs, dout)

                    t_flex = time_cuda(flex_fwd_bwd) - time_cuda(flex_fwd)
                    grads = flex_fwd_bwd()
                    err = dict(dq=rel_err(dq, grads[0]), dk=rel_err(dk, grads[1]),
                               dv=rel_err(dv, grads[2]))
                    if slope_f is not None:
                        err["dslope"] = rel_err(param_grads[0], grads[3])
                    t_sdpa = None
                    if mask == "causal":
                        def sdpa_fwd():
                            with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
                                return F.scaled_dot_product_attention(qf, kf, vf, is_causal=True)

                        def sdpa_fwd_bwd():
                            return torch.autograd.grad(sdpa_fwd(), [qf, kf, vf], dout)
                        t_sdpa = time_cuda(sdpa_fwd_bwd) - time_cuda(sdpa_fwd)
                    row = dict(mask=mask, head_dim=hd, N=N, B=B, H=H, visible=visible,
                               attnc_bwd_ms=t_attnc, flex_bwd_ms=t_flex, fa2_bwd_ms=t_sdpa,
                               attnc_tflops=flops / t_attnc / 1e9, flex_tflops=flops / t_flex / 1e9,
                               fa2_tflops=(flops / t_sdpa / 1e9) if t_sdpa else None,
                               speedup_vs_flex=t_flex / t_attnc,
                               speedup_vs_fa2=(t_sdpa / t_attnc) if t_sdpa else None,
                               rel_err_vs_flex=err)
                    rows.append(row)
                    print(json.dumps(row), flush=True)
                except Exception as e:  # report the row and go on with the next
                    rows.append(dict(mask=mask, head_dim=hd, N=N, error=repr(e)))
                    print(json.dumps(rows[-1]), flush=True)
    with open(args.out, "w") as f:
        json.dump(dict(device=torch.cuda.get_device_name(), torch=torch.__version__, rows=rows), f,
                  indent=1)


if __name__ == "__main__":
    main()
