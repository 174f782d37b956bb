// ==== codegen/device/softmax_backward_simt.cuh: CUDA: the softmax family's backward (SIMT, f32 math) ====
// Embedded verbatim after softmax_backward_rows.cuh (path backward_simt; codegen/BackwardCudaEmitter.cpp),
// whose helpers and prelude it reads, with attnc_store. The emitter defines before it
// ATTNC_BWD_DKDV_KERNEL, ATTNC_BWD_DQ_KERNEL and
//   attnc_score_vjp          the score's derivative region: ds from (s, dt), adding the
//                            parameters' gradients through atomicAdd on double accumulators.
// 2. dK/dV key-major: one block per (b, kv head, k-block) sums over the query heads of its group
//    and the q-blocks whose plan visits the k-block; each thread owns fixed (key, column)
//    accumulators: deterministic, no atomics for dK and dV.
// 3. dQ query-major: one block per (b, h, q-block) over the k-blocks of its plan.
// Tiles live in shared memory as floats with rows padded by one (conflict-free column walks);
// one thread per (row, key) element computes S = scale q.k, dP = dO.v, P and dS. A weight of
// exactly 0 (a hidden key, a row past the end) adds nothing: the products select, never multiply
// by zero, so a NaN or inf in a hidden key's k or v, or a hidden row's q or dO, stays out of the
// gradients (docs/language.md, non-finite values).

#define ATTNC_BWD_ACC(rows, width) (((rows) * (width) + BNT - 1) / BNT)

// The shared tiles of both passes (dialect/CudaBudget.cpp, softmaxCudaBackwardShared).
struct AttncBwdSmem {
  float *K, *V, *Q, *dO, *P, *dS, *stat, *delta;
};

__device__ __forceinline__ AttncBwdSmem attnc_bwd_smem(float *base) {
  AttncBwdSmem s;
  s.K = base;                        // [BBK][D + 1]
  s.V = s.K + BBK * (D + 1);         // [BBK][DV + 1]
  s.Q = s.V + BBK * (DV + 1);        // [BBQ][D + 1]
  s.dO = s.Q + BBQ * (D + 1);        // [BBQ][DV + 1]
  s.P = s.dO + BBQ * (DV + 1);       // [BBQ][BBK + 1]
  s.dS = s.P + BBQ * (BBK + 1);      // [BBQ][BBK + 1]
  s.stat = s.dS + BBQ * (BBK + 1);   // [BBQ]
  s.delta = s.stat + BBQ;            // [BBQ]
  return s;
}

// Rows [row0, row0 + rows) of head (b, h) of a [B, *, N, W] tensor into a [R][W + 1] tile;
// rows past `rows` are zero.
template <int W, int R>
__device__ __forceinline__ void attnc_bwd_load(float *tile, const void *base, const AttncStrides4 &st,
                                               long long b, long long h, long long row0, int rows) {
  for (int i = threadIdx.x; i < R * W; i += BNT) {
    const int r = i / W, c = i % W;
    tile[r * (W + 1) + c] = r < rows ? attnc_load(attnc_bwd_row(base, st, b, h, row0 + r) + c) : 0.0f;
  }
}

// The thread's accumulators of a [R][W] tile (element threadIdx.x + t * BNT) to rows
// [row0, row0 + rows) of head (b, h).
template <int W, int R, int A>
__device__ __forceinline__ void attnc_bwd_store(const float (&acc)[A], void *base, const AttncStrides4 &st,
                                                long long b, long long h, long long row0, int rows) {
#pragma unroll
  for (int t = 0; t < A; ++t) {
    const int i = threadIdx.x + t * BNT, r = i / W, c = i % W;
    if (i < R * W && r < rows)
      attnc_store((storage_t *)attnc_bwd_row(base, st, b, h, row0 + r) + c, acc[t]);
  }
}

