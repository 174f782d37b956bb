// ==== codegen/device/cpu_softmax_backward.h: CPU: the softmax family's backward (dQ, dK, dV, parameter gradients) ====
// Embedded verbatim after the forward kernel of the same package (codegen/BackwardCpuEmitter.cpp),
// whose prelude it reads: AttncKernelArgs and AttncBackwardArgs, storage_t with attnc_load and
// attnc_store, the block plan (attnc_plan_qblock, attnc_plan_next, attnc_plan_full), attnc_mask,
// attnc_score, H, G, D, DV, BQ, BK and kScale, and softmax_backward_weight.h. The emitter defines before it:
//   kBackwardNormalize      0 softmax, 1 sum, 2 none;
//   kBackwardSelected       true for content-based selection: the tiles are the forward's
//                           selection, rebuilt by attnc_bwd_select (the forward's builder,
//                           deterministic, so the same tiles), not the static plan;
//   ATTNC_PARAM_GRADS       the number of parameters with a gradient (slots), and for them
//   attnc_param_grad_param  slot -> manifest parameter index,
//   attnc_param_grad_size   slot -> element count for these sizes,
//   attnc_score_vjp         the score's derivative region (attn-differentiate): ds from (s, dt),
//                           adding to the slots' accumulators when given them.
// Schedule (docs/codegen.md, "Backward"): a row pass (dO . o, and the row sums under `sum`),
// then dK/dV key-major (one task per (b, kv head, k-block), deterministic, no atomics; the
// parameter gradients are added here, once per visible (q, k)), then dQ query-major (one task
// per (b, h, q-block)). Both passes recompute S = scale Q K^T and P from the row statistics
// and visit exactly the tiles the forward visited: its static block plan, or the call's runtime
// block mask (args.block_mask, the one the forward took) when there is one, or its selection.

#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdlib.h>

// The forward's per-row statistics: stat = lse (softmax) or the row's sum of scores (sum);
// delta = dO . o (softmax and sum).
typedef struct AttncBwdRows {
  float *stat, *delta;
} AttncBwdRows;

static inline const storage_t *attnc_bwd_row_ptr(const void *base, const AttncStrides4 &st,
                                                 long long b, long long h, long long n) {
  return (const storage_t *)base + b * st.s[0] + h * st.s[1] + n * st.s[2];
}

// Rows [row0, row0 + rows) of head (b, h) of a [B, *, N, W] tensor, as floats.
template <int W>
static inline void attnc_bwd_load_rows(const void *base, const AttncStrides4 &st, long long b,
                                       long long h, long long row0, int rows, float (*out)[W]) {
  for (int r = 0; r < rows; ++r) {
    const storage_t *p = attnc_bwd_row_ptr(base, st, b, h, row0 + r);
    for (int i = 0; i < W; ++i) out[r][i] = attnc_load(p + i);
  }
}

template <int W>
static inline void attnc_bwd_store_rows(void *base, const AttncStrides4 &st, long long b,
                                        long long h, long long row0, int rows,
                                        const float (*in)[W]) {
  for (int r = 0; r < rows; ++r) {
    storage_t *p = (storage_t *)attnc_bwd_row_ptr(base, st, b, h, row0 + r);
    for (int i = 0; i < W; ++i) attnc_store(p + i, in[r][i]);
  }
}

// The tiles the forward visited: the static plan, or with selection a map per
// (b, h, q-block, k-block): 0 not selected, 1 partial, 2 full.
typedef struct AttncBwdTilesMap {
  const unsigned char *selected; // [B * H * QB * KB], or null: the static plan
  long long q_blocks, k_blocks;
} AttncBwdTilesMap;

// Whether q-block qb of head (b, h) visits k-block kb, and whether that tile is full.
static inline bool attnc_bwd_visits(const AttncBwdTilesMap &m, long long b, long long h,
                                    long long qb, long long kb, long long Nq, long long Nk,
                                    bool *full) {
  if (m.selected) {
    const unsigned char v = m.selected[((b * H + h) * m.q_blocks + qb) * m.k_blocks + kb];
    *full = v == 2;
    return v != 0;
  }
  const AttncPlan p = attnc_plan_qblock(qb, Nq, Nk);
  if (attnc_plan_next(p, kb - 1) != kb) return false;
  *full = attnc_plan_full(p, kb);
  return true;
}

