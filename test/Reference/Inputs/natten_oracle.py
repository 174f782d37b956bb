#!/usr/bin/env python3
"""An independent numpy oracle for neighborhood attention on token grids.

Neighborhood attention (NATTEN: Hassani et al., "Neighborhood Attention
Transformer", CVPR 2023, arXiv:2204.07143; dilation: "Dilated Neighborhood
Attention Transformer", arXiv:2209.15001; stride: "Generalized Neighborhood
Attention", arXiv:2504.16922) restricts each query of a token grid to a
window of keys around it, one axis at a time. Tokens are in row-major order
over the axes (the last axis varies fastest); a key is visible when it is
inside the query's window along every windowed axis.

Along one axis of length L, with window size K, dilation D and stride S,
query coordinate i and key coordinate j:

* Dilation splits the axis into D interleaved groups (i % D); a query sees
  only keys of its own group, K of them, spaced D apart in the original
  coordinates.
* Stride (GNA) groups S consecutive queries of a dilation group; all of them
  use the window of one query of the group, its leader.
* Non-causal: the window is centred on the leader and shifted inwards at the
  borders (never truncated), so every query sees exactly K keys per axis.
* Causal: the window ends at the query and reaches K - 1 positions back from
  the leader.

This file states those rules twice, independently, and the self-test holds
them against each other:

* `axis_visible_natten`: NATTEN's own statements. The non-causal window start
  is NATTEN's original `get_window_start` (its CPU/CUDA naive kernels), in
  the ORIGINAL coordinates with the dilation remainder arithmetic, for odd K;
  even K uses GNA's left/right window sizes (K // 2 left, K // 2 - 1 right).
  Causal is GNA's rule: the leader is the LAST query of the stride group.
* `axis_visible_clip`: a compact clip formulation in dilation-group
  coordinates (p = i // D, group length Lr): leader
  min((p // S) * S + S // 2, Lr - 1), start clip(leader - K // 2, 0, Lr - K);
  causal max(leader - K + 1, 0) <= pj <= min(leader, p).

The two agree for every non-causal window (odd or even K) and for causal
windows with S <= 2. For causal windows with S >= 3 they differ: GNA's
causal leader is the last query of the stride group (S - 1), the clip
formulation's the centre (S // 2); the self-test checks that this is the
only difference. `natten_mask` uses `axis_visible_natten` unless told
otherwise.

Usage:
  natten_oracle.py --self-test
"""

import sys

import numpy as np


# ---------------------------------------------------------------------------
# Windows
# ---------------------------------------------------------------------------


class Window:
    """`window(axis, K, dilation = D, stride = S[, causal])` on one axis."""

    def __init__(self, axis, kernel, dilation=1, stride=1, causal=False):
        self.axis = axis
        self.kernel = int(kernel)
        self.dilation = int(dilation)
        self.stride = int(stride)
        self.causal = bool(causal)

    def check(self, length):
        """Raises ValueError when the window is not a neighborhood of an axis
        of this length (NATTEN's own requirements, check_args_against_input:
        K * D <= L and S <= K)."""
        if self.kernel < 1 or self.dilation < 1 or self.stride < 1:
            raise ValueError("window %s: kernel, dilation and stride must be "
                             ">= 1, got %d, %d, %d" % (self.axis, self.kernel,
                                                       self.dilation,
                                                       self.stride))
        if self.kernel * self.dilation > length:
            raise ValueError("window %s: kernel * dilation (%d * %d) exceeds "
                             "the axis length %d" % (self.axis, self.kernel,
                                                     self.dilation, length))
        if self.stride > self.kernel:
            raise ValueError("window %s: stride %d exceeds the window %d"
                             % (self.axis, self.stride, self.kernel))

    def __repr__(self):
        s = "%s:%d" % (self.axis, self.kernel)
        if self.dilation != 1:
            s += ":dilation=%d" % self.dilation
        if self.stride != 1:
            s += ":stride=%d" % self.stride
        if self.causal:
            s += ":causal"
        return s


