#!/usr/bin/env python3
"""Linear-family benchmark, run on a CUDA machine in one process: attnc's
chunked kernels against flash-linear-attention's chunk kernels (fla, from
the PyPI packages flash-linear-attention and fla-core, carried as wheels)
for the same variants, and SDPA-flash causal as the softmax baseline.

bf16, head_dim = value_dim = 128, specs.LINEAR_HEADS heads, N from 1k to
64k at a fixed token count per run (B * N = --tokens). Gates are drawn in
log space (log decay in [-0.1, -0.001]) so that every kernel sees the same
decays; beta in (0, 1). Times are CUDA-event medians after warm-up; each
row reports tokens/s and the ratio to each peer, plus the max abs
difference to fla's output (a sanity check, not a test: the tests are the
GPU bundle's). A peer that is missing or fails is reported, not fatal.

usage: bench_linear.py --runtime libattnc_runtime.so --packages DIR --out results.json
"""
import argparse
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import specs  # noqa: E402
from attnc_ctypes import Runtime  # noqa: E402
from bench_softmax import time_cuda  # noqa: E402


def make_inputs(variant, B, N, dev, gen):
    H, D = specs.LINEAR_HEADS, specs.LINEAR_HEAD_DIM
    q = torch.randn(B, H, N, D, device=dev, generator=gen).to(torch.bfloat16)
    k = torch.randn(B, H, N, D, device=dev, generator=gen).to(torch.bfloat16)
    v = torch.randn(B, H, N, D, device=dev, generator=gen).to(torch.bfloat16)
    if variant in ("deltanet", "gated_deltanet"):
        # fla's delta-rule kernels expect L2-normalized keys; attnc's spec
        # normalizes itself (feature l2norm), so give both the same inputs.
        q = F.normalize(q.float(), dim=-1).to(torch.bfloat16)
        k = F.normalize(k.float(), dim=-1).to(torch.bfloat16)
    p = {}
    u = lambda *shape: torch.rand(*shape, device=dev, generator=gen)  # noqa: E731
    if variant == "lightning":
        p["logdecay"] = -(0.001 + 0.099 * u(H))
    if variant == "gla":
        p["gk"] = -(0.001 + 0.099 * u(B, H, N, D))
    if variant in ("deltanet", "gated_deltanet"):
        p["beta"] = u(B, H, N) * 0.9 + 0.05
    if variant == "gated_deltanet":
        p["g"] = -(0.001 + 0.099 * u(B, H, N))
    return q, k, v, p


def fla_runner(variant, q, k, v, p):
    """A zero-argument function running fla's chunk kernel on the same
    problem (fla's layout: [B, T, H, D]), or the reason there is none."""
    try:
        import fla.ops as ops  # noqa: F401
    except Exception as e:  # pragma: no cover - depends on the machine
        return None, f"fla not importable: {e}"
    t = lambda x: x.transpose(1, 2).contiguous()  # noqa: E731
    qt, kt, vt = t(q), t(k), t(v)
    scale = specs.LINEAR_HEAD_DIM ** -0.5
    B, H, N = q.shape[0], q.shape[1], q.shape[2]
    try:
        if variant == "lightning":
            from fla.ops.simple_gla import chunk_simple_gla
            g = p["logdecay"].view(1, 1, H).expand(B, N, H).contiguous().float()
            return (lambda: chunk_simple_gla(qt, kt, vt, g=g, scale=scale)[0]), None
        if variant == "gla":
            from fla.ops.gla import chunk_gla
            g = t(p["gk"]).float()
            return (lambda: chunk_gla(qt, kt, vt, g=g, scale=scale)[0]), None
        if variant == "deltanet":
            from fla.ops.delta_rule import chunk_delta_rule
            beta = p["beta"].transpose(1, 2).contiguous().to(torch.bfloat16)
            return (lambda: chunk_delta_rule(qt, kt, vt, beta=beta, scale=scale)[0]), None
        if variant == "gated_deltanet":
            from fla.ops.gated_delta_rule import chunk_gated_delta_rule
            beta = p["beta"].transpose(1, 2).contiguous().to(torch.bfloat16)
            g = p["g"].transpose(1, 2).contiguous().float()
            return (lambda: chunk_gated_delta_rule(qt, kt, vt, g=g, beta=beta, scale=scale)[0]), None
    except Exception as e:  # pragma: no cover
        return None, f"fla {variant}: {e}"
    return None, f"no fla kernel for {variant}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runtime", required=True)
    ap.add_argument("--packages", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--lengths", default="1024,2048,4096,8192,16384,32768,65536")
    ap.add_argument("--tokens", type=int, default=65536, help="B * N per run")
    ap.add_argument("--variants", default=",".join(specs.LINEAR))
    args = ap.parse_args()
    rt = Runtime(args.runtime)
    dev = torch.device("cuda")
    gen = torch.Generator(device=dev)
    gen.manual_seed(0)
    stream = torch.cuda.current_stream().cuda_stream
    rows = []
    for variant in args.variants.split(","):
        name, _ = specs.linear_spec_text(variant)
        pkg = rt.open(os.path.join(args.packages, name))
        pkg.prepare(stream)
        for N in (int(x) for x in args.lengths.split(",")):
            B = max(1, args.tokens // N)
            q, k, v, p = make_inputs(variant, B, N, dev, gen)
            o = torch.empty_like(v)
            # Parameters in declaration (manifest) order.
            names = [line.split()[1].rstrip(":") for line in specs.LINEAR[variant]
                     if line.startswith("param")]
            params = [p[n].contiguous() for n in names]
            t_attnc = time_cuda(pkg.launcher(q, k, v, o, None, params, stream))
            row = dict(variant=variant, B=B, N=N, H=specs.LINEAR_HEADS,
                       head_dim=specs.LINEAR_HEAD_DIM, attnc_ms=t_attnc,
                       attnc_tokens_per_s=B * N / t_attnc * 1e3)
            fla, why = fla_runner(variant, q, k, v, p)
            if fla:
                try:
                    t_fla = time_cuda(fla)
                    ref = fla().transpose(1, 2).float()
                    row.update(fla_ms=t_fla, fla_tokens_per_s=B * N / t_fla * 1e3,
                               speedup_vs_fla=t_fla / t_attnc,
                               max_abs_diff_vs_fla=float((o.float() - ref).abs().max()))
                except Exception as e:  # pragma: no cover
                    row["fla_error"] = str(e)
            else:
                row["fla_error"] = why
            from torch.nn.attention import SDPBackend, sdpa_kernel
            with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
                t_sdpa = time_cuda(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True))
            row.update(sdpa_flash_causal_ms=t_sdpa, speedup_vs_sdpa=t_sdpa / t_attnc)
            rows.append(row)
            print(json.dumps(row), flush=True)
    with open(args.out, "w") as f:
        json.dump(dict(device=torch.cuda.get_device_name(), torch=torch.__version__, rows=rows), f,
                  indent=1)


if __name__ == "__main__":
    main()