// The call's runtime block mask (kernel ABI 3, on the forward's tiles: the backward's own;
// docs/runtime.md §3a) as a tiles map: the tiles the forward visited with it, each flagged
// full or partial; a mask of one head serves every head. Returns 0, or 2 when out of memory.
static int attnc_bwd_block_mask_map(const AttncKernelArgs &a, unsigned char **out) {
  const AttncBlockMask *bm = a.block_mask;
  const long long QB = (a.q_len + BQ - 1) / BQ, KB = (a.kv_len + BK - 1) / BK;
  unsigned char *map = (unsigned char *)calloc((size_t)(a.batch * H * QB * KB), 1);
  *out = map;
  if (!map) return 2;
  for (long long b = 0; b < a.batch; ++b)
    for (long long h = 0; h < H; ++h)
      for (long long qb = 0; qb < QB; ++qb) {
        const long long row = (b * bm->heads + (bm->heads > 1 ? h : 0)) * QB + qb;
        unsigned char *tiles = map + ((b * H + h) * QB + qb) * KB;
        for (int i = bm->row_ptr[row]; i < bm->row_ptr[row + 1]; ++i)
          tiles[bm->col[i]] = bm->full[i] ? 2 : 1;
      }
  return 0;
}

// The selection map of the call (kBackwardSelected), from the forward's block builder.
// Returns 0, or the builder's nonzero status (2 when out of memory).
static int attnc_bwd_select_map(const AttncKernelArgs &a, unsigned char **out) {
  const long long QB = (a.q_len + BQ - 1) / BQ, KB = (a.kv_len + BK - 1) / BK;
  const long long rows = a.batch * H * QB;
  int *counts = (int *)malloc(sizeof(int) * (size_t)rows);
  int *col = (int *)malloc(sizeof(int) * (size_t)(rows * KB));
  unsigned char *full = (unsigned char *)malloc((size_t)(rows * KB));
  unsigned char *map = (unsigned char *)calloc((size_t)(rows * KB), 1);
  int status = counts && col && full && map ? attnc_bwd_select(&a, counts, col, full) : 2;
  for (long long r = 0; status == 0 && r < rows; ++r)
    for (int i = 0; i < counts[r]; ++i)
      map[r * KB + col[r * KB + i]] = full[r * KB + i] ? 2 : 1;
  free(counts);
  free(col);
  free(full);
  if (status != 0) {
    free(map);
    map = 0;
  }
  *out = map;
  return status;
}

// A [rows x W] tile transposed into [W x BK], columns past `rows` zero (so that the
// products below stay finite over the whole tile width).
template <int W>
static inline void attnc_bwd_transpose(const float (*in)[W], int rows, float (*out)[BK]) {
  for (int w = 0; w < W; ++w)
    for (int c = 0; c < BK; ++c) out[w][c] = c < rows ? in[c][w] : 0.0f;
}