def natten_get_window_start(index, length, kernel, dilation):
    """NATTEN's get_window_start (odd kernel), as its naive kernels state
    it: in the original coordinates, with the dilation remainder handled at
    the right border. Returns the first key; the window is start + t * D,
    t = 0 .. K - 1."""
    assert kernel % 2 == 1
    nh = kernel // 2  # NATTEN's NEIGHBORHOOD_SIZE
    if dilation <= 1:
        return (max(index - nh, 0) +
                (index + nh >= length) * (length - index - nh - 1))
    ni = index - nh * dilation
    if ni < 0:
        return index % dilation
    if index + nh * dilation >= length:
        imodd = index % dilation
        a = (length // dilation) * dilation
        b = length - a
        if imodd < b:
            return length - b + imodd - 2 * nh * dilation
        return a + imodd - kernel * dilation
    return ni


def axis_visible_natten(length, w):
    """[L, L] bool: key coordinate j visible from query coordinate i along
    one axis, by NATTEN's statements (see the module docstring)."""
    w.check(length)
    K, D, S = w.kernel, w.dilation, w.stride
    vis = np.zeros((length, length), dtype=bool)
    for i in range(length):
        r = i % D
        p = i // D
        # GNA's dilation-group length correction: x // d + padding.
        pad = 1 - ((r + (D - (length % D))) // D)
        Lr = length // D + pad
        if w.causal:
            leader = min((p // S) * S + S - 1, Lr - 1)
            for j in range(r, length, D):
                pj = j // D
                vis[i, j] = (p - pj >= 0) and (leader - pj < K)
            continue
        leader = min((p // S) * S + S // 2, Lr - 1)
        if K % 2 == 1:
            start = natten_get_window_start(leader * D + r, length, K, D)
            for t in range(K):
                vis[i, start + t * D] = True
        else:
            left, right = K // 2, K // 2 - 1
            centre = min(max(leader, left), Lr - 1 - right)
            for j in range(r, length, D):
                pj = j // D
                vis[i, j] = (0 <= centre - pj <= left or
                             0 <= pj - centre <= right)
    return vis


def axis_visible_clip(length, w):
    """[L, L] bool: the same relation by the clip formulation, vectorized in
    dilation-group coordinates (see the module docstring)."""
    w.check(length)
    K, D, S = w.kernel, w.dilation, w.stride
    i = np.arange(length)[:, None]
    j = np.arange(length)[None, :]
    r = i % D
    p, pj = i // D, j // D
    Lr = (length - r + D - 1) // D  # len(range(r, L, D))
    leader = np.minimum((p // S) * S + S // 2, Lr - 1)
    same = (i % D) == (j % D)
    if w.causal:
        return (same & (pj >= np.maximum(leader - K + 1, 0)) &
                (pj <= leader) & (pj <= p))
    start = np.clip(leader - K // 2, 0, Lr - K)
    return same & (pj >= start) & (pj < start + K)


def axis_visible_truncated(length, w):
    """A deliberately WRONG relation for negative tests: the window is
    centred on the leader and truncated at the borders instead of shifted
    (fewer keys near the edges). Equal to the right one in the interior."""
    w.check(length)
    K, D, S = w.kernel, w.dilation, w.stride
    i = np.arange(length)[:, None]
    j = np.arange(length)[None, :]
    r = i % D
    p, pj = i // D, j // D
    Lr = (length - r + D - 1) // D
    leader = np.minimum((p // S) * S + S // 2, Lr - 1)
    same = (i % D) == (j % D)
    if w.causal:
        # A causal window has no border to shift at its start; truncating
        # it at the query's own end instead of the leader's is the mutation.
        return same & (pj >= np.maximum(p - K + 1, 0)) & (pj <= p)
    start = leader - K // 2
    return same & (pj >= start) & (pj < start + K)


AXIS_RULES = {
    "natten": axis_visible_natten,
    "clip": axis_visible_clip,
    "truncated": axis_visible_truncated,
}


# ---------------------------------------------------------------------------
# Grids
# ---------------------------------------------------------------------------


def grid_coords(sizes):
    """[N, A] int: the coordinates of each token, row-major (last axis
    fastest)."""
    N = int(np.prod(sizes))
    coords = np.zeros((N, len(sizes)), dtype=np.int64)
    rest = np.arange(N)
    for a in reversed(range(len(sizes))):
        coords[:, a] = rest % sizes[a]
        rest = rest // sizes[a]
    return coords


def natten_mask(axes, windows, rule="natten"):
    """[N, N] bool visibility on the grid.

    axes: list of (name, size) in declaration order; windows: list of
    Window (at most one per axis; an axis without a window sees every key
    along it); rule: a key of AXIS_RULES.
    """
    names = [n for n, _ in axes]
    sizes = [s for _, s in axes]
    coords = grid_coords(sizes)
    N = coords.shape[0]
    vis = np.ones((N, N), dtype=bool)
    seen = set()
    for w in windows:
        if w.axis not in names:
            raise ValueError("window on unknown axis %r (axes: %s)"
                             % (w.axis, ", ".join(names)))
        if w.axis in seen:
            raise ValueError("two windows on axis %r" % w.axis)
        seen.add(w.axis)
        a = names.index(w.axis)
        rel = AXIS_RULES[rule](sizes[a], w)
        vis &= rel[coords[:, a][:, None], coords[:, a][None, :]]
    return vis


def softmax_attention(q, k, v, vis, scale):
    """o [B, H, N, Dv], lse [B, H, N] in float64 under the [N, N] mask vis.
    Rows that see no key give o = 0 and lse = -inf."""
    q, k, v = (np.asarray(t, dtype=np.float64) for t in (q, k, v))
    B, H, N, _ = q.shape
    G = k.shape[1]
    group = H // G
    o = np.zeros((B, H, N, v.shape[3]))
    lse = np.full((B, H, N), -np.inf)
    rows = vis.any(axis=1)
    for b in range(B):
        for h in range(H):
            g = h // group
            s = np.where(vis, scale * (q[b, h] @ k[b, g].T), -np.inf)
            m = np.where(rows, s.max(axis=1), 0.0)
            e = np.where(vis, np.exp(s - m[:, None]), 0.0)
            den = np.where(rows, e.sum(axis=1), 1.0)
            o[b, h] = np.where(rows[:, None], (e @ v[b, g]) / den[:, None],
                               0.0)
            lse[b, h] = np.where(rows, m + np.log(den), -np.inf)
    return o, lse


# ---------------------------------------------------------------------------
# Self-test
# ---------------------------------------------------------------------------


def _check(cond, what):
    if not cond:
        raise AssertionError("natten_oracle self-test: " + what)


def _random_window(rng, length, causal, odd_only):
    """A random legal window for an axis of this length."""
    while True:
        D = int(rng.integers(1, 5))
        K = int(rng.integers(1, max(2, length // D + 1)))
        if odd_only and K % 2 == 0:
            K -= 1
        if K >= 1 and K * D <= length:
            break
    S = int(rng.integers(1, K + 1))
    return Window("x", K, dilation=D, stride=S, causal=causal)


def self_test():
    rng = np.random.default_rng(20250)

    # 1. NATTEN's start formula against the clip formula, odd K, any S, D:
    #    the point of having two statements.
    cases = 0
    for _ in range(1500):
        L = int(rng.integers(1, 70))
        w = _random_window(rng, L, causal=False, odd_only=True)
        a, b = axis_visible_natten(L, w), axis_visible_clip(L, w)
        _check(np.array_equal(a, b),
               "natten != clip for L=%d %r, first query %d"
               % (L, w, int(np.argwhere((a != b).any(axis=1))[0][0])
                  if (a != b).any() else -1))
        cases += 1
    # Even K (GNA's left/right window sizes) too.
    for _ in range(500):
        L = int(rng.integers(2, 70))
        w = _random_window(rng, L, causal=False, odd_only=False)
        _check(np.array_equal(axis_visible_natten(L, w),
                              axis_visible_clip(L, w)),
               "natten != clip (even K allowed) for L=%d %r" % (L, w))
        cases += 1

    # 2. Causal: equal for S <= 2; for S >= 3 the leaders differ (last vs
    #    centre of the stride group) and that is the only difference.
    causal_diff = 0
    for _ in range(1500):
        L = int(rng.integers(1, 70))
        w = _random_window(rng, L, causal=True, odd_only=False)
        a, b = axis_visible_natten(L, w), axis_visible_clip(L, w)
        if w.stride <= 2:
            _check(np.array_equal(a, b),
                   "causal natten != clip for L=%d %r" % (L, w))
        else:
            causal_diff += int(not np.array_equal(a, b))
            # Same relation once the clip form is given GNA's causal leader.
            K, D, S = w.kernel, w.dilation, w.stride
            i = np.arange(L)[:, None]
            j = np.arange(L)[None, :]
            p, pj = i // D, j // D
            Lr = (L - i % D + D - 1) // D
            lead = np.minimum((p // S) * S + S - 1, Lr - 1)
            c = ((i % D == j % D) & (pj >= np.maximum(lead - K + 1, 0)) &
                 (pj <= p))
            _check(np.array_equal(a, c),
                   "causal natten != last-leader clip for L=%d %r" % (L, w))
        cases += 1
    _check(causal_diff > 0, "expected causal S >= 3 cases to differ")

    # 3. Properties NATTEN states.
    for _ in range(400):
        L = int(rng.integers(1, 60))
        w = _random_window(rng, L, causal=False, odd_only=False)
        vis = axis_visible_natten(L, w)
        _check((vis.sum(axis=1) == w.kernel).all(),
               "non-causal: every query sees exactly K keys (L=%d %r)"
               % (L, w))
        i, j = np.nonzero(vis)
        _check((i % w.dilation == j % w.dilation).all(),
               "keys stay in the query's dilation group")
        if w.stride == 1 and w.kernel % 2 == 1:
            # Interior queries (window fits) are centred on themselves.
            D, nh = w.dilation, w.kernel // 2
            for q in range(L):
                if q - nh * D >= 0 and q + nh * D < L:
                    want = set(range(q - nh * D, q + nh * D + 1, D))
                    _check(set(np.nonzero(vis[q])[0]) == want,
                           "interior window centred (L=%d %r q=%d)"
                           % (L, w, q))
        if w.stride == 1:
            _check(vis.diagonal().all(), "with S = 1 a query sees itself")
    for _ in range(400):
        L = int(rng.integers(1, 60))
        w = _random_window(rng, L, causal=True, odd_only=False)
        vis = axis_visible_natten(L, w)
        i, j = np.nonzero(vis)
        _check((j <= i).all(), "causal: no key after the query")
        if w.stride == 1:
            D, K = w.dilation, w.kernel
            for q in range(L):
                want = set(range(q, -1, -D)) & set(range(q - (K - 1) * D,
                                                         L))
                _check(set(np.nonzero(vis[q])[0]) == want,
                       "causal S=1: the K-window ending at the query")

    # 4. Known values: NATTEN's window starts on a 16-token axis, K = 7.
    for index, want in ((0, 0), (3, 0), (8, 5), (15, 9), (12, 9)):
        _check(natten_get_window_start(index, 16, 7, 1) == want,
               "natten window start of %d is %d" % (index, want))
    # Dilation 3 on a 10-token axis, K = 3: group 0 = {0, 3, 6, 9}, group
    # 1 = {1, 4, 7}, group 2 = {2, 5, 8}.
    for index, want in ((0, 0), (3, 0), (6, 3), (9, 3), (1, 1), (7, 1),
                        (8, 2)):
        _check(natten_get_window_start(index, 10, 3, 3) == want,
               "dilated natten window start of %d is %d" % (index, want))

    # 5. Stride == window on a multiple of it is blocked attention.
    for L, K in ((16, 4), (15, 5), (12, 3), (8, 8)):
        vis = axis_visible_natten(L, Window("x", K, stride=K))
        blocks = (np.arange(L)[:, None] // K) == (np.arange(L)[None, :] // K)
        _check(np.array_equal(vis, blocks),
               "stride == window is blocked (L=%d K=%d)" % (L, K))

    # 6. The truncated mutation differs from NATTEN near the borders.
    vis = axis_visible_natten(20, Window("x", 7))
    bad = axis_visible_truncated(20, Window("x", 7))
    _check(not np.array_equal(vis, bad) and
           np.array_equal(vis[3:17], bad[3:17]),
           "truncated windows differ only at the borders")

    # 7. Grids: row-major coordinates and per-axis conjunction.
    _check(np.array_equal(grid_coords([2, 3])[4], [1, 1]), "row-major coords")
    axes = [("y", 5), ("x", 6)]
    m = natten_mask(axes, [Window("y", 3), Window("x", 5, dilation=1)])
    _check((m.sum(axis=1) == 15).all(), "2-D: K_y * K_x keys per query")
    m1 = natten_mask(axes, [Window("y", 3)])
    _check((m1.sum(axis=1) == 18).all(), "an axis without a window is full")
    axes3 = [("t", 4), ("y", 5), ("x", 7)]
    ws = [Window("t", 3, causal=True), Window("y", 3, dilation=1),
          Window("x", 3, dilation=2, stride=2)]
    m3 = natten_mask(axes3, ws)
    c = grid_coords([4, 5, 7])
    for qi in rng.integers(0, 140, 20):
        for ki in rng.integers(0, 140, 20):
            want = all(axis_visible_natten(s, w)[c[qi, a], c[ki, a]]
                       for a, (s, w) in enumerate(zip([4, 5, 7], ws)))
            _check(m3[qi, ki] == want, "3-D mask is the per-axis product")
    _check(np.array_equal(natten_mask(axes3, ws, "clip"), m3),
           "natten_mask: both rules agree on a 3-D grid")

    # 8. Softmax: full visibility is plain attention; one key copies v.
    q = rng.standard_normal((1, 2, 6, 4))
    k = rng.standard_normal((1, 2, 6, 4))
    v = rng.standard_normal((1, 2, 6, 3))
    o, lse = softmax_attention(q, k, v, np.ones((6, 6), bool), 0.5)
    s = 0.5 * np.einsum("bhqd,bhkd->bhqk", q, k)
    p = np.exp(s - s.max(-1, keepdims=True))
    _check(np.allclose(o, (p / p.sum(-1, keepdims=True)) @ v),
           "full softmax attention")
    _check(np.allclose(lse, np.log(np.exp(s).sum(-1))), "lse")
    o, lse = softmax_attention(q, k, v, np.eye(6, dtype=bool), 0.5)
    _check(np.allclose(o, v), "a query seeing only its own key copies v")
    empty = np.eye(6, dtype=bool)
    empty[2] = False
    o, lse = softmax_attention(q, k, v, empty, 0.5)
    _check((o[:, :, 2] == 0).all() and np.isneginf(lse[:, :, 2]).all(),
           "an empty row gives o = 0, lse = -inf")

    print("PASS natten_oracle self-test (%d random axis cases, %d causal "
          "stride >= 3 cases where GNA's last-query leader differs from the "
          "centre leader)" % (cases, causal_diff))


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        self_test()
    else:
        print("usage: natten_oracle.py --self-test", file=sys.stderr)
        sys.exit(2)
