#!/usr/bin/env python3
"""Decode over a paged KV cache (issue 13), run on a CUDA machine in one
process: attnc's paged CUDA kernel with split-KV decode (docs/runtime.md
§3f, §3g) against FlashInfer's paged decode and FlashAttention's
flash_attn_with_kvcache when their packages are importable (they travel as
wheels in .whl/), and SDPA on a contiguous cache as the floor. bf16,
head_dim 128, GQA 32 query heads over 8 kv heads, pages of 16 keys in a
shuffled order (specs.DECODE_*); one query per sequence.

Reported per (B, Nk): CUDA-event medians (bench_softmax.time_cuda); the
achieved bandwidth of reading the cache once, B * Nk * G * (D + Dv) * 2
bytes / time, and its fraction of the device's peak HBM bandwidth
(H100 SXM 3.35 TB/s, H200 4.8 TB/s, else --peak-tbs); attnc also with
split-KV off (kv_splits 1) to show what the split buys; the max |error| of
attnc against SDPA. attnc's time includes the runtime's per-call copy of
the block table to the device (an engine pays it too).

usage: bench_decode.py --runtime libattnc_runtime.so --packages DIR --out results.json
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import specs  # noqa: E402
from attnc_ctypes import Runtime  # noqa: E402
from bench_softmax import time_cuda  # noqa: E402

PEAK_TBS = {"H100": 3.35, "H200": 4.8}


def paged_cache(B, Nk, G, D, page, dev):
    """Pools [P, page, G, D] (NHD) of k and v with each sequence's pages in
    a shuffled order, the block table [B, pages per sequence] (int32, host
    and device) and kv_lens."""
    per = (Nk + page - 1) // page
    P = B * per
    order = torch.randperm(P, dtype=torch.int32)
    table = order.reshape(B, per).contiguous()
    k = torch.randn(P, page, G, D, device=dev, dtype=torch.bfloat16)
    v = torch.randn(P, page, G, D, device=dev, dtype=torch.bfloat16)
    lens = torch.full((B,), Nk, dtype=torch.int32)
    return k, v, table, lens


def contiguous_cache(k, v, table, Nk):
    """The same keys as [B, G, Nk, D] for SDPA."""
    B, per = table.shape
    idx = table.to(k.device).long()
    kc = k[idx].reshape(B, per * k.shape[1], k.shape[2], k.shape[3])[:, :Nk].transpose(1, 2)
    vc = v[idx].reshape(B, per * v.shape[1], v.shape[2], v.shape[3])[:, :Nk].transpose(1, 2)
    return kc.contiguous(), vc.contiguous()


def flashinfer_fn(q, k, v, table, lens, page, H, G, D):
    try:
        import flashinfer
    except Exception:
        return None
    B, per = table.shape
    dev = q.device
    workspace = torch.empty(128 * 1024 * 1024, dtype=torch.uint8, device=dev)
    wrapper = flashinfer.BatchDecodeWithPagedKVCacheWrapper(workspace, "NHD")
    indptr = torch.arange(0, B + 1, dtype=torch.int32, device=dev) * per
    indices = table.reshape(-1).to(dev)
    last = ((lens - 1) % page + 1).to(torch.int32).to(dev)
    wrapper.plan(indptr, indices, last, H, G, D, page, data_type=torch.bfloat16)
    q3 = q[:, :, 0, :].contiguous()
    return lambda: wrapper.run(q3, (k, v))


def flash_attn_fn(q, k, v, table, lens):
    try:
        from flash_attn import flash_attn_with_kvcache
    except Exception:
        return None
    qb = q.transpose(1, 2).contiguous()  # [B, 1, H, D]
    bt, sl = table.to(q.device), lens.to(q.device)
    return lambda: flash_attn_with_kvcache(qb, k, v, cache_seqlens=sl, block_table=bt,
                                           causal=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runtime", required=True)
    ap.add_argument("--packages", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--batches", default="1,8,32,64")
    ap.add_argument("--lengths", default="1024,8192,32768,131072")
    ap.add_argument("--max-tokens", type=int, default=1 << 21, help="skip B * Nk above this")
    ap.add_argument("--peak-tbs", type=float, default=None)
    args = ap.parse_args()

    dev = torch.device("cuda")
    name = torch.cuda.get_device_name()
    peak = args.peak_tbs or next((v for k, v in PEAK_TBS.items() if k in name), None)
    rt = Runtime(args.runtime)
    stream = torch.cuda.current_stream().cuda_stream
    H, G, D, page = specs.DECODE_HEADS, specs.DECODE_KV_HEADS, specs.DECODE_HEAD_DIM, specs.DECODE_PAGE
    pkg_name, _ = specs.decode_spec_text()
    pkg = rt.open(os.path.join(args.packages, pkg_name))
    pkg.prepare(stream)
    rows = []
    for B in map(int, args.batches.split(",")):
        for Nk in map(int, args.lengths.split(",")):
            if B * Nk > args.max_tokens:
                continue
            try:
                torch.manual_seed(0)
                k, v, table, lens = paged_cache(B, Nk, G, D, page, dev)
                q = torch.randn(B, H, 1, D, device=dev, dtype=torch.bfloat16)
                o = torch.empty(B, H, 1, D, device=dev, dtype=torch.bfloat16)
                launch = pkg.paged_launcher(q, k, v, o, table, lens, stream=stream)
                pkg.set_kv_splits(0)
                t_attnc = time_cuda(launch)
                launch()
                torch.cuda.synchronize()
                kc, vc = contiguous_cache(k, v, table, Nk)
                sdpa = lambda: torch.nn.functional.scaled_dot_product_attention(  # noqa: E731
                    q, kc, vc, enable_gqa=True)
                ref = sdpa()
                err = float((o.float() - ref.float()).abs().max())
                t_sdpa = time_cuda(sdpa)
                pkg.set_kv_splits(1)
                t_nosplit = time_cuda(launch)
                pkg.set_kv_splits(0)
                del kc, vc
                fi = flashinfer_fn(q, k, v, table, lens, page, H, G, D)
                t_fi = time_cuda(fi) if fi else None
                fa = flash_attn_fn(q, k, v, table, lens)
                try:
                    t_fa = time_cuda(fa) if fa else None
                    fa_error = None
                except Exception as e:  # FA2 wants pages of 256 keys
                    t_fa, fa_error = None, repr(e)
                bytes_read = B * Nk * G * 2 * D * 2
                gbs = bytes_read / t_attnc / 1e6
                row = dict(B=B, Nk=Nk, H=H, G=G, head_dim=D, page=page,
                           attnc_ms=t_attnc, attnc_no_split_ms=t_nosplit, sdpa_ms=t_sdpa,
                           flashinfer_ms=t_fi, flash_attn_ms=t_fa, flash_attn_error=fa_error,
                           attnc_gbs=gbs, attnc_peak_fraction=(gbs / (peak * 1e3)) if peak else None,
                           speedup_vs_flashinfer=(t_fi / t_attnc) if t_fi else None,
                           speedup_vs_sdpa=t_sdpa / t_attnc,
                           split_gain=t_nosplit / t_attnc, max_abs_err_vs_sdpa=err)
            except Exception as e:  # report the row and go on with the next
                row = dict(B=B, Nk=Nk, error=repr(e))
            rows.append(row)
            print(json.dumps(row), flush=True)
    with open(args.out, "w") as f:
        json.dump(dict(device=name, torch=torch.__version__, peak_tbs=peak, rows=rows), f, indent=1)


if __name__ == "__main__":
    main()