// One tile (rows x cols of q-block row0.. and k-block col0.. of head (b, h)): the
// probabilities P and dS = d(loss)/d(s), where s = scale q.k; S and dP are scratch. Kt
// and Vt are the k-block's K and V transposed: the products' innermost loops run over
// the tile's columns, contiguous and without a reduction, so they vectorize without
// -ffast-math. pg: the thread's parameter gradient accumulators (dK/dV pass), or null
// (dQ pass: every (q, k) adds once).
static void attnc_bwd_tile(const AttncKernelArgs &a, const AttncBwdRows &st, double *const *pg,
                           long long b, long long h, long long row0, int rows, long long col0,
                           int cols, bool full, const float (*Q)[D], const float (*dO)[DV],
                           const float (*Kt)[BK], const float (*Vt)[BK], float (*S)[BK],
                           float (*dP)[BK], float (*P)[BK], float (*dS)[BK]) {
  const long long Nq = a.q_len, Nk = a.kv_len, offset = Nk - Nq;
  for (int r = 0; r < rows; ++r) {
    float *s = S[r], *dp = dP[r];
    for (int c = 0; c < BK; ++c) s[c] = dp[c] = 0.0f;
    for (int d = 0; d < D; ++d) {
      const float x = Q[r][d];
      for (int c = 0; c < BK; ++c) s[c] += x * Kt[d][c];
    }
    for (int e = 0; e < DV; ++e) {
      const float y = dO[r][e];
      for (int c = 0; c < BK; ++c) dp[c] += y * Vt[e][c];
    }
  }
  for (int r = 0; r < rows; ++r) {
    const long long i = row0 + r, row = (b * H + h) * Nq + i;
    const float stat = st.stat[row], delta = st.delta[row];
    for (int c = 0; c < cols; ++c) {
      const long long j = col0 + c;
      P[r][c] = 0.0f;
      dS[r][c] = 0.0f;
      if (!full && !attnc_mask(a, b, h, i + offset, j, Nq, Nk)) continue;
      const float s = S[r][c] * kScale, dp = dP[r][c];
      const float t = attnc_score(a, b, h, i + offset, j, Nq, Nk, s);
      float dt;
      P[r][c] = attnc_bwd_weight(kBackwardNormalize, t, stat, dp, delta, &dt);
      // A key of weight 0 passes nothing back (and its score may be -inf).
      if (dt != 0.0f) dS[r][c] = attnc_score_vjp(a, pg, b, h, i + offset, j, Nq, Nk, s, dt);
    }
  }
}

// Row pass: delta = dO . o per row, and under `sum` the row's sum of scores (the forward's
// normalizer, recomputed over the same tiles).
static void attnc_bwd_row_stats(const AttncKernelArgs &a, const AttncBackwardArgs &g,
                                AttncBwdRows st, const AttncBwdTilesMap &m) {
  const long long Nq = a.q_len, Nk = a.kv_len, offset = Nk - Nq, rows = a.batch * H * Nq;
#pragma omp parallel for schedule(static)
  for (long long row = 0; row < rows; ++row) {
    const long long i = row % Nq, h = (row / Nq) % H, b = row / (Nq * H), gh = h / (H / G);
    float o[1][DV], dO[1][DV];
    attnc_bwd_load_rows<DV>(a.o, a.o_strides, b, h, i, 1, o);
    attnc_bwd_load_rows<DV>(g.dout, g.dout_strides, b, h, i, 1, dO);
    float delta = 0.0f;
    for (int e = 0; e < DV; ++e) delta += dO[0][e] * o[0][e];
    st.delta[row] = kBackwardNormalize == 2 ? 0.0f : delta;
    if (kBackwardNormalize == 0) {
      st.stat[row] = a.lse[row];
    } else if (kBackwardNormalize == 1) {
      float q[1][D], k[1][D];
      attnc_bwd_load_rows<D>(a.q, a.q_strides, b, h, i, 1, q);
      float sum = 0.0f;
      for (long long kb = 0; kb < m.k_blocks; ++kb) {
        bool full = false;
        if (!attnc_bwd_visits(m, b, h, i / BQ, kb, Nq, Nk, &full)) continue;
        for (long long j = kb * BK; j < kb * BK + BK && j < Nk; ++j) {
          if (!full && !attnc_mask(a, b, h, i + offset, j, Nq, Nk)) continue;
          attnc_bwd_load_rows<D>(a.k, a.k_strides, b, gh, j, 1, k);
          float s = 0.0f;
          for (int d = 0; d < D; ++d) s += q[0][d] * k[0][d];
          sum += attnc_score(a, b, h, i + offset, j, Nq, Nk, s * kScale);
        }
      }
      st.stat[row] = sum;
    } else {
      st.stat[row] = 0.0f;
    }
  }
}