// P and dS (scaled by kScale: the gradient of q.k) of one tile, one thread per element:
// rows [row0, row0 + rows) of head (b, h) against keys [col0, col0 + cols). Elements past the
// tile, masked out or of weight 0 get P = dS = 0. pg: the parameters' accumulators (key-major
// pass), or null (query-major pass: every (q, k) adds once).
__device__ __forceinline__ void attnc_bwd_tile(const AttncKernelArgs &a, double *pg, const AttncBwdSmem &sm,
                                               long long b, long long h, long long row0, int rows,
                                               long long col0, int cols, bool full) {
  const long long Nq = a.q_len, Nk = a.kv_len, offset = Nk - Nq;
  for (int e = threadIdx.x; e < BBQ * BBK; e += BNT) {
    const int r = e / BBK, c = e % BBK;
    float p = 0.0f, ds = 0.0f;
    const long long i = row0 + r, j = col0 + c;
    if (r < rows && c < cols && (full || attnc_mask(a, b, h, i + offset, j, Nq, Nk))) {
      float qk = 0.0f, dp = 0.0f;
      for (int d = 0; d < D; ++d) qk += sm.Q[r * (D + 1) + d] * sm.K[c * (D + 1) + d];
      for (int d = 0; d < DV; ++d) dp += sm.dO[r * (DV + 1) + d] * sm.V[c * (DV + 1) + d];
      const float s = qk * kScale, stat = sm.stat[r], delta = sm.delta[r];
      const float t = attnc_score(a, b, h, i + offset, j, Nq, Nk, s);
      float dt;
      p = attnc_bwd_weight(kBackwardNormalize, t, stat, dp, delta, &dt);
      // A key of weight 0 passes nothing back (and its score may be -inf).
      if (dt != 0.0f) ds = kScale * attnc_score_vjp(a, pg, b, h, i + offset, j, Nq, Nk, s, dt);
    }
    sm.P[r * (BBK + 1) + c] = p;
    sm.dS[r * (BBK + 1) + c] = ds;
  }
}

// The q-block's row statistics into shared memory (rows past the end: 0).
__device__ __forceinline__ void attnc_bwd_load_stats(const AttncKernelArgs &a, const AttncBwdSmem &sm,
                                                     long long b, long long h, long long row0, int rows) {
  const float *stat = (const float *)a.scratch[0], *delta = (const float *)a.scratch[1];
  for (int r = threadIdx.x; r < BBQ; r += BNT) {
    const long long row = (b * H + h) * a.q_len + row0 + r;
    sm.stat[r] = r < rows ? stat[row] : 0.0f;
    sm.delta[r] = r < rows ? delta[row] : 0.0f;
  }
}

// 2. dK and dV: block (b, kv head gh, k-block kb), blockIdx.x = (b * G + gh) * KB + kb.
extern "C" __global__ void __launch_bounds__(BNT, 1) ATTNC_BWD_DKDV_KERNEL(const AttncKernelArgs a) {
  const AttncBackwardArgs &g = attnc_bwd_grads(a);
  extern __shared__ __align__(16) float attnc_smem_f[];
  const AttncBwdSmem sm = attnc_bwd_smem(attnc_smem_f);
  const long long Nq = a.q_len, Nk = a.kv_len;
  const long long QB = (Nq + BBQ - 1) / BBQ, KB = (Nk + BBK - 1) / BBK;
  const long long kb = blockIdx.x % KB, gh = (blockIdx.x / KB) % G, b = blockIdx.x / (KB * G);
  const long long col0 = kb * BBK;
  const int cols = (int)(Nk - col0 < BBK ? Nk - col0 : BBK);
  double *pg = (double *)a.scratch[2];
  attnc_bwd_load<D, BBK>(sm.K, a.k, a.k_strides, b, gh, col0, cols);
  attnc_bwd_load<DV, BBK>(sm.V, a.v, a.v_strides, b, gh, col0, cols);
  float dk[ATTNC_BWD_ACC(BBK, D)], dv[ATTNC_BWD_ACC(BBK, DV)];
#pragma unroll
  for (int t = 0; t < ATTNC_BWD_ACC(BBK, D); ++t) dk[t] = 0.0f;
#pragma unroll
  for (int t = 0; t < ATTNC_BWD_ACC(BBK, DV); ++t) dv[t] = 0.0f;
  for (long long h = gh * (H / G); h < (gh + 1) * (H / G); ++h) {
    for (long long qb = 0; qb < QB; ++qb) {
      const AttncBwdPlan p = attnc_bwd_plan_qblock(qb, Nq, Nk);
      if (attnc_bwd_plan_next(p, kb - 1) != kb) continue;
      const bool full = attnc_bwd_plan_full(p, kb);
      const long long row0 = qb * BBQ;
      const int rows = (int)(Nq - row0 < BBQ ? Nq - row0 : BBQ);
      __syncthreads(); // the previous tile's P, dS, Q and dO are read
      attnc_bwd_load<D, BBQ>(sm.Q, a.q, a.q_strides, b, h, row0, rows);
      attnc_bwd_load<DV, BBQ>(sm.dO, g.dout, g.dout_strides, b, h, row0, rows);
      attnc_bwd_load_stats(a, sm, b, h, row0, rows);
      __syncthreads(); // K, V (first tile), Q, dO and the statistics are in
      attnc_bwd_tile(a, pg, sm, b, h, row0, rows, col0, cols, full);
      __syncthreads(); // P and dS are in
      // dK += dS^T Q, dV += P^T dO: element (key c, column d) of the thread.
#pragma unroll
      for (int t = 0; t < ATTNC_BWD_ACC(BBK, D); ++t) {
        const int i = threadIdx.x + t * BNT, c = i / D, d = i % D;
        if (i >= BBK * D) break;
        float acc = 0.0f;
        for (int r = 0; r < rows; ++r) {
          const float w = sm.dS[r * (BBK + 1) + c];
          if (w != 0.0f) acc += w * sm.Q[r * (D + 1) + d];
        }
        dk[t] += acc;
      }
#pragma unroll
      for (int t = 0; t < ATTNC_BWD_ACC(BBK, DV); ++t) {
        const int i = threadIdx.x + t * BNT, c = i / DV, d = i % DV;
        if (i >= BBK * DV) break;
        float acc = 0.0f;
        for (int r = 0; r < rows; ++r) {
          const float w = sm.P[r * (BBK + 1) + c];
          if (w != 0.0f) acc += w * sm.dO[r * (DV + 1) + d];
        }
        dv[t] += acc;
      }
    }
  }
  attnc_bwd_store<D, BBK>(dk, g.dk, g.dk_strides, b, gh, col0, cols);
  attnc_bwd_store<DV, BBK>(dv, g.dv, g.dv_strides, b, gh, col0, cols);
}

