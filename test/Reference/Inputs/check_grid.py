#!/usr/bin/env python3
"""Runs a token-grid spec on attnc and checks it against natten_oracle.py.

Usage:
  check_grid.py ATTNC SPEC.attn --grid y=20,x=24
                [--window y:7:dilation=2] [--window x:5:stride=2:causal]
                [--B 2] [--heads 2] [--head-dim 32] [--seed 1]
                [--backend reference|cpu] [--rtol R] [--rule natten|clip]
                [--exact-mask] [--expect-mismatch-with MUTATION] [--keep]

The grid and its windows are given here, on the command line, and NOT read
from the spec: the spec and the command line are two independent statements
of the same attention, and this script checks that they agree.

--grid lists the axes in declaration order as NAME=SIZE (row-major: the last
axis varies fastest). Each --window is AXIS:K[:dilation=D][:stride=S]
[:causal], NATTEN / GNA's neighborhood along that axis (see
natten_oracle.py); an axis without one sees every key along it.

The script draws seeded standard normal q, k, v ([B, H, N, head_dim], f32,
never zeros), writes them as .npy files to a temporary directory, runs

  ATTNC run SPEC --backend BACKEND --input q=q.npy --input k=k.npy
        --input v=v.npy --output o.npy --lse lse.npy

and compares o and lse with a float64 numpy softmax attention (scale
1 / sqrt(head_dim)) under the oracle's mask: |got - ref| <= atol + rtol *
|ref| elementwise, atol = rtol * max|ref| (lse: over its finite entries;
-inf entries must match exactly). rtol is 1e-5 for the reference backend
and 1e-4 for cpu unless --rtol says otherwise.

--exact-mask also recovers attnc's mask exactly and compares it with the
oracle's: runs with q = 0 (uniform weights over the visible keys) and v one-hot
over a slice of head_dim keys, N / head_dim runs in all; o * count is then 0 or
1 per key. Whenever o or lse mismatch, the mask is recovered the same way and
the first query whose keys differ is reported (flat index, coordinates,
missing and extra keys).

--expect-mismatch-with MUTATION checks that the test can fail: the right
oracle must still agree, and a deliberately wrong one must NOT. Mutations:
  window-shift-off  windows truncated at the borders instead of shifted
  column-major      tokens in column-major order (first axis fastest)
  dilation-off      every window's dilation ignored
  stride-off        every window's stride ignored

Prints `PASS <spec-stem>` and exits 0, or mismatch details and exits 1.
"""

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import natten_oracle as no  # noqa: E402
from check_example import compare  # noqa: E402

MUTATIONS = ("window-shift-off", "column-major", "dilation-off", "stride-off")


def parse_grid(text):
    axes = []
    for part in text.split(","):
        name, eq, size = part.partition("=")
        if not eq or not name or not size.isdigit() or int(size) < 1:
            raise argparse.ArgumentTypeError(
                "expected --grid NAME=SIZE[,NAME=SIZE...], got %r" % text)
        axes.append((name, int(size)))
    return axes


def parse_window(text):
    parts = text.split(":")
    if len(parts) < 2 or not parts[1].isdigit():
        raise argparse.ArgumentTypeError(
            "expected --window AXIS:K[:dilation=D][:stride=S][:causal], "
            "got %r" % text)
    opts = {}
    for opt in parts[2:]:
        if opt == "causal":
            opts["causal"] = True
            continue
        key, eq, val = opt.partition("=")
        if key not in ("dilation", "stride") or not eq or not val.isdigit():
            raise argparse.ArgumentTypeError(
                "unknown window option %r in %r" % (opt, text))
        opts[key] = int(val)
    return no.Window(parts[0], int(parts[1]), **opts)


def oracle_mask(axes, windows, rule, mutation=None):
    """The [N, N] mask, optionally under a wrong-on-purpose mutation."""
    if mutation is None:
        return no.natten_mask(axes, windows, rule)
    if mutation == "window-shift-off":
        return no.natten_mask(axes, windows, "truncated")
    if mutation == "dilation-off":
        return no.natten_mask(axes, [
            no.Window(w.axis, w.kernel, 1, w.stride, w.causal)
            for w in windows], rule)
    if mutation == "stride-off":
        return no.natten_mask(axes, [
            no.Window(w.axis, w.kernel, w.dilation, 1, w.causal)
            for w in windows], rule)
    if mutation == "column-major":
        # Row-major over the reversed axes decodes a flat index with the
        # first axis fastest: the column-major reading of the same tokens.
        return no.natten_mask(list(reversed(axes)), windows, rule)
    raise ValueError(mutation)


class AttncError(Exception):
    pass