// The work buffers of one task, allocated once per thread.
typedef struct AttncBwdTiles {
  float (*Q)[D], (*dO)[DV], (*K)[D], (*V)[DV], (*P)[BK], (*dS)[BK];
  float (*Kt)[BK], (*Vt)[BK], (*S)[BK], (*dP)[BK];
  float (*accA)[D], (*accB)[DV]; // dK and dV, or dQ
} AttncBwdTiles;

static bool attnc_bwd_tiles_alloc(AttncBwdTiles *t) {
  const int rows = BQ > BK ? BQ : BK;
  t->Q = (float (*)[D])malloc(sizeof(float) * BQ * D);
  t->dO = (float (*)[DV])malloc(sizeof(float) * BQ * DV);
  t->K = (float (*)[D])malloc(sizeof(float) * BK * D);
  t->V = (float (*)[DV])malloc(sizeof(float) * BK * DV);
  t->P = (float (*)[BK])malloc(sizeof(float) * BQ * BK);
  t->dS = (float (*)[BK])malloc(sizeof(float) * BQ * BK);
  t->Kt = (float (*)[BK])malloc(sizeof(float) * D * BK);
  t->Vt = (float (*)[BK])malloc(sizeof(float) * DV * BK);
  t->S = (float (*)[BK])malloc(sizeof(float) * BQ * BK);
  t->dP = (float (*)[BK])malloc(sizeof(float) * BQ * BK);
  t->accA = (float (*)[D])malloc(sizeof(float) * rows * D);
  t->accB = (float (*)[DV])malloc(sizeof(float) * rows * DV);
  return t->Q && t->dO && t->K && t->V && t->P && t->dS && t->accA && t->accB && t->Kt &&
         t->Vt && t->S && t->dP;
}

static void attnc_bwd_tiles_free(AttncBwdTiles *t) {
  free(t->Q); free(t->dO); free(t->K); free(t->V); free(t->P); free(t->dS);
  free(t->accA); free(t->accB); free(t->Kt); free(t->Vt); free(t->S); free(t->dP);
}

// K and V of k-block kb of kv head (b, gh), and their transposes; returns its columns.
static inline int attnc_bwd_load_keys(const AttncKernelArgs &a, long long b, long long gh,
                                      long long kb, AttncBwdTiles &t) {
  const long long col0 = kb * BK;
  const int cols = (int)(a.kv_len - col0 < BK ? a.kv_len - col0 : BK);
  attnc_bwd_load_rows<D>(a.k, a.k_strides, b, gh, col0, cols, t.K);
  attnc_bwd_load_rows<DV>(a.v, a.v_strides, b, gh, col0, cols, t.V);
  attnc_bwd_transpose<D>(t.K, cols, t.Kt);
  attnc_bwd_transpose<DV>(t.V, cols, t.Vt);
  return cols;
}

// Q and dO of q-block qb of head (b, h); returns its rows.
static inline int attnc_bwd_load_queries(const AttncKernelArgs &a, const AttncBackwardArgs &g,
                                         long long b, long long h, long long qb,
                                         AttncBwdTiles &t) {
  const long long row0 = qb * BQ;
  const int rows = (int)(a.q_len - row0 < BQ ? a.q_len - row0 : BQ);
  attnc_bwd_load_rows<D>(a.q, a.q_strides, b, h, row0, rows, t.Q);
  attnc_bwd_load_rows<DV>(g.dout, g.dout_strides, b, h, row0, rows, t.dO);
  return rows;
}

