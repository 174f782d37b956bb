#!/usr/bin/env python3
"""Independent float64 numpy oracle for the specs in examples/*.attn.

This file implements, by hand and without reading any .attn file, what each
example spec means under docs/language.md: the mask, score, feature map, decay
and update of every example are written out again in numpy below. The
reference executor (`attnc run --backend reference`) is checked against it by
check_example.py, so the two implementations share nothing but the language
definition.

Conventions (docs/language.md):
  q [B, H, Nq, D], k [B, G, Nk, D], v [B, G, Nk, Dv]; query head h reads kv
  head h // (H // G); query row i has position i + Nk - Nq.
  Inputs are rounded to the spec's dtype (bf16: round to nearest even on the
  f32 bits), then everything is computed in float64.

`python3 oracle.py --selftest` checks the oracle against alternative
formulations (matrix forms, chunked forms, transposed recurrences).
"""

import math
import sys
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional, Tuple

import numpy as np

# ---------------------------------------------------------------------------
# Input rounding
# ---------------------------------------------------------------------------


def round_bf16(x):
    """Round float32 values to bfloat16 (round to nearest, ties to even)."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    bits = x.view(np.uint32).astype(np.uint64)
    lsb = (bits >> np.uint64(16)) & np.uint64(1)
    bits = (bits + np.uint64(0x7FFF) + lsb) & np.uint64(0xFFFF0000)
    return bits.astype(np.uint32).view(np.float32)


def round_to(x, dtype):
    """Round an input tensor to the spec dtype and widen it to float64."""
    x32 = np.asarray(x).astype(np.float32)
    if dtype == "f32":
        return x32.astype(np.float64)
    if dtype == "f16":
        return x32.astype(np.float16).astype(np.float64)
    if dtype == "bf16":
        return round_bf16(x32).astype(np.float64)
    raise ValueError("unknown dtype %r" % dtype)


# ---------------------------------------------------------------------------
# Softmax family
# ---------------------------------------------------------------------------


def positions(Nq, Nk):
    """Query positions as a column and key positions as a row (int64)."""
    qpos = (np.arange(Nq, dtype=np.int64) + (Nk - Nq))[:, None]
    kpos = np.arange(Nk, dtype=np.int64)[None, :]
    return qpos, kpos


def softmax_family(q, k, v, *, scale, mask=None, score=None,
                   normalize="softmax"):
    """Quadratic attention.

    mask(b, h, qpos, kpos, Nq, Nk) -> bool array broadcastable to [Nq, Nk]
    score(s, b, h, qpos, kpos, Nq, Nk) -> float array broadcastable to [Nq, Nk]
    Returns (o [B, H, Nq, Dv], lse [B, H, Nq] or None).
    """
    B, H, Nq, _ = q.shape
    G, Nk, Dv = k.shape[1], k.shape[2], v.shape[3]
    assert H % G == 0
    group = H // G
    qpos, kpos = positions(Nq, Nk)
    o = np.zeros((B, H, Nq, Dv))
    lse = np.full((B, H, Nq), -np.inf)
    for b in range(B):
        for h in range(H):
            g = h // group
            s = scale * (q[b, h] @ k[b, g].T)
            if mask is None:
                vis = np.ones((Nq, Nk), dtype=bool)
            else:
                vis = np.broadcast_to(mask(b, h, qpos, kpos, Nq, Nk),
                                      (Nq, Nk)).astype(bool)
            if score is None:
                sc = s
            else:
                sc = np.broadcast_to(
                    np.asarray(score(s, b, h, qpos, kpos, Nq, Nk),
                               dtype=np.float64), (Nq, Nk))
            if normalize == "softmax":
                rows = vis.any(axis=1)
                masked = np.where(vis, sc, -np.inf)
                m = np.where(rows, masked.max(axis=1, initial=-np.inf), 0.0)
                e = np.where(vis, np.exp(masked - m[:, None]), 0.0)
                den = e.sum(axis=1)
                safe = np.where(rows, den, 1.0)
                o[b, h] = np.where(rows[:, None],
                                   (e @ v[b, g]) / safe[:, None], 0.0)
                lse[b, h] = np.where(rows, m + np.log(safe), -np.inf)
            elif normalize == "sum":
                w = np.where(vis, sc, 0.0)
                den = w.sum(axis=1)
                nz = den != 0
                safe = np.where(nz, den, 1.0)
                o[b, h] = np.where(nz[:, None],
                                   (w @ v[b, g]) / safe[:, None], 0.0)
            elif normalize == "none":
                o[b, h] = np.where(vis, sc, 0.0) @ v[b, g]
            else:
                raise ValueError(normalize)
    return o, (lse if normalize == "softmax" else None)


def hybrid_family(q, k, v, *, scale, mask, complement, feature, combine,
                  weight):
    """Softmax over `mask`, linear attention with `feature` over
    complement & ~mask, joined as docs/language.md §8b says.

    feature(x, b, h, n) -> phi(x); weight(b, h) -> w (add) or g (shared).
    Returns (o, lse) with lse of the softmax branch alone.
    """
    B, H, Nq, _ = q.shape
    G, Nk, Dv = k.shape[1], k.shape[2], v.shape[3]
    group = H // G
    qpos, kpos = positions(Nq, Nk)
    o = np.zeros((B, H, Nq, Dv))
    lse = np.full((B, H, Nq), -np.inf)
    for b in range(B):
        for h in range(H):
            g = h // group
            s = scale * (q[b, h] @ k[b, g].T)
            vis = np.broadcast_to(mask(b, h, qpos, kpos, Nq, Nk), (Nq, Nk))
            lin = np.broadcast_to(complement(b, h, qpos, kpos, Nq, Nk),
                                  (Nq, Nk)) & ~vis
            pq = np.stack([feature(q[b, h, i], b, h, int(qpos[i, 0]))
                           for i in range(Nq)])
            pk = np.stack([feature(k[b, g, j], b, h, j) for j in range(Nk)])
            a = np.where(lin, pq @ pk.T, 0.0)
            rows = vis.any(axis=1)
            masked = np.where(vis, s, -np.inf)
            m = np.where(rows, masked.max(axis=1, initial=-np.inf), 0.0)
            e = np.where(vis, np.exp(masked - m[:, None]), 0.0)
            den_s, den_l = e.sum(axis=1), a.sum(axis=1)
            lse[b, h] = np.where(rows, m + np.log(np.where(rows, den_s, 1.0)),
                                 -np.inf)
            w = weight(b, h)
            if combine == "add":
                os_ = np.where(den_s[:, None] > 0, (e @ v[b, g]) /
                               np.where(den_s > 0, den_s, 1.0)[:, None], 0.0)
                ol = np.where(den_l[:, None] != 0, (a @ v[b, g]) /
                              np.where(den_l != 0, den_l, 1.0)[:, None], 0.0)
                o[b, h] = os_ + w * ol
            else:
                tot = w * den_s + den_l
                o[b, h] = np.where(tot[:, None] != 0,
                                   (w * (e @ v[b, g]) + a @ v[b, g]) /
                                   np.where(tot != 0, tot, 1.0)[:, None], 0.0)
    return o, lse


# ---------------------------------------------------------------------------
# Linear family
# ---------------------------------------------------------------------------


def feat_identity(x):
    return x


def feat_relu(x):
    return np.maximum(x, 0.0)


def feat_elu1(x):
    return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))


def feat_exp(x):
    return np.exp(x)


def feat_l2norm(x):
    n = math.sqrt(float(np.dot(x, x)))
    return x / n if n != 0 else np.zeros_like(x)


def feat_taylor2(x):
    return np.concatenate([[1.0], x, np.outer(x, x).reshape(-1) / math.sqrt(2)])


def feat_hedgehog(x, w):
    """w: [D, F'] for the current head."""
    y = x @ w

    def sm(t):
        e = np.exp(t - t.max())
        return e / e.sum()

    return np.concatenate([sm(y), sm(-y)])


def linear_family(q, k, v, *, scale=1.0, feature=feat_identity, decay=None,
                  update="add", beta=None, normalize="none",
                  bidirectional=False, state=None):
    """Token-by-token linear-attention recurrence.

    feature(x, b, h, n) -> phi(x), a 1-D float array of length F
    decay(b, h, n, F) -> scalar or [F] array (the gate over the F rows of S)
    beta: [B, H, Nk] array, only for update == "delta"
    state: None, or a dict for the recurrent state of the causal form: its
      "S0" [B, H, F, Dv] and "z0" [B, H, F] (optional) are the state before
      the first key (zero when absent); the final state after the last key
      is stored in it as "S" and "z", and "F" and "normalize" are recorded so
      a caller can size an initial state.
    Returns (o [B, H, Nq, Dv], None).
    """
    B, H, Nq, _ = q.shape
    G, Nk, Dv = k.shape[1], k.shape[2], v.shape[3]
    assert H % G == 0
    group = H // G
    o = np.zeros((B, H, Nq, Dv))
    shift = Nk - Nq  # query row i has position i + shift
    S0 = z0 = None
    if state is not None:
        assert not bidirectional
        S0, z0 = state.get("S0"), state.get("z0")
        state["normalize"] = normalize
    for b in range(B):
        for h in range(H):
            g = h // group
            S = None if S0 is None else np.asarray(S0[b, h], dtype=np.float64)
            z = None if S0 is None else (
                np.zeros(S.shape[0]) if z0 is None else
                np.asarray(z0[b, h], dtype=np.float64))

            def emit(i, S, z):
                pq = feature(q[b, h, i], b, h, i + shift)
                out = scale * (pq @ S)
                if normalize == "sum":
                    den = pq @ z
                    out = out / den if den != 0 else np.zeros(Dv)
                elif normalize != "none":
                    raise ValueError(normalize)
                o[b, h, i] = out

            for t in range(Nk):
                pk = feature(k[b, g, t], b, h, t)
                F = pk.shape[0]
                if S is None:
                    S = np.zeros((F, Dv))
                    z = np.zeros(F)
                lam = (np.ones(F) if decay is None else
                       np.broadcast_to(np.asarray(decay(b, h, t, F),
                                                  dtype=np.float64), (F,)))
                if update == "add":
                    S = lam[:, None] * S + np.outer(pk, v[b, g, t])
                elif update == "delta":
                    bt = beta[b, h, t]
                    S = (lam[:, None] * (S - bt * np.outer(pk, pk @ S)) +
                         bt * np.outer(pk, v[b, g, t]))
                else:
                    raise ValueError(update)
                z = lam * z + pk
                i = t - shift
                if not bidirectional and 0 <= i < Nq:
                    emit(i, S, z)
            if bidirectional:
                for i in range(Nq):
                    if S is None:
                        o[b, h, i] = 0.0
                    else:
                        emit(i, S, z)
            # Rows with position < 0 (Nq > Nk) see no key: they stay 0.
            if state is not None:
                if S is None:  # no key and no initial state: F is unknown
                    raise ValueError("a final state needs a key or S0")
                F = S.shape[0]
                if "S" not in state:
                    state["F"] = F
                    state["S"] = np.zeros((B, H, F, Dv))
                    state["z"] = np.zeros((B, H, F))
                state["S"][b, h] = S
                state["z"][b, h] = z
    return o, None


# ---------------------------------------------------------------------------
# Examples: each one is written out by hand from examples/<name>.attn
# ---------------------------------------------------------------------------


def gen_alibi_slopes(rng, shape):
    (H,) = shape
    return np.array([2.0 ** (-8.0 * (h + 1) / H) for h in range(H)],
                    dtype=np.float32)


def gen_doc_ids(rng, shape):
    B, N = shape
    ndocs = max(2, N // 24)
    ids = np.sort(rng.integers(0, ndocs, size=(B, N)), axis=1)
    return ids.astype(np.int32)


def gen_beta(rng, shape):
    return rng.uniform(0.05, 0.95, size=shape).astype(np.float32)


@dataclass
class Param:
    ctype: str            # 'i32' or 'f32'
    dims: Tuple[str, ...]  # over 'b', 'h', 'n', 'd'
    gen: Callable         # gen(rng, shape) -> np array of the right dtype


@dataclass
class Example:
    name: str
    family: str            # 'softmax' or 'linear'
    heads: int
    head_dim: int
    fn: Callable           # fn(q, k, v, params) -> (o, lse or None)
    kv_heads: Optional[int] = None
    value_dim: Optional[int] = None
    dtype: str = "f32"
    has_lse: bool = False
    params: Dict[str, Param] = field(default_factory=dict)
    q_std: float = 1.0     # input spread the driver uses for q and k

    @property
    def G(self):
        return self.kv_heads or self.heads

    @property
    def Dv(self):
        return self.value_dim or self.head_dim

    def param_shape(self, pname, B, Nk):
        sizes = {"b": B, "h": self.heads, "n": Nk, "d": self.head_dim}
        return tuple(sizes[d] for d in self.params[pname].dims)

    def __call__(self, q, k, v, params=None, state=None):
        """Round the inputs as the reference does, then evaluate in float64.

        state: for a linear example, the dict linear_family takes (initial
        state in, final state out)."""
        params = params or {}
        q = round_to(q, self.dtype)
        k = round_to(k, self.dtype)
        v = round_to(v, self.dtype)
        p = {}
        for pname, decl in self.params.items():
            a = np.asarray(params[pname])
            p[pname] = (a.astype(np.int64) if decl.ctype == "i32" else
                        a.astype(np.float32).astype(np.float64))
        if state is not None:
            return self.fn(q, k, v, p, state=state)
        return self.fn(q, k, v, p)


EXAMPLES: Dict[str, Example] = {}


def example(name=None, **kw):
    def wrap(fn):
        ex = Example(name=name or fn.__name__, fn=fn, **kw)
        EXAMPLES[ex.name] = ex
        return fn
    return wrap


def causal(qp, kp):
    return kp <= qp


@example(family="softmax", heads=4, head_dim=64, has_lse=True)
def full(q, k, v, p):
    return softmax_family(q, k, v, scale=1 / math.sqrt(64))


@example(name="causal", family="softmax", heads=4, head_dim=64, dtype="bf16",
         has_lse=True)
def causal_example(q, k, v, p):
    return softmax_family(q, k, v, scale=1 / math.sqrt(64),
                          mask=lambda b, h, qp, kp, Nq, Nk: causal(qp, kp))


@example(family="softmax", heads=4, head_dim=64, has_lse=True)
def sliding_window(q, k, v, p):
    return softmax_family(
        q, k, v, scale=1 / math.sqrt(64),
        mask=lambda b, h, qp, kp, Nq, Nk: causal(qp, kp) & (qp - kp < 256))


@example(family="softmax", heads=4, head_dim=64, has_lse=True)
def streaming_sinks(q, k, v, p):
    return softmax_family(
        q, k, v, scale=1 / math.sqrt(64),
        mask=lambda b, h, qp, kp, Nq, Nk: causal(qp, kp) & (
            (kp < 4) | (qp - kp < 124)))


@example(family="softmax", heads=4, head_dim=64, has_lse=True)
def prefix_lm(q, k, v, p):
    return softmax_family(
        q, k, v, scale=1 / math.sqrt(64),
        mask=lambda b, h, qp, kp, Nq, Nk: (kp < 64) | causal(qp, kp))


@example(family="softmax", heads=8, head_dim=64, has_lse=True,
         params={"slope": Param("f32", ("h",), gen_alibi_slopes)})
def alibi(q, k, v, p):
    slope = p["slope"]
    return softmax_family(
        q, k, v, scale=1 / math.sqrt(64),
        mask=lambda b, h, qp, kp, Nq, Nk: causal(qp, kp),
        score=lambda s, b, h, qp, kp, Nq, Nk: s - slope[h] * (qp - kp))


# q and k are drawn wide so that the cap at 50 is actually reached.
@example(family="softmax", heads=4, head_dim=128, has_lse=True, q_std=4.0)
def softcap(q, k, v, p):
    return softmax_family(
        q, k, v, scale=1 / math.sqrt(128),
        mask=lambda b, h, qp, kp, Nq, Nk: causal(qp, kp),
        score=lambda s, b, h, qp, kp, Nq, Nk: 50.0 * np.tanh(s / 50.0))


@example(family="softmax", heads=4, head_dim=64)
def sigmoid(q, k, v, p):
    return softmax_family(
        q, k, v, scale=1 / math.sqrt(64), normalize="none",
        score=lambda s, b, h, qp, kp, Nq, Nk:
            1.0 / (1.0 + np.exp(-(s - math.log(Nk)))))


@example(family="softmax", heads=4, head_dim=64, has_lse=True,
         params={"doc": Param("i32", ("b", "n"), gen_doc_ids)})
def document(q, k, v, p):
    doc = p["doc"]

    def mask(b, h, qp, kp, Nq, Nk):
        # doc[b, q] is only read at valid positions (q >= 0 when Nq <= Nk).
        return (doc[b][qp] == doc[b][kp]) & causal(qp, kp)

    return softmax_family(q, k, v, scale=1 / math.sqrt(64), mask=mask)


def gen_windows(rng, shape):
    (H,) = shape
    # Per-head windows of very different widths, one of them 1 (self only).
    return rng.choice([1, 7, 30, 64, 200], size=H).astype(np.int32)


def gen_flags(rng, shape):
    (H,) = shape
    flags = np.zeros(H, np.int32)
    flags[rng.permutation(H)[: H // 2]] = 1
    return flags


@example(family="softmax", heads=8, kv_heads=2, head_dim=64, dtype="bf16",
         has_lse=True, params={"window": Param("i32", ("h",), gen_windows)})
def moa_heads(q, k, v, p):
    window = p["window"]

    def mask(b, h, qp, kp, Nq, Nk):
        return causal(qp, kp) & (qp - kp < window[h])

    return softmax_family(q, k, v, scale=1 / math.sqrt(64), mask=mask)


@example(family="softmax", heads=8, head_dim=64, has_lse=True,
         params={"is_streaming": Param("i32", ("h",), gen_flags)})
def duo_heads(q, k, v, p):
    streaming = p["is_streaming"]

    def mask(b, h, qp, kp, Nq, Nk):
        local = (kp < 4) | (qp - kp < 252)
        return causal(qp, kp) & ((streaming[h] == 0) | local)

    return softmax_family(q, k, v, scale=1 / math.sqrt(64), mask=mask)


@example(family="softmax", heads=8, kv_heads=2, head_dim=64, dtype="bf16",
         has_lse=True)
def gqa(q, k, v, p):
    return softmax_family(q, k, v, scale=1 / math.sqrt(64),
                          mask=lambda b, h, qp, kp, Nq, Nk: causal(qp, kp))


@example(family="softmax", heads=4, head_dim=64, has_lse=True)
def dilated(q, k, v, p):
    return softmax_family(
        q, k, v, scale=1 / math.sqrt(64),
        mask=lambda b, h, qp, kp, Nq, Nk: causal(qp, kp) & (qp - kp < 256) &
        (np.mod(qp - kp, 4) == 0))


def natten_window_start(index, length, kernel):
    """NATTEN's window start on one axis (dilation 1): centred on the
    token, shifted inwards at the borders (written as NATTEN states it,
    not with the spec's min/max clamp)."""
    radius = kernel // 2
    start = np.maximum(index - radius, 0)
    past_end = index + radius >= length
    return start + past_end * (length - index - radius - 1)


@example(family="softmax", heads=4, head_dim=32, has_lse=True)
def natten_2d(q, k, v, p):
    side, kernel = 16, 7
    Nq, Nk = q.shape[2], k.shape[2]
    assert Nq == Nk == side * side, "natten_2d needs a 16 x 16 grid"
    qy, qx = np.divmod(np.arange(Nq), side)
    ky, kx = np.divmod(np.arange(Nk), side)
    y0 = natten_window_start(qy, side, kernel)[:, None]
    x0 = natten_window_start(qx, side, kernel)[:, None]
    visible = ((ky[None, :] >= y0) & (ky[None, :] < y0 + kernel) &
               (kx[None, :] >= x0) & (kx[None, :] < x0 + kernel))
    return softmax_family(q, k, v, scale=1 / math.sqrt(32),
                          mask=lambda b, h, qp, kp, Nq, Nk: visible)


@example(family="linear", heads=4, head_dim=32, value_dim=64)
def linear_elu(q, k, v, p, state=None):
    return linear_family(q, k, v, state=state, scale=1.0,
                         feature=lambda x, b, h, n: feat_elu1(x),
                         normalize="sum")


@example(family="linear", heads=4, head_dim=64,
         params={"slope": Param("f32", ("h",), gen_alibi_slopes)})
def lightning(q, k, v, p, state=None):
    slope = p["slope"]
    return linear_family(q, k, v, state=state, scale=1.0,
                         feature=lambda x, b, h, n: x,
                         decay=lambda b, h, n, F: math.exp(-slope[h]),
                         normalize="none")


@example(family="linear", heads=4, head_dim=64,
         params={"beta": Param("f32", ("b", "h", "n"), gen_beta)})
def deltanet(q, k, v, p, state=None):
    return linear_family(q, k, v, state=state, scale=1.0,
                         feature=lambda x, b, h, n: feat_l2norm(x),
                         update="delta", beta=p["beta"], normalize="none")


def gen_uniform(lo, hi):
    return lambda rng, shape: rng.uniform(lo, hi, size=shape).astype(np.float32)


def gen_normal(std):
    return lambda rng, shape: (rng.standard_normal(shape) * std).astype(
        np.float32)


@example(family="linear", heads=8, head_dim=64, dtype="bf16")
def retnet(q, k, v, p, state=None):
    return linear_family(q, k, v, state=state, scale=0.125,
                         feature=lambda x, b, h, n: x,
                         decay=lambda b, h, n, F: 1.0 - 2.0 ** (-5 - h),
                         normalize="none")


@example(family="linear", heads=4, head_dim=64, value_dim=128,
         params={"gk": Param("f32", ("b", "h", "n", "d"),
                             gen_uniform(-3.0, 3.0))})
def gla(q, k, v, p, state=None):
    gk = p["gk"]
    return linear_family(
        q, k, v, state=state, scale=0.125, feature=lambda x, b, h, n: x,
        decay=lambda b, h, n, F: (1.0 / (1.0 + np.exp(-gk[b, h, n]))) ** 0.0625,
        normalize="none")


# q and k pre-scaled by d^(-1/4) = 0.5, as Based's TaylorExp does.
@example(family="linear", heads=8, head_dim=16, value_dim=64, q_std=0.5)
def based(q, k, v, p, state=None):
    return linear_family(q, k, v, state=state, scale=1.0,
                         feature=lambda x, b, h, n: feat_taylor2(x),
                         normalize="sum")


@example(family="linear", heads=4, head_dim=64,
         params={"w": Param("f32", ("h", "d", "d"), gen_normal(0.2))})
def hedgehog(q, k, v, p, state=None):
    w = p["w"]
    return linear_family(q, k, v, state=state, scale=1.0,
                         feature=lambda x, b, h, n: feat_hedgehog(x, w[h]),
                         normalize="sum")


@example(family="linear", heads=4, head_dim=64,
         params={"beta": Param("f32", ("b", "h", "n"), gen_beta),
                 "g": Param("f32", ("b", "h", "n"), gen_uniform(0.0, 0.5))})
def gated_deltanet(q, k, v, p, state=None):
    g = p["g"]
    return linear_family(q, k, v, state=state, scale=0.125,
                         feature=lambda x, b, h, n: feat_l2norm(x),
                         decay=lambda b, h, n, F: math.exp(-g[b, h, n]),
                         update="delta", beta=p["beta"], normalize="none")


@example(family="linear", heads=4, head_dim=64)
def cosformer(q, k, v, p, state=None):
    Nk = k.shape[2]
    c = float(np.float32(1.57079633))  # the literal as the f32 IR holds it
    half = np.arange(64) < 32

    def feature(x, b, h, n):
        a = c * n / Nk
        return np.maximum(x, 0.0) * np.where(half, math.cos(a), math.sin(a))

    return linear_family(q, k, v, state=state, scale=1.0, feature=feature,
                         normalize="sum")


# ---------------------------------------------------------------------------
# Self-test: the oracle against independent formulations
# ---------------------------------------------------------------------------


def _inputs(rng, ex, B, Nq, Nk, std=1.0):
    q = rng.standard_normal((B, ex.heads, Nq, ex.head_dim)) * std
    k = rng.standard_normal((B, ex.G, Nk, ex.head_dim)) * std
    v = rng.standard_normal((B, ex.G, Nk, ex.Dv))
    p = {n: d.gen(rng, ex.param_shape(n, B, Nk)) for n, d in ex.params.items()}
    return (q.astype(np.float32), k.astype(np.float32), v.astype(np.float32),
            p)


def _close(a, b, what, tol=1e-10):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    fin = np.isfinite(b)
    if a.shape != b.shape or not np.array_equal(fin, np.isfinite(a)) or \
            not np.array_equal(a[~fin], b[~fin]):
        raise AssertionError("%s: shape or non-finite mismatch" % what)
    scale = max(np.abs(b[fin]).max(initial=0.0), 1e-300)
    err = np.abs(a[fin] - b[fin]).max(initial=0.0) / scale
    if err > tol:
        raise AssertionError("%s: relative error %.3g > %.3g" % (what, err, tol))
    print("ok   %s (rel err %.1e)" % (what, err))


def _check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok   %s" % what)


def selftest():
    rng = np.random.default_rng(0)

    # bf16 rounding: ties to even, and rounding of ordinary values.
    one = 1.0
    cases = [(one + 2.0 ** -8, one),                    # tie, even is 1.0
             (one + 3 * 2.0 ** -8, one + 2.0 ** -6),      # tie, round up to even
             (one + 2.0 ** -8 + 2.0 ** -20, one + 2.0 ** -7),
             (-(one + 2.0 ** -9), -one),
             (3.0e38, np.float32(3.0e38))]
    got = round_bf16(np.array([c[0] for c in cases], dtype=np.float32))
    _check(np.array_equal(got[:4], [c[1] for c in cases[:4]]),
           "bf16 round to nearest even")
    _check((round_bf16(np.float32([3.4e38]))[0] == np.inf) and
           (round_bf16(np.float32([1e-40]))[0] != 0),
           "bf16 overflow to inf, subnormals kept")
    x = rng.standard_normal(1000).astype(np.float32)
    r = round_bf16(x)
    _check(np.all(r.view(np.uint32) & 0xFFFF == 0) and
           np.all(np.abs(r - x) <= np.abs(x) * 2.0 ** -8),
           "bf16 result has 8 significant bits, error <= half ulp")
    _check(np.array_equal(round_to(x, "f16"), x.astype(np.float16)),
           "f16 rounding is numpy's")

    # Full softmax against the textbook formula.
    ex = EXAMPLES["full"]
    q, k, v, p = _inputs(rng, ex, 2, 9, 13)
    o, lse = ex(q, k, v, p)
    s = np.einsum("bhid,bhjd->bhij", q.astype(np.float64),
                  k.astype(np.float64)) / 8.0
    w = np.exp(s) / np.exp(s).sum(-1, keepdims=True)
    _close(o, w @ v.astype(np.float64), "full == softmax(QK^T/sqrt d) V")
    _close(lse, np.logaddexp.reduce(s, axis=-1), "full lse == logsumexp")

    # Softmax rows are convex combinations of the visible values.
    ex = EXAMPLES["causal"]
    q, k, v, p = _inputs(rng, ex, 1, 20, 20)
    o, _ = ex(q, k, np.ones_like(v), p)
    _close(o, np.ones_like(o), "causal with v = 1 gives o = 1")
    o, _ = ex(q, k, v, p)
    vr = round_bf16(v).astype(np.float64)
    ok = True
    for i in range(20):
        lo, hi = vr[0, :, :i + 1].min(1), vr[0, :, :i + 1].max(1)
        ok &= bool(np.all(o[0, :, i] >= lo - 1e-12) and
                   np.all(o[0, :, i] <= hi + 1e-12))
    _check(ok, "causal rows lie in the hull of visible values")
    _close(o[0, :, 0], vr[0, :, 0], "causal row 0 is v_0")

    # End alignment: decode row == last row of the square problem.
    q, k, v, p = _inputs(rng, ex, 2, 30, 30)
    o_full, l_full = ex(q, k, v, p)
    o_dec, l_dec = ex(q[:, :, -1:], k, v, p)
    _close(o_dec, o_full[:, :, -1:], "causal decode == last row")
    _close(l_dec, l_full[:, :, -1:], "causal decode lse == last row")
    o_t, _ = ex(q[:, :, -7:], k, v, p)
    _close(o_t, o_full[:, :, -7:], "causal Nq < Nk == last rows")

    # Empty rows: Nq > Nk puts the first rows before every key.
    q, k, v, p = _inputs(rng, ex, 1, 10, 4)
    o, lse = ex(q, k, v, p)
    _check(np.all(o[:, :, :6] == 0) and np.all(lse[:, :, :6] == -np.inf) and
           np.all(np.isfinite(lse[:, :, 6:])),
           "empty rows give o = 0, lse = -inf")

    # GQA == causal attention with k, v repeated per query head.
    ex = EXAMPLES["gqa"]
    q, k, v, p = _inputs(rng, ex, 2, 11, 17)
    o, lse = ex(q, k, v, p)
    qr, kr, vr = (round_to(t, "bf16") for t in (q, k, v))
    o2, l2 = softmax_family(qr, np.repeat(kr, 4, axis=1),
                            np.repeat(vr, 4, axis=1), scale=0.125,
                            mask=lambda b, h, qp, kp, Nq, Nk: kp <= qp)
    _close(o, o2, "gqa == causal on repeated kv heads")
    _close(lse, l2, "gqa lse == causal on repeated kv heads")

    # Window masks reduce to causal when the window covers everything.
    q, k, v, p = _inputs(rng, EXAMPLES["full"], 1, 40, 120)
    oc, lc = EXAMPLES["causal"].fn(*(round_to(t, "f32") for t in (q, k, v)), {})
    for name in ("sliding_window", "streaming_sinks"):
        o, lse = EXAMPLES[name](q, k, v, p)
        _close(o, oc, "%s == causal when Nk <= window" % name)
    q, k, v, p = _inputs(rng, EXAMPLES["full"], 1, 300, 300)
    o, _ = EXAMPLES["streaming_sinks"](q, k, v, p)
    qd, kd, vd = (round_to(t, "f32") for t in (q, k, v))
    i = 299  # sees keys 0..3 and 176..299
    idx = np.r_[0:4, 176:300]
    s = np.einsum("hd,hjd->hj", qd[0, :, i], kd[0][:, idx])
    w = np.exp(s / 8.0)
    _close(o[0, :, i], np.einsum("hj,hjd->hd", w, vd[0][:, idx]) /
           w.sum(1)[:, None], "streaming_sinks last row == sinks + window")

    ex = EXAMPLES["dilated"]
    qp, kp = positions(300, 300)
    m = (kp <= qp) & (qp - kp < 256) & ((qp - kp) % 4 == 0)
    _check(np.array_equal(m.sum(1), np.minimum(64, np.arange(300) // 4 + 1)),
           "dilated row i sees min(64, i/4 + 1) keys")

    # NATTEN: every token of the grid sees exactly kernel^2 keys, and an
    # interior token's window is centred on it.
    for index, want in ((0, 0), (3, 0), (8, 5), (15, 9), (12, 9)):
        _check(natten_window_start(index, 16, 7) == want,
               "natten window start of %d is %d" % (index, want))

    # Prefix LM: rows in the prefix see the whole prefix; decode sees all.
    ex = EXAMPLES["prefix_lm"]
    q, k, v, p = _inputs(rng, ex, 1, 100, 100)
    o, lse = ex(q, k, v, p)
    of, lf = EXAMPLES["full"](q[:, :, :64], k[:, :, :64], v[:, :, :64], {})
    _close(o[:, :, :64], of, "prefix_lm prefix rows == full over the prefix")
    o1, _ = ex(q[:, :, -1:], k, v, p)
    of, _ = EXAMPLES["full"](q[:, :, -1:], k, v, {})
    _close(o1, of, "prefix_lm decode == full")

    # Document mask with one document == causal.
    ex = EXAMPLES["document"]
    q, k, v, p = _inputs(rng, ex, 2, 50, 50)
    o, _ = ex(q, k, v, {"doc": np.zeros((2, 50), np.int32)})
    oc, _ = EXAMPLES["causal"].fn(*(round_to(t, "f32") for t in (q, k, v)), {})
    _close(o, oc, "document with one doc == causal")
    o, _ = ex(q, k, v, {"doc": np.arange(100, dtype=np.int32).reshape(2, 50)})
    _close(o, v, "document with one doc per token == v")

    # ALiBi with zero slopes == causal; bias is linear in distance.
    ex = EXAMPLES["alibi"]
    q, k, v, p = _inputs(rng, ex, 1, 25, 40)
    o0, _ = ex(q, k, v, {"slope": np.zeros(8, np.float32)})
    o0c, _ = softmax_family(*(round_to(t, "f32") for t in (q, k, v)),
                            scale=0.125,
                            mask=lambda b, h, qp, kp, Nq, Nk: kp <= qp)
    _close(o0, o0c, "alibi with slope 0 == causal")
    o, lse = ex(q, k, v, p)
    qd, kd, vd = (round_to(t, "f32") for t in (q, k, v))
    sl = p["slope"].astype(np.float64)
    i, h = 24, 5  # position 39
    s = qd[0, h, i] @ kd[0, h].T / 8.0 - sl[h] * (39 - np.arange(40))
    w = np.exp(s - s.max())
    _close(o[0, h, i], w @ vd[0, h] / w.sum(), "alibi last row by hand")

    # Softcap: scores saturate but the result stays a softmax.
    ex = EXAMPLES["softcap"]
    q, k, v, p = _inputs(rng, ex, 1, 8, 8, std=4.0)
    o, lse = ex(q, k, v, p)
    qd, kd, vd = (round_to(t, "f32") for t in (q, k, v))
    s = qd[0] @ kd[0].transpose(0, 2, 1) / math.sqrt(128)
    _check(np.abs(s).max() > 30, "softcap test scores reach the nonlinear range")
    sc = 50 * np.tanh(s / 50)
    sc = np.where(np.tril(np.ones((8, 8), bool)), sc, -np.inf)
    _close(lse[0], np.logaddexp.reduce(sc, axis=-1), "softcap lse by hand")

    # Sigmoid attention by hand.
    ex = EXAMPLES["sigmoid"]
    q, k, v, p = _inputs(rng, ex, 1, 13, 21)
    o, lse = ex(q, k, v, p)
    qd, kd, vd = (round_to(t, "f32") for t in (q, k, v))
    s = qd[0] @ kd[0].transpose(0, 2, 1) / 8.0
    w = 1 / (1 + np.exp(-(s - np.log(21))))
    _close(o[0], w @ vd[0], "sigmoid == sigmoid(s - log Nk) V")
    _check(lse is None, "sigmoid has no lse")

    # Linear add rule, decay 1, identity feature == (QK^T * causal) V.
    ex = EXAMPLES["lightning"]
    q, k, v, p = _inputs(rng, ex, 2, 150, 150)
    qd, kd, vd = (round_to(t, "f32") for t in (q, k, v))
    o, _ = ex(q, k, v, {"slope": np.zeros(4, np.float32)})
    A = np.tril(qd @ kd.transpose(0, 1, 3, 2))
    _close(o, A @ vd, "linear add, decay 1 == causal (QK^T) V")

    # Lightning decay: matrix form with lambda^(i-j), and the chunked
    # Lightning Attention-2 form (chunk 64, intra + inter).
    o, _ = ex(q, k, v, p)
    lam = np.exp(-p["slope"].astype(np.float64))
    ii = np.arange(150)
    dist = ii[:, None] - ii[None, :]
    M = np.where(dist >= 0, lam[:, None, None] ** np.maximum(dist, 0), 0.0)
    _close(o, (qd @ kd.transpose(0, 1, 3, 2) * M) @ vd,
           "lightning == (QK^T * lambda^(i-j)) V")
    o_chunk = np.zeros_like(o)
    C = 64
    for b in range(2):
        for h in range(4):
            l = lam[h]
            KV = np.zeros((64, 64))
            for c0 in range(0, 150, C):
                Q, K, V = qd[b, h, c0:c0 + C], kd[b, h, c0:c0 + C], vd[b, h, c0:c0 + C]
                n = Q.shape[0]
                a = np.arange(n)
                Md = np.where(a[:, None] >= a[None, :],
                              l ** np.maximum(a[:, None] - a[None, :], 0), 0.0)
                Lam = l ** (a + 1)
                o_chunk[b, h, c0:c0 + n] = (Q @ K.T * Md) @ V + \
                    (Lam[:, None] * Q) @ KV
                KV = l ** n * KV + ((l ** n / Lam)[:, None] * K).T @ V
    _close(o, o_chunk, "lightning == chunked intra/inter form (C = 64)")
    o_dec, _ = ex(q[:, :, -1:], k, v, p)
    _close(o_dec, o[:, :, -1:], "lightning decode == last row")
    o_t, _ = ex(q[:, :, -13:], k, v, p)
    _close(o_t, o[:, :, -13:], "lightning Nq < Nk == last rows")

    # Katharopoulos: normalize sum == row-normalized matrix form.
    ex = EXAMPLES["linear_elu"]
    q, k, v, p = _inputs(rng, ex, 2, 60, 60)
    o, _ = ex(q, k, v, p)
    qd, kd, vd = (round_to(t, "f32") for t in (q, k, v))
    phi = lambda x: np.where(x > 0, x + 1, np.exp(np.minimum(x, 0)))
    A = np.tril(phi(qd) @ phi(kd).transpose(0, 1, 3, 2))
    _close(o, (A @ vd) / A.sum(-1, keepdims=True),
           "linear_elu == (phi Q phi K^T * causal) V / row sums")
    _check(o.shape == (2, 4, 60, 64), "linear_elu value_dim 64")
    o, _ = ex(q[:, :, :50], k[:, :, :30], v[:, :, :30], p)
    _check(np.all(o[:, :, :20] == 0), "linear rows before every key are 0")

    # Delta rule: beta = 0 keeps S = 0; transposed recurrence; chunked UT form.
    ex = EXAMPLES["deltanet"]
    q, k, v, p = _inputs(rng, ex, 1, 140, 140)
    o, _ = ex(q, k, v, {"beta": np.zeros((1, 4, 140), np.float32)})
    _check(np.all(o == 0), "delta with beta = 0 gives o = 0")
    o, _ = ex(q, k, v, p)
    qd, kd, vd = (round_to(t, "f32") for t in (q, k, v))
    qn = qd / np.linalg.norm(qd, axis=-1, keepdims=True)
    kn = kd / np.linalg.norm(kd, axis=-1, keepdims=True)
    beta = p["beta"].astype(np.float64)
    o_t = np.zeros_like(o)
    o_ut = np.zeros_like(o)
    for h in range(4):
        St = np.zeros((64, 64))  # Dv x Dk, as in the DeltaNet paper
        for t in range(140):
            kt, bt = kn[0, h, t], beta[0, h, t]
            St = St @ (np.eye(64) - bt * np.outer(kt, kt)) + \
                bt * np.outer(vd[0, h, t], kt)
            o_t[0, h, t] = St @ qn[0, h, t]
        S = np.zeros((64, 64))  # Dv x Dk
        for c0 in range(0, 140, 64):
            Q, K = qn[0, h, c0:c0 + 64], kn[0, h, c0:c0 + 64]
            V, bb = vd[0, h, c0:c0 + 64], beta[0, h, c0:c0 + 64]
            n = Q.shape[0]
            T = np.linalg.solve(
                np.eye(n) + np.tril(bb[:, None] * (K @ K.T), -1), np.diag(bb))
            W, U = T @ K, T @ V
            Unew = U - W @ S.T
            o_ut[0, h, c0:c0 + n] = Q @ S.T + np.tril(Q @ K.T) @ Unew
            S = S + Unew.T @ K
    _close(o, o_t, "deltanet == transposed (Dv x Dk) recurrence")
    _close(o, o_ut, "deltanet == chunked WY/UT form (C = 64)", tol=1e-9)
    o_dec, _ = ex(q[:, :, -1:], k, v, p)
    _close(o_dec, o[:, :, -1:], "deltanet decode == last row")

    # Feature builtins not used by the examples.
    x, y = rng.standard_normal(5), rng.standard_normal(5)
    _close(feat_taylor2(x) @ feat_taylor2(y), 1 + x @ y + (x @ y) ** 2 / 2,
           "taylor2 features give 1 + x.y + (x.y)^2 / 2")
    f = feat_hedgehog(x, rng.standard_normal((5, 3)))
    _close([f[:3].sum(), f[3:].sum(), f.shape[0]], [1, 1, 6],
           "hedgehog halves are softmaxes, F = 2F'")
    o, _ = linear_family(qd[:, :, :20], kd[:, :, :20], vd[:, :, :20],
                         feature=lambda x, b, h, n: feat_relu(x),
                         bidirectional=True)
    r = np.maximum
    _close(o, r(qd[:, :, :20], 0) @ r(kd[:, :, :20], 0).transpose(0, 1, 3, 2)
           @ vd[:, :, :20], "bidirectional relu == phi(Q) phi(K)^T V")

    # The recurrent state: a run in two pieces, the second starting from the
    # state the first handed out, is one run (gated, delta rule, sum).
    for name in ("lightning", "gated_deltanet", "linear_elu"):
        ex = EXAMPLES[name]
        q, k, v, p = _inputs(rng, ex, 2, 50, 50)
        whole = {}
        o, _ = ex(q, k, v, p, state=whole)
        first, second = {}, {}
        cut = lambda a, lo, hi: a[:, :, lo:hi]
        pa = {n: (cut(a, 0, 30) if ex.params[n].dims == ("b", "h", "n")
                  else a) for n, a in p.items()}
        pb = {n: (cut(a, 30, 50) if ex.params[n].dims == ("b", "h", "n")
                  else a) for n, a in p.items()}
        oa, _ = ex(cut(q, 0, 30), cut(k, 0, 30), cut(v, 0, 30), pa,
                   state=first)
        second["S0"], second["z0"] = first["S"], first["z"]
        ob, _ = ex(cut(q, 30, 50), cut(k, 30, 50), cut(v, 30, 50), pb,
                   state=second)
        _close(np.concatenate([oa, ob], axis=2), o,
               "%s in two pieces with the state handed over == one run" % name)
        _close(second["S"], whole["S"], "%s final state the same" % name)
    # By hand: with decay 1 and identity features S = S0 + K^T V.
    S0 = rng.standard_normal((1, 1, 4, 3))
    st = {"S0": S0}
    qd, kd, vd = (rng.standard_normal((1, 1, 6, d)) for d in (4, 4, 3))
    o, _ = linear_family(qd, kd, vd, state=st,
                         feature=lambda x, b, h, n: x)
    _close(st["S"][0, 0], S0[0, 0] + kd[0, 0].T @ vd[0, 0],
           "final state == S0 + K^T V")
    _close(o[0, 0, -1], qd[0, 0, -1] @ st["S"][0, 0],
           "last row reads the final state")
    print("PASS oracle selftest")


if __name__ == "__main__":
    if sys.argv[1:] == ["--selftest"]:
        selftest()
    else:
        print("usage: oracle.py --selftest", file=sys.stderr)
        sys.exit(2)


# ---------------------------------------------------------------------------
# Sparse + linear hybrids (docs/language.md §8b)
# ---------------------------------------------------------------------------


@example(family="softmax", heads=8, head_dim=64, dtype="bf16", has_lse=True,
         params={"gate": Param("f32", ("h",), gen_normal(1.0)),
                 "hw": Param("f32", ("h", "d", "d"), gen_normal(0.2))})
def lolcats(q, k, v, p):
    hw, gate = p["hw"], p["gate"]
    return hybrid_family(
        q, k, v, scale=1 / math.sqrt(64),
        mask=lambda b, h, qp, kp, Nq, Nk: causal(qp, kp) & (qp - kp < 64),
        complement=lambda b, h, qp, kp, Nq, Nk: causal(qp, kp),
        feature=lambda x, b, h, n: feat_hedgehog(x, hw[h]),
        combine="shared", weight=lambda b, h: 1 / (1 + math.exp(-gate[h])))


@example(family="softmax", heads=8, head_dim=16, value_dim=64, dtype="bf16",
         has_lse=True, q_std=0.5)
def based_window(q, k, v, p):
    return hybrid_family(
        q, k, v, scale=1.0,
        mask=lambda b, h, qp, kp, Nq, Nk: causal(qp, kp) & (qp - kp < 64),
        complement=lambda b, h, qp, kp, Nq, Nk: causal(qp, kp),
        feature=lambda x, b, h, n: feat_taylor2(x),
        combine="add", weight=lambda b, h: 1.0)
