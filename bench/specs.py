"""The benchmark variants, shared by make_packages.py (here, builds the
packages) and bench_softmax.py (on the GPU machine, builds the peers'
equivalent masks). One entry per mask: the .attn mask line and the same
mask as a FlexAttention mask_mod and as an SDPA is_causal flag."""

HEADS = 16
WINDOW = 1024
SINKS = 4
DOC_LEN = 1000  # document mask: packed documents of this length

MASKS = {
    "causal": f"causal",
    "window": f"causal && q - k < {WINDOW}",
    "sinks_window": f"causal && (q - k < {WINDOW} || k < {SINKS})",
    "document": "doc[b, q] == doc[b, k] && causal",
}
HEAD_DIMS = (64, 128)
# Score modifications of the backward benchmark (bench_backward.py): ALiBi
# with a learned per-head slope (its gradient is computed too), causal.
SCORES = {"alibi": ("param slope: f32[h]", "s - slope[h] * (q - k)")}


def spec_text(mask, head_dim):
    name = f"{mask}_hd{head_dim}"
    lines = [f"attention {name} {{", f"  heads {HEADS}", f"  head_dim {head_dim}",
             "  dtype bf16"]
    if mask == "document":
        lines.append("  param doc: i32[b, n]")
    if mask in SCORES:
        param, score = SCORES[mask]
        lines += [f"  {param}", "  mask causal", f"  score {score}", "}"]
    else:
        lines += [f"  mask {MASKS[mask]}", "}"]
    return name, "\n".join(lines) + "\n"


def flex_score_mod(mask, slope=None):
    """FlexAttention's score_mod of a SCORES entry (None for plain masks)."""
    if mask == "alibi":
        return lambda score, b, h, q, k: score - slope[h] * (q - k)
    return None


def flex_mask_mod(mask, doc=None):
    if mask == "causal":
        return lambda b, h, q, k: k <= q
    if mask == "window":
        return lambda b, h, q, k: (k <= q) & (q - k < WINDOW)
    if mask == "sinks_window":
        return lambda b, h, q, k: (k <= q) & ((q - k < WINDOW) | (k < SINKS))
    if mask == "document":
        return lambda b, h, q, k: (doc[b, q] == doc[b, k]) & (k <= q)
    raise KeyError(mask)


# ---- decode over a paged KV cache (bench_decode.py) ------------------------
# Issue 13's configuration: bf16, head_dim 128, GQA 32 query heads over 8 kv
# heads, pages of 16 keys; causal, so a decode query (aligned to the end of
# its keys) sees every key.
DECODE_HEADS, DECODE_KV_HEADS, DECODE_HEAD_DIM, DECODE_PAGE = 32, 8, 128, 16


def decode_spec_text():
    name = f"decode_gqa_hd{DECODE_HEAD_DIM}"
    return name, "\n".join([
        f"attention {name} {{", f"  heads {DECODE_HEADS}", f"  kv_heads {DECODE_KV_HEADS}",
        f"  head_dim {DECODE_HEAD_DIM}", "  dtype bf16", "  mask causal", "}"]) + "\n"


# ---- linear family (bench_linear.py) --------------------------------------
# bf16, head_dim = value_dim = 128, LINEAR_HEADS heads; the decay/gate
# parameters come in log space from the harness (see bench_linear.py), so
# that fla's chunk kernels get exactly the same gates.
LINEAR_HEADS = 16
LINEAR_HEAD_DIM = 128
LINEAR = {
    # Lightning Attention-2 / simple GLA: one constant decay per head.
    "lightning": ["param logdecay: f32[h]", "decay exp(logdecay[h])"],
    # GLA: a data-dependent gate per key channel.
    "gla": ["param gk: f32[b, h, n, d]", "decay exp(gk[b, h, n, d])"],
    # DeltaNet: L2-normalized q and k, the delta rule.
    "deltanet": ["param beta: f32[b, h, n]", "feature l2norm", "update delta(beta)"],
    # Gated DeltaNet: the delta rule under a scalar data-dependent gate.
    "gated_deltanet": ["param beta: f32[b, h, n]", "param g: f32[b, h, n]",
                       "feature l2norm", "decay exp(g[b, h, n])", "update delta(beta)"],
}