// dK and dV, key-major: task (b, kv head gh, k-block kb) sums over the query heads of its
// group and the q-blocks whose plan visits kb. Returns false when out of memory.
static bool attnc_bwd_dkdv(const AttncKernelArgs &a, const AttncBackwardArgs &g,
                           const AttncBwdRows &st, const AttncBwdTilesMap &m,
                           double **pg_threads) {
  const long long Nq = a.q_len, Nk = a.kv_len, QB = (Nq + BQ - 1) / BQ, KB = (Nk + BK - 1) / BK;
  const long long tasks = a.batch * G * KB;
  bool ok = true;
#pragma omp parallel reduction(&& : ok)
  {
#ifdef _OPENMP
    const int thread = omp_get_thread_num();
#else
    const int thread = 0;
#endif
    double *const *pg = ATTNC_PARAM_GRADS > 0 ? pg_threads + thread * ATTNC_PARAM_GRADS : 0;
    AttncBwdTiles t;
    const bool have = attnc_bwd_tiles_alloc(&t);
    ok = have;
#pragma omp for schedule(static)
    for (long long task = 0; task < tasks; ++task) {
      if (!have) continue;
      const long long kb = task % KB, gh = (task / KB) % G, b = task / (KB * G);
      const long long col0 = kb * BK;
      const int cols = attnc_bwd_load_keys(a, b, gh, kb, t);
      for (int c = 0; c < cols; ++c) {
        for (int d = 0; d < D; ++d) t.accA[c][d] = 0.0f;
        for (int e = 0; e < DV; ++e) t.accB[c][e] = 0.0f;
      }
      for (long long h = gh * (H / G); h < (gh + 1) * (H / G); ++h) {
        for (long long qb = 0; qb < QB; ++qb) {
          bool full = false;
          if (!attnc_bwd_visits(m, b, h, qb, kb, Nq, Nk, &full)) continue;
          const long long row0 = qb * BQ;
          const int rows = attnc_bwd_load_queries(a, g, b, h, qb, t);
          attnc_bwd_tile(a, st, pg, b, h, row0, rows, col0, cols, full, t.Q, t.dO, t.Kt, t.Vt,
                         t.S, t.dP, t.P, t.dS);
          // dV += P^T dO, dK += scale dS^T Q: innermost loops contiguous, no reduction.
          for (int c = 0; c < cols; ++c) {
            for (int r = 0; r < rows; ++r) {
              // Skipped at a hidden key (P = dS = 0), not 0 * Q, NaN where Q is not finite.
              if (t.P[r][c] == 0.0f && t.dS[r][c] == 0.0f) continue;
              const float p = t.P[r][c], ds = kScale * t.dS[r][c];
              for (int e = 0; e < DV; ++e) t.accB[c][e] += p * t.dO[r][e];
              for (int d = 0; d < D; ++d) t.accA[c][d] += ds * t.Q[r][d];
            }
          }
        }
      }
      attnc_bwd_store_rows<D>(g.dk, g.dk_strides, b, gh, col0, cols, t.accA);
      attnc_bwd_store_rows<DV>(g.dv, g.dv_strides, b, gh, col0, cols, t.accB);
    }
    attnc_bwd_tiles_free(&t);
  }
  return ok;
}

// dQ, query-major: task (b, h, q-block) walks the k-blocks of its plan.
static bool attnc_bwd_dq(const AttncKernelArgs &a, const AttncBackwardArgs &g,
                         const AttncBwdRows &st, const AttncBwdTilesMap &m) {
  const long long Nq = a.q_len, Nk = a.kv_len, QB = (Nq + BQ - 1) / BQ;
  const long long KB = (Nk + BK - 1) / BK;
  const long long tasks = a.batch * H * QB;
  bool ok = true;
#pragma omp parallel reduction(&& : ok)
  {
    AttncBwdTiles t;
    const bool have = attnc_bwd_tiles_alloc(&t);
    ok = have;
#pragma omp for schedule(dynamic, 1)
    for (long long task = 0; task < tasks; ++task) {
      if (!have) continue;
      const long long qb = task % QB, h = (task / QB) % H, b = task / (QB * H);
      const long long gh = h / (H / G), row0 = qb * BQ;
      const int rows = attnc_bwd_load_queries(a, g, b, h, qb, t);
      for (int r = 0; r < rows; ++r)
        for (int d = 0; d < D; ++d) t.accA[r][d] = 0.0f;
      for (long long kb = 0; kb < KB; ++kb) {
        bool full = false;
        if (!attnc_bwd_visits(m, b, h, qb, kb, Nq, Nk, &full)) continue;
        const long long col0 = kb * BK;
        const int cols = attnc_bwd_load_keys(a, b, gh, kb, t);
        attnc_bwd_tile(a, st, 0, b, h, row0, rows, col0, cols, full, t.Q,
                       t.dO, t.Kt, t.Vt, t.S, t.dP, t.P, t.dS);
        for (int r = 0; r < rows; ++r)
          for (int c = 0; c < cols; ++c) {
            // dS is 0 at a hidden key: skipped, not 0 * K, NaN where K is not finite.
            if (t.dS[r][c] == 0.0f) continue;
            const float ds = kScale * t.dS[r][c];
            for (int d = 0; d < D; ++d) t.accA[r][d] += ds * t.K[c][d];
          }
      }
      attnc_bwd_store_rows<D>(g.dq, g.dq_strides, b, h, row0, rows, t.accA);
    }
    attnc_bwd_tiles_free(&t);
  }
  return ok;
}

