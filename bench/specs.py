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


def spec_text(mask, head_dim):
    name = f"{mask}_hd{head_dim}"
    lines = [f"attention {name} {{", f"  heads {HEADS}", f"  head_dim {head_dim}",
             "  dtype bf16"]
    if mask == "document":
        lines.append("  param doc: i32[b, n]")
    lines += [f"  mask {MASKS[mask]}", "}"]
    return name, "\n".join(lines) + "\n"


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