// 3. dQ: block (b, h, q-block qb), blockIdx.x = (b * H + h) * QB + qb.
extern "C" __global__ void __launch_bounds__(BNT, 1) ATTNC_BWD_DQ_KERNEL(const AttncKernelArgs a) {
  const AttncBackwardArgs &g = attnc_bwd_grads(a);
  extern __shared__ __align__(16) float attnc_smem_f[];
  const AttncBwdSmem sm = attnc_bwd_smem(attnc_smem_f);
  const long long Nq = a.q_len, Nk = a.kv_len, QB = (Nq + BBQ - 1) / BBQ;
  const long long qb = blockIdx.x % QB, h = (blockIdx.x / QB) % H, b = blockIdx.x / (QB * H);
  const long long gh = h / (H / G), row0 = qb * BBQ;
  const int rows = (int)(Nq - row0 < BBQ ? Nq - row0 : BBQ);
  attnc_bwd_load<D, BBQ>(sm.Q, a.q, a.q_strides, b, h, row0, rows);
  attnc_bwd_load<DV, BBQ>(sm.dO, g.dout, g.dout_strides, b, h, row0, rows);
  attnc_bwd_load_stats(a, sm, b, h, row0, rows);
  float dq[ATTNC_BWD_ACC(BBQ, D)];
#pragma unroll
  for (int t = 0; t < ATTNC_BWD_ACC(BBQ, D); ++t) dq[t] = 0.0f;
  const AttncBwdPlan p = attnc_bwd_plan_qblock(qb, Nq, Nk);
  for (long long kb = attnc_bwd_plan_next(p, -1); kb >= 0; kb = attnc_bwd_plan_next(p, kb)) {
    const long long col0 = kb * BBK;
    const int cols = (int)(Nk - col0 < BBK ? Nk - col0 : BBK);
    __syncthreads(); // the previous tile's K and dS are read
    attnc_bwd_load<D, BBK>(sm.K, a.k, a.k_strides, b, gh, col0, cols);
    attnc_bwd_load<DV, BBK>(sm.V, a.v, a.v_strides, b, gh, col0, cols);
    __syncthreads(); // K, V (and Q, dO, statistics on the first tile) are in
    attnc_bwd_tile(a, 0, sm, b, h, row0, rows, col0, cols, attnc_bwd_plan_full(p, kb));
    __syncthreads(); // dS is in
    // dQ += dS K: element (row r, column d) of the thread.
#pragma unroll
    for (int t = 0; t < ATTNC_BWD_ACC(BBQ, D); ++t) {
      const int i = threadIdx.x + t * BNT, r = i / D, d = i % D;
      if (i >= BBQ * D) break;
      float acc = 0.0f;
      for (int c = 0; c < cols; ++c) {
        const float w = sm.dS[r * (BBK + 1) + c];
        if (w != 0.0f) acc += w * sm.K[c * (D + 1) + d];
      }
      dq[t] += acc;
    }
  }
  attnc_bwd_store<D, BBQ>(dq, g.dq, g.dq_strides, b, h, row0, rows);
}