// The backward entry's body: 0 on success, 1 for bad arguments, 2 when out of memory.
// Parameter gradients are summed per thread in double (a static schedule: for a given
// thread count the result does not depend on timing), then in thread order.
static int attnc_softmax_backward(const AttncKernelArgs *args, const AttncBackwardArgs *grads) {
  if (!args || !grads || args->batch <= 0 || args->q_len <= 0 || args->kv_len <= 0 ||
      !args->o || !grads->dout || !grads->dq || !grads->dk || !grads->dv ||
      (kBackwardNormalize == 0 && !args->lse))
    return 1;
  for (int slot = 0; slot < ATTNC_PARAM_GRADS; ++slot)
    if (!grads->param_grads[attnc_param_grad_param(slot)]) return 1;
  const AttncKernelArgs &a = *args;
  const long long rows = a.batch * H * a.q_len;
  AttncBwdRows st;
  st.stat = (float *)malloc(sizeof(float) * rows);
  st.delta = (float *)malloc(sizeof(float) * rows);
#ifdef _OPENMP
  const int threads = omp_get_max_threads();
#else
  const int threads = 1;
#endif
  double **pg = (double **)calloc((size_t)threads * ATTNC_PARAM_GRADS + 1, sizeof(double *));
  bool ok = st.stat && st.delta && pg;
  for (int i = 0; ok && i < threads * ATTNC_PARAM_GRADS; ++i) {
    pg[i] = (double *)calloc((size_t)attnc_param_grad_size(i % ATTNC_PARAM_GRADS, a),
                             sizeof(double));
    ok = pg[i] != 0;
  }
  AttncBwdTilesMap m = {0, (a.q_len + BQ - 1) / BQ, (a.kv_len + BK - 1) / BK};
  unsigned char *selected = 0;
  int status = 0;
  if (ok && kBackwardSelected) {
    status = attnc_bwd_select_map(a, &selected);
    ok = status == 0;
    m.selected = selected;
  } else if (ok && a.block_mask) {
    status = attnc_bwd_block_mask_map(a, &selected);
    ok = status == 0;
    m.selected = selected;
  }
  if (ok) {
    attnc_bwd_row_stats(a, *grads, st, m);
    ok = attnc_bwd_dkdv(a, *grads, st, m, pg) && attnc_bwd_dq(a, *grads, st, m);
  }
  for (int slot = 0; ok && slot < ATTNC_PARAM_GRADS; ++slot) {
    float *out = grads->param_grads[attnc_param_grad_param(slot)];
    const long long n = attnc_param_grad_size(slot, a);
    for (long long e = 0; e < n; ++e) {
      double sum = 0.0;
      for (int t = 0; t < threads; ++t) sum += pg[t * ATTNC_PARAM_GRADS + slot][e];
      out[e] = (float)sum;
    }
  }
  for (int i = 0; pg && i < threads * ATTNC_PARAM_GRADS; ++i) free(pg[i]);
  free(pg);
  free(st.stat);
  free(st.delta);
  free(selected);
  return ok ? 0 : status != 0 ? status : 2;
}