def linear_spec_text(variant):
    name = f"lin_{variant}"
    d = LINEAR_HEAD_DIM
    lines = [f"attention {name} {{", f"  heads {LINEAR_HEADS}", f"  head_dim {d}",
             "  dtype bf16", f"  scale {d ** -0.5!r}", "  linear"]
    lines += ["  " + x for x in LINEAR[variant]]
    lines += ["  chunk 64", "}"]
    return name, "\n".join(lines) + "\n"


# ---- dynamic and hybrid sparsity (bench_sparse.py) -------------------------
# Non-causal (DiT-style) top-k selection over 64 x 64 tiles at densities p,
# and SLA (the same selection plus the elu1 linear branch), bf16, hd 128.
SPARSE_HEADS = 16
SPARSE_HEAD_DIM = 128
SPARSE_LENGTHS = (16384, 65536)
SPARSE_DENSITIES = (0.05, 0.10, 0.25)
SPARSE_TILE = 64


def sparse_spec_text(kind, n, density):
    """kind: "topk" (selection alone) or "sla" (selection + linear)."""
    k_blocks = (n + SPARSE_TILE - 1) // SPARSE_TILE
    k = max(1, round(density * k_blocks))
    name = f"{kind}_n{n}_p{int(round(density * 100))}"
    lines = [f"attention {name} {{", f"  heads {SPARSE_HEADS}",
             f"  head_dim {SPARSE_HEAD_DIM}", "  dtype bf16",
             f"  tile q={SPARSE_TILE} k={SPARSE_TILE}",
             f"  select topk({k}) by mean(q) . mean(k)"]
    if kind == "sla":
        lines.append("  hybrid elu1")
    lines.append("}")
    return name, "\n".join(lines) + "\n"


def sparse_variants():
    for n in SPARSE_LENGTHS:
        for p in SPARSE_DENSITIES:
            yield "topk", n, p
        yield "sla", n, 0.10


# ---- token grids (bench_grid.py, docs/language.md §3c) --------------------
# bf16, head_dim GRID_HEAD_DIM, GRID_HEADS heads. Each entry: the grid's
# axes (name, size), the windows (axis, kernel, stride) and the same mask
# for FlexAttention, written from NATTEN's definition (window centred on
# the stride group's leader, shifted inwards at the borders).
GRID_HEADS = 16
GRID_HEAD_DIM = 128
GRIDS = {
    "natten2d": ([("y", 64), ("x", 64)], [("y", 7, 1), ("x", 7, 1)]),
    "natten3d": ([("t", 8), ("y", 32), ("x", 32)], [("t", 3, 1), ("y", 7, 1), ("x", 7, 1)]),
    "gna3d_blocked": ([("t", 8), ("y", 32), ("x", 32)], [("t", 3, 1), ("y", 8, 8), ("x", 8, 8)]),
}


def grid_tokens(variant):
    n = 1
    for _, size in GRIDS[variant][0]:
        n *= size
    return n


def grid_spec_text(variant):
    axes, windows = GRIDS[variant]
    name = f"grid_{variant}"
    grid = ", ".join(f"{a} = {n}" for a, n in axes)
    mask = " && ".join(f"window({a}, {k}" + (f", stride = {s})" if s > 1 else ")")
                       for a, k, s in windows)
    lines = [f"attention {name} {{", f"  heads {GRID_HEADS}", f"  head_dim {GRID_HEAD_DIM}",
             "  dtype bf16", f"  grid {grid}", f"  mask {mask}", "}"]
    return name, "\n".join(lines) + "\n"


def flex_grid_mask_mod(variant):
    """The grid mask as a FlexAttention mask_mod (torch ops on index tensors)."""
    import torch
    axes, windows = GRIDS[variant]
    sizes = dict(axes)
    strides, stride = {}, 1
    for a, n in reversed(axes):
        strides[a] = stride
        stride *= n

    def mask_mod(b, h, q, k):
        visible = None
        for a, kernel, s in windows:
            L = sizes[a]
            qc, kc = (q // strides[a]) % L, (k // strides[a]) % L
            leader = torch.clamp((qc // s) * s + s // 2, max=L - 1) if s > 1 else qc
            start = torch.clamp(leader - kernel // 2, 0, L - kernel)
            ok = (kc >= start) & (kc < start + kernel)
            visible = ok if visible is None else visible & ok
        return visible
    return mask_mod