def run_attnc(attnc, spec, backend, tmp, tensors, want_lse=True):
    """Runs attnc on these tensors; returns (o, lse)."""
    cmd = [attnc, "run", spec, "--backend", backend]
    for name, arr in tensors.items():
        path = os.path.join(tmp, name + ".npy")
        np.save(path, arr)
        cmd += ["--input", "%s=%s" % (name, path)]
    o_path = os.path.join(tmp, "o.npy")
    lse_path = os.path.join(tmp, "lse.npy")
    for p in (o_path, lse_path):
        if os.path.exists(p):
            os.remove(p)
    cmd += ["--output", o_path]
    if want_lse:
        cmd += ["--lse", lse_path]
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    except OSError as e:
        raise AttncError("cannot run %s: %s" % (attnc, e))
    if r.returncode != 0:
        lines = ["attnc exited with status %d" % r.returncode,
                 "command: %s" % " ".join(cmd)]
        if r.stdout:
            lines.append("stdout:\n%s" % r.stdout.rstrip())
        if r.stderr:
            lines.append("stderr:\n%s" % r.stderr.rstrip())
        raise AttncError("\n".join(lines))
    try:
        o = np.load(o_path)
        lse = np.load(lse_path) if want_lse else None
    except OSError as e:
        raise AttncError("cannot read attnc's outputs: %s" % e)
    return o, lse


def recover_mask(attnc, spec, backend, tmp, N, heads, head_dim, seed):
    """attnc's [N, N] visibility, exactly: q = 0 makes the weights uniform
    over the visible keys, so with v one-hot over keys [c, c + head_dim)
    count * o[:, d] is 1 where key c + d is visible and 0 elsewhere; the
    count comes from lse = log(count). Checked on every head."""
    rng = np.random.default_rng(seed + 7919)
    q = np.zeros((1, heads, N, head_dim), np.float32)
    k = rng.standard_normal((1, heads, N, head_dim)).astype(np.float32)
    vis = np.zeros((N, N), dtype=bool)
    count = None
    for c in range(0, N, head_dim):
        v = np.zeros((1, heads, N, head_dim), np.float32)
        n = min(head_dim, N - c)
        v[0, :, c + np.arange(n), np.arange(n)] = 1.0
        o, lse = run_attnc(attnc, spec, backend, tmp,
                           {"q": q, "k": k, "v": v})
        lse = lse.astype(np.float64)
        cnt = np.where(np.isfinite(lse), np.rint(np.exp(lse)), 0.0)
        if count is None:
            count = cnt
        w = o.astype(np.float64) * cnt[..., None]
        if not (np.all(np.abs(w - np.rint(w)) < 1e-3) and
                np.all((np.rint(w) == 0) | (np.rint(w) == 1))):
            raise AttncError("mask recovery: o * count is not 0/1 (max "
                             "deviation %.3g); not a plain masked softmax?"
                             % float(np.abs(w - np.rint(w)).max()))
        w = np.rint(w).astype(bool)
        if not all(np.array_equal(w[0, h], w[0, 0]) for h in range(heads)):
            raise AttncError("mask recovery: heads see different keys")
        vis[:, c:c + n] = w[0, 0, :, :n]
    if not np.array_equal(vis.sum(axis=1), count[0, 0].astype(np.int64)):
        raise AttncError("mask recovery: the recovered key counts disagree "
                         "with exp(lse)")
    return vis


