#!/usr/bin/env python3
"""The CUDA emulator's test matrix: softmax-family cases small enough to
run on the CPU emulator (tools/attnc-cuda-emu), written as a GPU bundle
(test/GPU/make_bundle.py's format) whose packages carry only the .cu, so
the runtime compiles them through the emulator's NVRTC stand-in. The lit
tests then run the unmodified attnc-gpu-check on it with the emulated
libcuda (%emu_env), comparing with the reference executor at the GPU
tolerances.

usage: emu_matrix.py ATTNC GROUP OUT_DIR [EXAMPLES_DIR]
GROUP: simt (f32), f16, bf16 (tensor cores), merge (split-KV by hand and
attnc_merge_states_cuda, the package's own split-KV and paged caches), sparse (device block masks,
selection, hybrids), linear (the linear family's kernel: every recurrence,
state in and out, decode); each a lit test of its own;
backward: the CUDA backward (dQ, dK, dV, parameter gradients) on the CPU
matrix's backward cases that it covers (not content-based selection);
mutation: the unbroken bases of test/Emu/mutations.test; examples: every
example that has a CUDA kernel (both families), as written and, when it is
f32, also as bf16.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "GPU"))
sys.path.insert(0, os.path.join(here, "..", "..", "Backend", "Inputs"))
import make_bundle  # noqa: E402
from cpu_matrix import MASKS, backward_cases, spec  # noqa: E402
import linear_matrix  # noqa: E402

CAUSAL = "mask causal"
WINDOW = MASKS["window"]              # causal, 100 keys
SINKS = MASKS["sinks_window"]         # causal, 100 keys, 4 sinks
DOCUMENT = MASKS["document"]          # a param: document ids per position
SMALL_TILES = "tile q=32 k=16 warps=2"


BLOCK_MASK = ["block_mask cuda"]  # case.txt: build the mask on the device first


def with_value_dim(text, dv):
    """The spec with `value_dim dv` (v and o wider or narrower than q, k)."""
    return text.replace("  dtype", f"  value_dim {dv}\n  dtype", 1)


# q, k, v and o stored [B, N, H, D] (attnc-gpu-check's `layout bnhd`): the
# kernels' batch, head and row strides all differ from the contiguous ones.
BNHD = ["layout bnhd"]
TWO_PARAMS = ("param doc: i32[b, n]\n  param slope: f32[h]\n"
              "  mask doc[b, q] == doc[b, k] && causal\n  score s - slope[h] * (q - k)")


def cases(group):
    """(name, spec text, B,Nq[,Nk][, case.txt lines]) per case; lengths no
    multiple of the tiles, both Nq < Nk and Nq > Nk."""
    if group == "simt":
        d = "f32"
        yield "causal", spec("e_causal", 2, 2, 64, d, CAUSAL), "1,100,100"
        yield "none", spec("e_none", 2, 2, 64, d, ""), "1,70,70"
        yield "window", spec("e_window", 2, 2, 64, d, WINDOW), "1,200,200"
        yield "sinks_window", spec("e_sinks", 2, 2, 64, d, SINKS), "1,200,200"
        yield "document", spec("e_doc", 2, 2, 64, d, DOCUMENT), "2,100,100"
        yield "gqa", spec("e_gqa", 4, 2, 64, d, CAUSAL), "1,100,100"
        yield "nq_lt_nk", spec("e_lt", 2, 2, 64, d, CAUSAL), "1,37,150"
        yield "nq_gt_nk", spec("e_gt", 2, 2, 64, d, CAUSAL), "1,90,50"
        yield "hd128", spec("e_hd128", 2, 2, 128, d, CAUSAL), "1,100,100"
        yield "sum", spec("e_sum", 2, 2, 64, d, "mask causal\n  score exp(s / 2)", "sum"), "1,100,100"
        yield "small_tiles", spec("e_tiles", 2, 2, 32, d, CAUSAL, tile=SMALL_TILES), "1,70,70"
        yield "dv96", with_value_dim(spec("e_dv96", 2, 1, 64, d, CAUSAL), 96), "1,130,130"
        yield "bnhd_gqa", spec("e_bnhd", 4, 2, 64, d, CAUSAL), "2,70,150", BNHD
        # Nq - Nk >= 64 (the tile): the first q-block sees no key at all and
        # must write zeros (o) and -inf (lse); the SIMT kernel once read its
        # accumulators there before other warps had zeroed them.
        yield "empty_qblock", spec("e_empty", 2, 2, 64, d, CAUSAL), "1,150,40"
    elif group in ("f16", "bf16"):
        d = group
        yield "causal", spec("e_causal", 2, 2, 64, d, CAUSAL), "1,100,100"
        yield "none", spec("e_none", 2, 2, 64, d, ""), "1,100,100"
        yield "window", spec("e_window", 2, 2, 64, d, WINDOW), "1,200,200"
        yield "sinks_window", spec("e_sinks", 2, 2, 64, d, SINKS), "1,200,200"
        yield "document", spec("e_doc", 2, 2, 64, d, DOCUMENT), "2,130,130"
        yield "gqa", spec("e_gqa", 8, 2, 64, d, CAUSAL), "1,100,100"
        yield "nq_lt_nk", spec("e_lt", 2, 2, 64, d, CAUSAL), "1,37,200"
        yield "nq_gt_nk", spec("e_gt", 2, 2, 64, d, CAUSAL), "1,90,50"
        yield "decode", spec("e_dec", 4, 1, 64, d, CAUSAL), "2,1,150"
        yield "hd128", spec("e_hd128", 2, 2, 128, d, CAUSAL), "1,100,100"
        # Head dims that are no multiple of 16 (padded) or 64 (a partly
        # swizzled row: 12 chunks of 8 elements, 8 swizzled).
        yield "hd40", spec("e_hd40", 2, 2, 40, d, CAUSAL), "1,100,100"
        yield "hd96", spec("e_hd96", 2, 2, 96, d, CAUSAL), "1,100,100"
        # Two 16-row fragments per warp (MT = 2), and small tiles.
        yield "tile_q128_k32", spec("e_t128", 2, 2, 64, d, WINDOW,
                                    tile="tile q=128 k=32 warps=4"), "1,150,150"
        yield "small_tiles", spec("e_tiles", 2, 2, 32, d, CAUSAL, tile=SMALL_TILES), "1,70,70"
        if d == "f16":
            yield "dv128", with_value_dim(spec("e_dv128", 2, 1, 64, d, CAUSAL), 128), "1,130,130"
            yield "bnhd_gqa", spec("e_bnhd", 4, 2, 64, d, CAUSAL), "2,70,150", BNHD
            yield "empty_qblock", spec("e_empty", 2, 2, 64, d, CAUSAL), "1,150,40"
            # One shared-memory stage: loads after the block's barrier.
            yield "stages1", spec("e_st1", 2, 2, 64, d, SINKS,
                                  tile="tile q=64 k=64 warps=4 stages=1"), "1,200,200"
            # Q fragments reloaded from shared memory (head_dim > 128).
            yield "hd256", spec("e_hd256", 1, 1, 256, d, CAUSAL), "1,80,80"
            yield "alibi", spec("e_alibi", 2, 2, 64, d,
                                "param slope: f32[h]\n  mask causal\n  score s - slope[h] * (q - k)"),\
                "1,100,100"
        else:
            yield "dv32", with_value_dim(spec("e_dv32", 2, 1, 128, d, CAUSAL), 32), "1,130,130"
            yield "bnhd_two_params", spec("e_bnhd2", 4, 2, 64, d, TWO_PARAMS), "2,100,100", BNHD
            yield "warps8", spec("e_w8", 2, 2, 64, d, CAUSAL,
                                 tile="tile q=128 k=64 warps=8"), "1,200,200"
            yield "softcap", spec("e_softcap", 2, 2, 64, d, "score 20 * tanh(s / 20)"), "1,100,100"
            yield "sum", spec("e_sum", 2, 2, 64, d, "mask causal\n  score exp(s / 2)", "sum"), "1,100,100"
            yield "sigmoid_none", spec("e_sig", 2, 2, 64, d, "score sigmoid(s - log(Nk))", "none"),\
                "1,100,100"
    elif group == "sparse":
        # Runtime block masks built on the device, content-based selection
        # and sparse + linear hybrids (prologue kernels + fused branch), on
        # both kernel paths; f32 at 1e-4 checks that the selection picks
        # exactly the reference's tiles.
        est = "by mean(q) . mean(k)"
        keep = "keep k < 16 || q - k < 32"
        for d in ("f32", "bf16"):
            yield f"doc_mask_{d}", spec("e_dm", 2, 2, 64, d, DOCUMENT), "2,150,150", BLOCK_MASK
            yield f"topk_keep_{d}", spec("e_sel", 4, 2, 64, d,
                                         f"mask causal\n  select topk(1) {est}\n  {keep}"),\
                "1,200,200"
            yield f"lolcats_{d}", spec(
                "e_lol", 2, 2, 64, d,
                "param gate: f32[h]\n  param hw: f32[h, d, d]\n  mask causal && q - k < 40\n"
                "  hybrid hedgehog(hw)\n  complement causal\n  combine shared(sigmoid(gate[h]))"),\
                "1,170,170"
            yield f"sla_{d}", spec("e_sla", 2, 2, 64, d,
                                   f"select topk(2) {est}\n  hybrid elu1\n  combine add(0.5)"),\
                "1,150,200"
        yield "cumulative", spec("e_cum", 2, 2, 64, "f32",
                                 f"mask causal\n  select cumulative(0.8) {est}"), "1,230,230"
        yield "per_head_window_mask", spec(
            "e_win", 4, 4, 64, "f32",
            "param window: i32[h]\n  mask causal && q - k < window[h]"), "1,200,200", BLOCK_MASK
        yield "select_explicit_mask", spec("e_selbm", 2, 2, 64, "f32",
                                           f"mask causal\n  select topk(2) {est}"),\
            "1,170,170", BLOCK_MASK
        yield "hybrid_doc_complement", spec(
            "e_hdoc", 2, 2, 64, "f32",
            "param doc: i32[b, n]\n  mask causal && q - k < 30\n  hybrid elu1\n"
            "  complement causal && doc[b, q] == doc[b, k]"), "1,160,160"
        yield "hybrid_taylor2_nq_lt_nk", spec(
            "e_htay", 2, 1, 16, "f32",
            "mask causal && q - k < 24\n  hybrid taylor2\n  complement causal"), "1,50,170"
    elif group == "merge":
        # Split-KV by hand (attnc-gpu-check's `merge P`): the keys in P
        # ranges, each launched alone, merged by attnc_merge_states_cuda;
        # specs that do not read key positions.
        yield ("full_f32", spec("m_full", 2, 2, 64, "f32", ""), "2,37,300", ["merge 3"])
        yield ("gqa_bf16", spec("m_gqa", 4, 2, 64, "bf16", ""), "1,50,200", ["merge 4"])
        yield ("decode_bf16", spec("m_dec", 8, 2, 128, "bf16", ""), "3,1,517", ["merge 8"])
        yield ("softcap_f16", spec("m_cap", 2, 1, 32, "f16", "score 20 * tanh(s / 20)"),
               "1,64,90", ["merge 2"])
        # The package's own split-KV decode (docs/runtime.md §3g): through a
        # paged cache with the rule's count on the emulated 132 SMs, and a
        # forced count on a sliding window.
        yield ("paged_bf16", spec("m_paged", 8, 2, 64, "bf16", CAUSAL), "3,1,517", ["paged 16"])
        yield ("split_f32", spec("m_split", 4, 2, 32, "f32", WINDOW), "2,2,517", ["kv_splits 5"])
    elif group == "mutation":
        # Bases for test/Emu/mutations.test: three or more k-blocks per late
        # q-block, so that the double-buffered stages are reused.
        # Split-KV off (kv_splits 1): a split of this short a sequence has
        # too few k-blocks for a stage to be refilled.
        yield "f16", spec("e_mut16", 2, 2, 64, "f16", CAUSAL), "1,200,200", ["kv_splits 1"]
        yield "f32", spec("e_mut32", 2, 2, 64, "f32", CAUSAL), "1,200,200", ["kv_splits 1"]
        yield "f16_bnhd", spec("e_mutb", 4, 2, 64, "f16", CAUSAL), "2,70,150", BNHD
    else:
        sys.exit(f"unknown group {group}")


def linear_cases():
    """(name, spec, shape, with_state) for the linear family's CUDA kernel:
    the GPU bundle's cases; several value tiles (the last one partial), f16,
    the chunk halved to fit shared memory, the decode step of every
    recurrence; and CPU-matrix cases for every feature map and gate."""
    yield from make_bundle.linear_cases()
    m = linear_matrix
    spec = m.spec
    for name, body, kw in (
            ("add", [], {}), ("slope", m.SLOPE, {}), ("odd_gate", m.ODD_GATE, {}),
            ("vgate", m.ODD_VGATE, {"value_dim": 80}), ("delta", m.DELTA, {}),
            ("gated_delta", m.DELTA + m.SOFT_GATE, {"dtype": "f16"}),
            ("vgated_delta", m.DELTA + m.SOFT_VGATE, {"value_dim": 72}),
            ("hedgehog_sum", m.FEATURES["hedgehog"][0], {"dtype": "bf16"}),
            ("taylor2_vgate", ["feature taylor2", "normalize sum", "decay 1 / (1 + 0.01 * d)"],
             {"head_dim": 8})):
        yield (f"step_{name}", spec(f"step_{name}", body, **kw), "2,1,1", True)
    yield ("tiles_f16", spec("tiles", m.SLOPE, value_dim=80, dtype="f16", chunk=32), "2,100", True)
    yield ("tiles_vgate", spec("tiles_v", m.SOFT_VGATE, value_dim=144), "1,150", True)
    yield ("tiles_delta_f16", spec("tiles_d", m.DELTA + m.SOFT_GATE, value_dim=96, dtype="f16",
                                   chunk=16), "2,90", True)
    yield ("tiles_bidir_sum", spec("tiles_bi", ["bidirectional", "feature elu1", "normalize sum"],
                                   value_dim=136, dtype="f16"), "1,70,90", False)
    # F = 1 + 24 + 576 = 601 features: chunk 64 halves to 16.
    yield ("halved_chunk", spec("halved", ["feature taylor2", "normalize sum"], head_dim=24,
                                chunk=64), "1,70", True)
    wanted = {"identity_bf16", "taylor2_f32", "hedgehog_f32", "cosformer_f32", "l2norm_f32",
              "slope_c16", "gate_c64", "vgate_c16", "vgate_hedgehog", "delta_c32",
              "gated_delta_odd", "vgated_delta_odd_c16", "nq_gt_nk", "gqa", "bidir_elu1"}
    for group in ("features", "decay", "delta", "shapes"):
        for name, text, shape in m.cases(group):
            if name in wanted:
                yield (f"cpu-{name}", text, shape, "bidirectional" not in text)


def test_lengths(text, default):
    """An example's `# test lengths: B,Nq[,Nk]` (one that requires a fixed
    grid), else `default`."""
    found = re.search(r"^# test lengths: ([0-9,]+)", text, re.M)
    return found.group(1) if found else default


def example_cases(attnc, examples):
    """The softmax-family examples with a CUDA kernel (the package's manifest
    says which family; the linear family has no CUDA emitter yet)."""
    for path in sorted(glob.glob(os.path.join(examples, "*.attn"))):
        with open(path) as f:
            text = f.read()
        with tempfile.TemporaryDirectory() as tmp:
            r = subprocess.run([attnc, "compile", path, "-o", tmp + "/pkg", "--no-cpu",
                                "--no-cuda-build"], capture_output=True)
            if r.returncode != 0:
                continue  # no CUDA kernel (content-based selection, ...)
            with open(tmp + "/pkg/manifest.json") as f:
                manifest = json.load(f)
        if "cuda" not in manifest:
            continue
        name = os.path.splitext(os.path.basename(path))[0]
        shape = test_lengths(text, "2,70,90")
        yield name, text, shape
        if "dtype f32" in text:
            yield name + "-bf16", text.replace("dtype f32", "dtype bf16"), shape


def main():
    attnc, group, out = sys.argv[1:4]
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    count = 0
    if group == "linear":
        # The GPU bundle's linear cases, then what the CUDA kernel adds to the
        # CPU matrix and a selection of that matrix; causal cases start from
        # a random state and check the final one.
        for seed, (name, text, shape, with_state) in enumerate(linear_cases()):
            make_bundle.write_linear_case(attnc, out, seed + 1, name, text, shape, with_state)
            count += 1
        print(f"emu bundle: {count} cases")
        return
    if group == "backward":
        # The CPU matrix's backward cases, each with its own seed; selection
        # has no CUDA backward yet.
        for seed, (name, text, shape, extra) in enumerate(backward_cases()):
            if "select " in text:
                continue
            make_bundle.write_backward_case(attnc, os.path.join(out, name), text, shape,
                                            seed + 1, ["--no-cuda-build"], extra)
            count += 1
        print(f"emu bundle: {count} cases")
        return
    all_cases = example_cases(attnc, sys.argv[4]) if group == "examples" else cases(group)
    for seed, (name, text, shape, *lines) in enumerate(all_cases):
        # No cubins: the runtime compiles the .cu, here with the emulator.
        make_bundle.write_case(attnc, os.path.join(out, name), text, shape,
                               seed + 1, ["--no-cuda-build"], *lines)
        count += 1
    if group == "examples" and count < 10:
        sys.exit(f"emu_matrix.py: only {count} example cases; expected every softmax example")
    print(f"emu bundle: {count} cases")


if __name__ == "__main__":
    main()
