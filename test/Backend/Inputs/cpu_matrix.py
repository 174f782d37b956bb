#!/usr/bin/env python3
"""The CPU-backend test matrix: writes one .attn spec per case, runs
`attnc run --backend cpu --check` on seeded random inputs, and prints one
PASS/FAIL line per case plus a summary. The check compares against the
reference executor with the per-dtype tolerance of docs/testing.md.

usage: cpu_matrix.py ATTNC GROUP [--backend cpu]
GROUP is one of: masks, scores, shapes, blockmask, select, hybrid (each a
lit test of its own, so lit runs them in parallel). blockmask runs with
`--block-mask`: the runtime block mask built from the params
(docs/runtime.md, "Runtime block masks") instead of the static plan. select
runs content-based block selection (docs/language.md §8a), which the
reference executor computes densely: both must pick exactly the same tiles.
hybrid runs sparse + linear hybrids (docs/language.md §8b): the fused CPU
kernel folds whole complement tiles into block states, the reference sums
element by element. backward runs `--backward`: the CPU backward kernel's
dq, dk, dv and parameter gradients against the reference backward (which
test/Reference/backward-fd.test checks against finite differences).
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
    elif group == "blockmask":
        doc = "param doc: i32[b, n]\n  mask doc[b, q] == doc[b, k] && causal"
        # Per-head windows (MoA): 0, 40, 80 or 120 keys; a 0 window sees nothing.
        window = "param window: i32[h]\n  mask causal && q - k < window[h] * 40"
        # DuoAttention: streaming heads keep sinks and a local window, the
        # others (streaming[h] == 0) the full causal context.
        streaming = ("param streaming: i32[h]\n  mask causal && (streaming[h] == 0 || "
                     "q - k < 64 || k < 4)")
        for dtype in ("f32", "bf16"):
            for mean in (1, 2, 7, 40):  # mean document length; 1: all length 1
                yield (f"document_len{mean}_{dtype}", spec(f"bm_doc", 2, 2, 64, dtype, doc),
                       "2,201,201", ["--mean-segment", str(mean)])
            yield (f"window_{dtype}", spec("bm_win", 4, 2, 64, dtype, window), "2,333,333", [])
            yield (f"streaming_{dtype}", spec("bm_stream", 4, 4, 64, dtype, streaming),
                   "1,300,300", [])
        yield ("document_nq_lt_nk", spec("bm_doc_lt", 2, 2, 64, "f32", doc), "2,70,257",
               ["--mean-segment", "5"])
        # Nq > Nk: rows before the first key (doc[b, q] would read outside
        # the param, which the reference reports), so a per-head window.
        yield ("window_nq_gt_nk", spec("bm_win_gt", 4, 4, 64, "f32", window), "1,150,90", [])
        yield ("document_f16_tiles", spec("bm_doc_t", 2, 2, 64, "f16", doc,
                                          tile="tile q=32 k=16 warps=2"), "1,171,171",
               ["--mean-segment", "6"])
        yield ("window_nq_lt_nk", spec("bm_win_lt", 4, 4, 64, "f32", window), "1,100,300", [])
        yield ("sum_document", spec("bm_sum", 2, 2, 64, "f32",
                                    doc + "\n  score exp(s / 2)", "sum"), "1,150,150",
               ["--mean-segment", "4"])
        yield ("static_causal", spec("bm_causal", 2, 2, 64, "f32", "mask causal"), "1,190,190", [])
    elif group == "select":
        est = "by mean(q) . mean(k)"
        keep = "keep k < 64 || q - k < 100"  # sinks and the local band
        causal = "mask causal"

        def sel(rule, extra=""):
            return causal + f"\n  select {rule} {est}" + (f"\n  {extra}" if extra else "")
        for dtype in ("f32", "bf16"):
            yield (f"topk_{dtype}", spec("sel_topk", 4, 2, 64, dtype, sel("topk(3)")),
                   "2,333,333", [])
            yield (f"topk_keep_{dtype}", spec("sel_topk_keep", 4, 2, 64, dtype,
                                             sel("topk(2)", keep)), "2,333,333", [])
            yield (f"cumulative_{dtype}", spec("sel_cum", 4, 4, 64, dtype,
                                               sel("cumulative(0.9)")), "1,400,400", [])
            yield (f"cumulative_keep_{dtype}", spec("sel_cum_keep", 4, 4, 64, dtype,
                                                    sel("cumulative(0.5)", keep)),
                   "1,400,400", [])
        yield ("f16_no_mask", spec("sel_f16", 2, 2, 64, "f16",
                                   f"select cumulative(0.7) {est}"), "1,300,300", [])
        # Every block selected: the result is plain causal attention.
        yield ("all_topk", spec("sel_all", 2, 2, 64, "f32", sel("topk(1000)")), "1,333,333", [])
        yield ("all_cumulative", spec("sel_all_cum", 2, 2, 64, "bf16", sel("cumulative(1)")),
               "1,333,333", [])
        # None selected but the kept ones; none at all (o = 0, lse = -inf).
        yield ("none_but_kept", spec("sel_kept", 2, 2, 64, "f32", sel("topk(0)", keep)),
               "1,333,333", [])
        yield ("none", spec("sel_none", 2, 2, 64, "f32", sel("cumulative(0)")), "1,100,100", [])
        # N not a multiple of the block, Nq != Nk both ways, small tiles.
        yield ("nq_lt_nk", spec("sel_lt", 4, 2, 64, "bf16", sel("topk(2)", keep)), "2,70,257", [])
        yield ("nq_gt_nk", spec("sel_gt", 2, 2, 64, "f32", sel("topk(1)")), "1,150,90", [])
        yield ("decode", spec("sel_dec", 4, 1, 64, "bf16", sel("cumulative(0.8)", keep)),
               "2,1,517", [])
        yield ("tiles_q32_k16", spec("sel_tiles", 2, 2, 32, "f32", sel("topk(4)", keep),
                                     tile="tile q=32 k=16 warps=2"), "1,171,171", [])
        yield ("document_keep_param", spec(
            "sel_doc", 2, 2, 64, "f32",
            "param doc: i32[b, n]\n  mask doc[b, q] == doc[b, k] && causal\n"
            f"  select topk(1) {est}\n  keep doc[b, k] == 0"), "2,201,201",
            ["--mean-segment", "40"])
        yield ("sum_normalize", spec("sel_sum", 2, 2, 64, "f32",
                                     sel("topk(2)") + "\n  score exp(s / 2)", "sum"),
               "1,200,200", [])
        # The explicit runtime-mask path (attnc_block_mask_build_cpu).
        yield ("explicit_block_mask", spec("sel_bm", 4, 2, 64, "bf16", sel("topk(2)", keep)),
               "1,333,200", ["--block-mask"])
        yield ("explicit_block_mask_cum", spec("sel_bm_cum", 2, 2, 64, "f32",
                                               sel("cumulative(0.95)")), "1,257,257",
               ["--block-mask"])
    elif group == "hybrid":
        yield from hybrid_cases()
    elif group == "backward":
        yield from backward_cases()
    else:
        sys.exit(f"unknown group {group}")


def backward_cases():
    """Every mask of the forward matrix (static plans with full, partial and
    skipped tiles, a param-reading mask), learned score params, every
    normalizer, GQA/MQA, Nq != Nk both ways (rows with no visible key),
    decode, head dims and tiles, every dtype; lengths no multiple of a tile."""
    dtypes = ("f32", "bf16", "f16")
    for i, (mask_name, body) in enumerate(MASKS.items()):
        extra = ["--mean-segment", "20"] if mask_name == "document" else []
        yield (f"{mask_name}_{dtypes[i % 3]}",
               spec(f"b_{mask_name}", 4, 2, 32, dtypes[i % 3], body), "2,150,150", extra)
    for i, (score_name, (body, normalize)) in enumerate(SCORES.items()):
        yield (f"{score_name}_{dtypes[i % 3]}",
               spec(f"b_{score_name}", 2, 2, 32, dtypes[i % 3], body, normalize),
               "2,130,130", [])
    causal = "mask causal"
    learned = ("param temp: f32[h]\n  param bias: f32[b, n]\n  mask causal && q - k < 90\n"
               "  score s * temp[h] + bias[b, k] + 0.1 * relu(s)")
    yield ("learned_params_f32", spec("b_learned", 2, 1, 32, "f32", learned), "2,140,140", [])
    yield ("learned_params_bf16", spec("b_learned_bf", 4, 2, 32, "bf16", learned),
           "1,140,140", [])
    yield ("nq_lt_nk", spec("b_lt", 2, 2, 64, "f32", causal), "1,37,300", [])
    yield ("nq_gt_nk_empty_rows", spec("b_gt", 2, 2, 64, "f32", causal), "1,90,50", [])
    yield ("decode", spec("b_dec", 4, 4, 64, "bf16", causal), "3,1,517", [])
    yield ("mqa", spec("b_mqa", 4, 1, 64, "f16", "mask causal && q - k < 77"), "2,201,201", [])
    yield ("hd128", spec("b_hd128", 2, 2, 128, "bf16", causal), "1,150,150", [])
    yield ("hd40", spec("b_hd40", 2, 2, 40, "f32", causal), "1,100,100", [])
    yield ("tile_q128_k32", spec("b_tiled", 2, 2, 32, "f32", "mask causal && q - k < 300",
                                 tile="tile q=128 k=32 warps=4"), "1,333,333", [])
    yield ("tile_q32_k16", spec("b_tiled32", 2, 2, 32, "f16", causal,
                                tile="tile q=32 k=16 warps=2"), "1,70,70", [])
    # Content-based selection: the backward walks the forward's selection.
    est = "by mean(q) . mean(k)"
    yield ("select_topk_keep_f32", spec(
        "b_sel", 4, 2, 32, "f32",
        causal + f"\n  select topk(2) {est}\n  keep k < 16 || q - k < 40"), "2,333,333", [])
    yield ("select_cumulative_bf16", spec(
        "b_sel_cum", 2, 2, 32, "bf16", causal + f"\n  select cumulative(0.8) {est}"),
        "1,300,300", [])
    yield ("select_sum_f32", spec(
        "b_sel_sum", 2, 2, 32, "f32",
        causal + f"\n  select topk(2) {est}\n  score exp(s / 2)", "sum"), "1,200,150", [])


def hybrid_cases():
    """SLA-style selection + linear, window + linear with a shared or a
    separate normalizer, every feature family, complements that fold whole
    tiles, that cut tiles, and that read params; edge cases of the split."""
    est = "by mean(q) . mean(k)"
    window = "mask causal && q - k < 40"
    gate = "param gate: f32[h]"
    hw = "param hw: f32[h, d, d]"

    def hyb(body, feature, complement="", combine=""):
        lines = [body, f"hybrid {feature}"]
        if complement:
            lines.append(f"complement {complement}")
        if combine:
            lines.append(f"combine {combine}")
        return "\n  ".join(line for line in lines if line)

    sla = f"select topk(2) {est}"
    for dtype in ("f32", "bf16", "f16"):
        yield (f"sla_{dtype}", spec("h_sla", 4, 2, 64, dtype, hyb(sla, "elu1")),
               "2,200,200", [])
        yield (f"lolcats_{dtype}", spec(
            "h_lol", 4, 2, 64, dtype,
            hyb(f"{gate}\n  {hw}\n  {window}", "hedgehog(hw)", "causal",
                "shared(sigmoid(gate[h]))")), "2,200,200", [])
    # SLA variants: a per-head output weight, top-p, kept tiles.
    yield ("sla_weight_cumulative", spec(
        "h_slaw", 2, 2, 64, "f32",
        hyb(f"{gate}\n  select cumulative(0.6) {est}", "relu", "",
            "add(gate[h])")), "1,333,333", [])
    yield ("sla_keep_causal", spec(
        "h_slak", 2, 2, 64, "bf16",
        hyb(f"mask causal\n  select topk(1) {est}\n  keep k < 16 || q - k < 16",
            "elu1", "causal")), "1,300,300", [])
    # Every tile selected: the linear branch is empty (o = softmax); none
    # selected: the softmax branch is empty (o = linear).
    yield ("all_selected", spec("h_all", 2, 2, 64, "f32",
                                hyb(f"select topk(1000) {est}", "elu1")), "1,200,200", [])
    yield ("none_selected", spec("h_none", 2, 2, 64, "f32",
                                 hyb(f"select topk(0) {est}", "elu1")), "1,200,200", [])
    yield ("none_selected_shared", spec(
        "h_none_sh", 2, 2, 64, "f32",
        hyb(f"select topk(0) {est}", "exp(x * 0.25)", "", "shared(0.5)")),
        "1,150,150", [])
    # Based: window softmax + Taylor features (F = 1 + D + D^2).
    yield ("based_taylor2", spec("h_based", 2, 2, 16, "bf16",
                                 hyb(window, "taylor2", "causal", "add")), "1,260,260", [])
    yield ("based_taylor2_f32", spec("h_based32", 2, 1, 16, "f32",
                                     hyb(window, "taylor2", "causal", "shared(1.0)")),
           "2,130,130", [])
    # Features: exp, l2norm-free positives, an expression reading n and d.
    yield ("exp_feature", spec("h_exp", 2, 2, 32, "f32", hyb(window, "exp", "causal")),
           "1,170,170", [])
    yield ("expression_feature", spec(
        "h_expr", 2, 2, 32, "f16",
        hyb(window, "exp(x * 0.1) + 0.001 * n + 0.01 * d", "causal", "add(0.5)")),
        "1,170,170", [])
    # Complements: every key (the default, future keys too), one that cuts
    # tiles (a stride), one that reads a param (no tile can fold).
    yield ("complement_everything", spec("h_every", 2, 2, 64, "f32", hyb(window, "elu1")),
           "1,200,200", [])
    yield ("complement_strided", spec("h_stride", 2, 2, 64, "f32",
                                      hyb(window, "elu1", "causal && k % 3 != 0")),
           "1,200,200", [])
    yield ("complement_document", spec(
        "h_doc", 2, 2, 64, "bf16",
        hyb("param doc: i32[b, n]\n  " + window, "elu1",
            "causal && doc[b, q] == doc[b, k]", "shared(2.0)")), "2,230,230",
        ["--mean-segment", "60"])
    # Shapes: N not a multiple of the tile, Nq != Nk both ways, decode,
    # small tiles, MQA.
    yield ("nq_lt_nk", spec("h_lt", 4, 2, 64, "f32",
                            hyb(window, "elu1", "causal", "shared(0.7)")), "2,70,257", [])
    yield ("nq_gt_nk", spec("h_gt", 2, 2, 64, "f32", hyb(window, "elu1", "causal")),
           "1,150,90", [])
    yield ("decode", spec("h_dec", 4, 1, 64, "bf16",
                          hyb(window, "elu1", "causal", "shared(1.0)")), "2,1,517", [])
    yield ("tiles_q32_k16", spec("h_tiles", 2, 2, 32, "f32",
                                 hyb(window, "elu1", "causal"),
                                 tile="tile q=32 k=16 warps=2"), "1,171,171", [])
    # The runtime block-mask paths: selection built explicitly, and a
    # document mask classified from its param.
    yield ("sla_explicit_block_mask", spec("h_slabm", 4, 2, 64, "bf16",
                                           hyb(sla, "elu1")), "1,333,200", ["--block-mask"])
    yield ("document_block_mask", spec(
        "h_docbm", 2, 2, 64, "f32",
        hyb("param doc: i32[b, n]\n  mask doc[b, q] == doc[b, k] && causal", "elu1",
            "causal", "shared(1.0)")), "1,300,300", ["--block-mask", "--mean-segment", "50"])


def main():
    attnc, group = sys.argv[1], sys.argv[2]
    backend = "cpu"
    if "--backend" in sys.argv:
        backend = sys.argv[sys.argv.index("--backend") + 1]
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        extra_for_group = {"blockmask": ["--block-mask"],
                           "backward": ["--backward"]}.get(group, [])
        for seed, case in enumerate(cases(group)):
            name, text, shape = case[:3]
            extra = extra_for_group + (case[3] if len(case) > 3 else [])
            path = os.path.join(tmp, name + ".attn")
            with open(path, "w") as f:
                f.write(text)
            result = subprocess.run(
                [attnc, "run", path, "--backend", backend, "--random", shape,
                 "--seed", str(seed + 1), "--check"] + extra,
                capture_output=True, text=True)
            lines = result.stdout.strip().splitlines()
            verdict = lines[-1:] or [""]
            if group == "backward":  # one line per gradient
                verdict = ["; ".join(lines)] if lines and all(
                    line.endswith(": ok") for line in lines) else [""]
                if verdict[0]:
                    verdict[0] += " PASS"
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