def describe_mask_diff(axes, got, want, limit=3):
    """Lines naming the first queries whose visible keys differ."""
    sizes = [s for _, s in axes]
    names = [n for n, _ in axes]
    coords = no.grid_coords(sizes)

    def crd(i):
        return "(" + ", ".join("%s=%d" % (n, c)
                               for n, c in zip(names, coords[i])) + ")"

    def keys(idx, cap=12):
        s = ", ".join("%d%s" % (i, crd(i)) for i in idx[:cap])
        return s + (", ... (%d in all)" % len(idx) if len(idx) > cap else "")

    rows = np.nonzero((got != want).any(axis=1))[0]
    lines = ["mask: %d of %d queries see different keys than the oracle"
             % (len(rows), got.shape[0])]
    for qi in rows[:limit]:
        miss = np.nonzero(want[qi] & ~got[qi])[0]
        extra = np.nonzero(got[qi] & ~want[qi])[0]
        lines.append("query %d %s: expected %d keys, got %d"
                     % (qi, crd(qi), want[qi].sum(), got[qi].sum()))
        lines.append("  expected: %s" % keys(np.nonzero(want[qi])[0]))
        lines.append("  got:      %s" % keys(np.nonzero(got[qi])[0]))
        if len(miss):
            lines.append("  missing:  %s" % keys(miss))
        if len(extra):
            lines.append("  extra:    %s" % keys(extra))
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("attnc")
    ap.add_argument("spec")
    ap.add_argument("--grid", type=parse_grid, required=True,
                    help="NAME=SIZE[,NAME=SIZE...] in declaration order")
    ap.add_argument("--window", type=parse_window, action="append",
                    default=[], help="AXIS:K[:dilation=D][:stride=S][:causal]")
    ap.add_argument("--B", type=int, default=2)
    ap.add_argument("--heads", type=int, default=2)
    ap.add_argument("--head-dim", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--backend", choices=("reference", "cpu"),
                    default="reference")
    ap.add_argument("--rtol", type=float, default=None)
    ap.add_argument("--rule", choices=("natten", "clip"), default="natten",
                    help="the oracle's statement of the windows (they differ "
                         "only for causal windows with stride >= 3)")
    ap.add_argument("--exact-mask", action="store_true")
    ap.add_argument("--expect-mismatch-with", choices=MUTATIONS)
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directory and print its path")
    args = ap.parse_args()

    name = os.path.splitext(os.path.basename(args.spec))[0]
    rtol = args.rtol if args.rtol is not None else \
        (1e-5 if args.backend == "reference" else 1e-4)
    axes = args.grid
    N = int(np.prod([s for _, s in axes]))
    try:
        for w in args.window:
            sizes = dict(axes)
            if w.axis not in sizes:
                raise ValueError("window on unknown axis %r" % w.axis)
            w.check(sizes[w.axis])
        mask = oracle_mask(axes, args.window, args.rule)
        wrong = None
        if args.expect_mismatch_with:
            wrong = oracle_mask(axes, args.window, args.rule,
                                args.expect_mismatch_with)
    except ValueError as e:
        print("FAIL %s: bad grid or window: %s" % (name, e))
        return 1
    if wrong is not None and np.array_equal(wrong, mask):
        print("FAIL %s: mutation %s gives the same mask as the oracle here; "
              "the negative check would be vacuous"
              % (name, args.expect_mismatch_with))
        return 1

    rng = np.random.default_rng(args.seed)
    shape = (args.B, args.heads, N, args.head_dim)
    tensors = {t: rng.standard_normal(shape).astype(np.float32)
               for t in ("q", "k", "v")}
    scale = 1.0 / math.sqrt(args.head_dim)
    ref_o, ref_lse = no.softmax_attention(tensors["q"], tensors["k"],
                                          tensors["v"], mask, scale)

    tmp = tempfile.mkdtemp(prefix="attnc-grid-%s-" % name)
    failures = []
    try:
        try:
            got_o, got_lse = run_attnc(args.attnc, args.spec, args.backend,
                                       tmp, tensors)
        except AttncError as e:
            print("FAIL %s: %s" % (name, e))
            return 1
        failures += compare(name, "o", got_o, ref_o, rtol)
        failures += compare(name, "lse", got_lse, ref_lse, rtol)

        if wrong is not None:
            w_o, w_lse = no.softmax_attention(tensors["q"], tensors["k"],
                                              tensors["v"], wrong, scale)
            wrong_fail = compare(name, "o", got_o, w_o, rtol) + \
                compare(name, "lse", got_lse, w_lse, rtol)
            if not wrong_fail:
                failures.append("mutation %s: attnc agrees with the WRONG "
                                "oracle too; the check cannot fail"
                                % args.expect_mismatch_with)

        if args.exact_mask or failures:
            try:
                got_mask = recover_mask(args.attnc, args.spec, args.backend,
                                        tmp, N, args.heads, args.head_dim,
                                        args.seed)
            except AttncError as e:
                failures.append(str(e))
            else:
                if not np.array_equal(got_mask, mask):
                    failures += describe_mask_diff(axes, got_mask, mask)
                elif failures:
                    failures.append("mask: attnc's mask equals the oracle's "
                                    "(the mismatch is numerical)")
    finally:
        if args.keep:
            print("inputs and outputs kept in %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    config = "B=%d grid=%s windows=%s seed=%d backend=%s rule=%s" % (
        args.B, ",".join("%s=%d" % a for a in axes),
        " ".join(map(repr, args.window)) or "none", args.seed, args.backend,
        args.rule)
    if failures:
        print("FAIL %s (%s)" % (name, config))
        for line in failures:
            print("  " + line)
        return 1
    extra = []
    if args.exact_mask:
        extra.append("exact mask")
    if args.expect_mismatch_with:
        extra.append("mismatch with %s detected" % args.expect_mismatch_with)
    print("PASS %s%s" % (name, " (%s)" % ", ".join(extra) if extra else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
