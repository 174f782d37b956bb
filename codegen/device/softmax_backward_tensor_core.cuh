// ==== codegen/device/softmax_backward_tensor_core.cuh: CUDA: the softmax family's backward on tensor cores (f16, bf16; sm_80+) ====
// Embedded verbatim after softmax_backward_rows.cuh (path backward_tensor_core;
// codegen/BackwardCudaEmitter.cpp), whose helpers and prelude it reads, with the forward's
// tensor-core pieces: ptx.cuh (cp.async, ldmatrix, mma.sync, attnc_pack2, attnc_swz), DP and DVP
// (head dims padded to whole k16 fragments) and attnc_store. The emitter defines before it
// BWARPS (BNT / 32), BSTAGES (1 or 2), ATTNC_BWD_DKDV_KERNEL, ATTNC_BWD_DQ_KERNEL and
//   attnc_score_vjp          the score's derivative region: ds from (live, s, dt), adding the
//                            parameters' gradients through attnc_bwd_grad_add
//                            (param_grad_warp_sum.cuh) on double accumulators.
// The plan (lib/Dialect/TargetPlans.cpp) has BBQ = BBK = 16 * BWARPS, a multiple of 32.
// 2. dK/dV key-major: one block per (b, kv head, k-block); warp w owns keys [16w, 16w + 16) of
//    the k-block and keeps their dK and dV in registers over the query heads of the group and
//    the q-blocks that visit the k-block (their plan, or the call's block mask: the forward's
//    tiles, found by a binary search in each mask row): deterministic, no atomics. Per q-block it walks
//    the rows in steps of ATTNC_BWD_QS: S^T = K Q^T and dP^T = V dO^T on tensor cores, P and dS
//    element by element in the accumulators (the spec's mask, score and score_vjp), then
//    dV += P^T dO and dK += dS^T Q with P and dS repacked from accumulator to A-operand layout
//    in registers (no shared-memory round trip).
// 3. dQ query-major: one block per (b, h, q-block); warp w owns rows [16w, 16w + 16):
//    S = Q K^T, dP = dO V^T, dS, dQ += dS K over the k-blocks of its plan.
// Each pass keeps one pair of tiles (K, V or Q, dO) for the whole block and streams the other
// through BSTAGES buffers: with 2, the next tile's cp.async runs under this one's products.
// P and dS are rounded to the storage type before their products (as FlashAttention does);
// every product accumulates in f32. Unlike the SIMT kernels, a weight of 0 multiplies: a NaN or
// inf in a hidden key's k or v (or a hidden row's q or dO) reaches the gradients of the visible
// rows through 0 * NaN, as in the forward's tensor-core kernel (docs/language.md, non-finite
// values).

#define ATTNC_BWD_QS 32
static_assert(BBQ == BBK && BBQ % ATTNC_BWD_QS == 0, "the plan's square tiles (TargetPlans.cpp)");

// The shared tiles of both passes (lib/Dialect/CudaBudget.cpp,
// softmaxCudaBackwardTensorCoreShared): 16-bit rows, 16-byte chunks swizzled (attnc_swz). The
// tiles a pass streams (Q and dO in the key-major pass, K and V in the query-major pass) and the
// q-block's row statistics have BSTAGES copies: the next tile loads while this one computes.
struct AttncBwdTcSmem {
  storage_t *K, *V, *Q, *dO;
  float *stat, *delta;
};

// Stage `stage` of the layout; `streams_q`: Q, dO and the statistics are streamed (key-major),
// else K and V (query-major).
__device__ __forceinline__ AttncBwdTcSmem attnc_bwd_tc_smem(unsigned char *base, bool streams_q, int stage) {
  storage_t *fixed = reinterpret_cast<storage_t *>(base); // [BBK][DP] + [BBK][DVP]
  storage_t *streamed = fixed + BBK * (DP + DVP) + stage * BBK * (DP + DVP);
  float *stats = reinterpret_cast<float *>(fixed + (1 + BSTAGES) * BBK * (DP + DVP)) + (streams_q ? stage : 0) * 2 * BBQ;
  storage_t *kv = streams_q ? fixed : streamed, *qo = streams_q ? streamed : fixed;
  AttncBwdTcSmem s;
  s.K = kv;             // [BBK][DP]
  s.V = kv + BBK * DP;  // [BBK][DVP]
  s.Q = qo;             // [BBQ][DP]
  s.dO = qo + BBQ * DP; // [BBQ][DVP]
  s.stat = stats;       // [BBQ]
  s.delta = stats + BBQ;
  return s;
}

// Rows [row0, row0 + rows) of head (b, h) of a [B, *, N, W] tensor into a swizzled [R][WP]
// tile by cp.async; rows past `rows` and columns past W are zero.
template <int W, int WP, int R>
__device__ __forceinline__ void attnc_bwd_tc_load(storage_t *tile, const void *base, const AttncStrides4 &st,
                                                  long long b, long long h, long long row0, int rows) {
  constexpr int chunks = WP / 8;
  for (int i = threadIdx.x; i < R * chunks; i += BNT) {
    const int r = i / chunks, c = i % chunks;
    const bool valid = r < rows && c * 8 < W;
    const storage_t *src = valid ? attnc_bwd_row(base, st, b, h, row0 + r) + c * 8 : (const storage_t *)base;
    attnc_cp_async16(tile + attnc_swz(r, c, chunks), src, valid ? 16 : 0);
  }
}

// The q-block at row0 of head (b, h): Q and dO by cp.async (not committed), the row
// statistics by plain stores (rows past the end: 0).
__device__ __forceinline__ void attnc_bwd_tc_load_q(const AttncKernelArgs &a, const AttncBackwardArgs &g,
                                                    const AttncBwdTcSmem &sm, long long b, long long h,
                                                    long long row0, long long Nq) {
  const int rows = (int)(Nq - row0 < BBQ ? Nq - row0 : BBQ);
  attnc_bwd_tc_load<D, DP, BBQ>(sm.Q, a.q, a.q_strides, b, h, row0, rows);
  attnc_bwd_tc_load<DV, DVP, BBQ>(sm.dO, g.dout, g.dout_strides, b, h, row0, rows);
  const float *stat = (const float *)a.scratch[0], *delta = (const float *)a.scratch[1];
  for (int r = threadIdx.x; r < BBQ; r += BNT) {
    const long long row = (b * H + h) * Nq + row0 + r;
    sm.stat[r] = r < rows ? stat[row] : 0.0f;
    sm.delta[r] = r < rows ? delta[row] : 0.0f;
  }
}

// The k-block at col0 of kv head (b, gh): K and V by cp.async (not committed).
__device__ __forceinline__ void attnc_bwd_tc_load_kv(const AttncKernelArgs &a, const AttncBwdTcSmem &sm, long long b,
                                                     long long gh, long long col0, long long Nk) {
  const int cols = (int)(Nk - col0 < BBK ? Nk - col0 : BBK);
  attnc_bwd_tc_load<D, DP, BBK>(sm.K, a.k, a.k_strides, b, gh, col0, cols);
  attnc_bwd_tc_load<DV, DVP, BBK>(sm.V, a.v, a.v_strides, b, gh, col0, cols);
}

// The k-tiles a q-block visits: the call's runtime block mask row (kernel ABI 3; the runtime
// passes one only when its tiles are these, manifest `backward_block_mask`; ascending tiles,
// each flagged full or partial), else the static block plan. A cursor is (kb, i): the tile
// and its index in the row; the plan ignores i.
typedef struct AttncBwdTiles {
  AttncBwdPlan plan;
  const int *col; // the mask row's tiles, or null for the plan
  const unsigned char *full;
  int n;
} AttncBwdTiles;

__device__ __forceinline__ AttncBwdTiles attnc_bwd_tc_tiles(const AttncKernelArgs &a, long long b, long long h,
                                                            long long qb, long long Nq, long long Nk) {
  AttncBwdTiles t;
  t.plan = attnc_bwd_plan_qblock(qb, Nq, Nk);
  t.col = 0;
  t.full = 0;
  t.n = 0;
  if (const AttncBlockMask *bm = a.block_mask) {
    const long long row = (b * bm->heads + (bm->heads > 1 ? h : 0)) * ((Nq + BBQ - 1) / BBQ) + qb;
    t.col = bm->col + bm->row_ptr[row];
    t.full = bm->full + bm->row_ptr[row];
    t.n = bm->row_ptr[row + 1] - bm->row_ptr[row];
  }
  return t;
}
// The tile after cursor (kb, i) (kb = -1, i = -1 for the first), or -1.
__device__ __forceinline__ long long attnc_bwd_tc_tiles_next(const AttncBwdTiles &t, long long kb, int i) {
  if (t.col) return i + 1 < t.n ? t.col[i + 1] : -1;
  return attnc_bwd_plan_next(t.plan, kb);
}
__device__ __forceinline__ bool attnc_bwd_tc_tiles_full(const AttncBwdTiles &t, long long kb, int i) {
  return t.col ? t.full[i] != 0 : attnc_bwd_plan_full(t.plan, kb);
}
// Whether the q-block visits k-block kb (a binary search in a mask row), and if so whether
// the tile is full.
__device__ __forceinline__ bool attnc_bwd_tc_tiles_visit(const AttncBwdTiles &t, long long kb, bool &full) {
  if (!t.col) {
    if (attnc_bwd_plan_next(t.plan, kb - 1) != kb) return false;
    full = attnc_bwd_plan_full(t.plan, kb);
    return true;
  }
  int lo = 0, hi = t.n;
  while (lo < hi) {
    const int mid = (lo + hi) / 2;
    if (t.col[mid] < kb) lo = mid + 1;
    else hi = mid;
  }
  if (lo == t.n || t.col[lo] != kb) return false;
  full = t.full[lo] != 0;
  return true;
}

// Advances (h, qb) to the next query head of group gh and q-block that visits k-block kb
// (qb = -1: from the group's first head), with that tile's full flag; false past the last.
__device__ __forceinline__ bool attnc_bwd_tc_next_q(const AttncKernelArgs &a, long long b, long long kb,
                                                    long long gh, long long Nq, long long Nk, long long QB,
                                                    long long &h, long long &qb, bool &full) {
  for (;;) {
    if (++qb == QB) {
      qb = 0;
      if (++h == (gh + 1) * (H / G)) return false;
    }
    if (attnc_bwd_tc_tiles_visit(attnc_bwd_tc_tiles(a, b, h, qb, Nq, Nk), kb, full)) return true;
  }
}

// The A operand of rows [row, row + 16) x columns [16 ks, 16 ks + 16) of a swizzled tile.
template <int WP>
__device__ __forceinline__ void attnc_bwd_tc_a(unsigned (&f)[4], const storage_t *tile, int row, int ks) {
  const int lane = threadIdx.x % 32;
  attnc_ldmatrix_x4(f, tile + attnc_swz(row + (lane % 8) + ((lane / 8) % 2) * 8, ks * 2 + lane / 16, WP / 8));
}

// The B operands of two n8 tiles: rows [row, row + 16) of a swizzled tile as the columns of B
// (B = tile^T), k-slice [16 ks, 16 ks + 16): f[0], f[1] for rows row..row+7, f[2], f[3] for
// row+8..row+15.
template <int WP>
__device__ __forceinline__ void attnc_bwd_tc_bt(unsigned (&f)[4], const storage_t *tile, int row, int ks) {
  const int lane = threadIdx.x % 32, mi = lane / 8;
  attnc_ldmatrix_x4(f, tile + attnc_swz(row + (lane % 8) + (mi / 2) * 8, ks * 2 + (mi % 2), WP / 8));
}

// The B operands of two n8 tiles: k rows [row, row + 16) of a swizzled tile, columns
// [16 np, 16 np + 16) (B = tile, transposed by ldmatrix): f[0], f[1] for columns 16np..16np+7,
// f[2], f[3] for the next 8.
template <int WP>
__device__ __forceinline__ void attnc_bwd_tc_b(unsigned (&f)[4], const storage_t *tile, int row, int np) {
  const int lane = threadIdx.x % 32, mi = lane / 8;
  attnc_ldmatrix_x4_trans(f, tile + attnc_swz(row + (lane % 8) + (mi % 2) * 8, np * 2 + mi / 2, WP / 8));
}

// Accumulators of two adjacent n8 tiles as the A operand of one k16 step.
__device__ __forceinline__ void attnc_bwd_tc_pack(unsigned (&f)[4], const float (&lo)[4], const float (&hi)[4]) {
  f[0] = attnc_pack2(lo[0], lo[1]);
  f[1] = attnc_pack2(lo[2], lo[3]);
  f[2] = attnc_pack2(hi[0], hi[1]);
  f[3] = attnc_pack2(hi[2], hi[3]);
}

// acc += A B^T for 16 rows of A (from row arow) against N rows of B (from row brow), over
// the WP columns both tiles have: the products S = Q K^T and dP = dO V^T (and their
// transposes), one A fragment per k16 step shared by the N / 8 n-tiles.
template <int WP, int N>
__device__ __forceinline__ void attnc_bwd_tc_mma_abt(float (&acc)[N / 8][4], const storage_t *a, int arow,
                                                     const storage_t *b, int brow) {
#pragma unroll
  for (int ks = 0; ks < WP / 16; ++ks) {
    unsigned af[4];
    attnc_bwd_tc_a<WP>(af, a, arow, ks);
#pragma unroll
    for (int np = 0; np < N / 16; ++np) {
      unsigned bf[4];
      attnc_bwd_tc_bt<WP>(bf, b, brow + np * 16, ks);
      attnc_mma(acc[2 * np], af, bf[0], bf[1]);
      attnc_mma(acc[2 * np + 1], af, bf[2], bf[3]);
    }
  }
}

// acc += P B for a packed k16 A operand P (attnc_bwd_tc_pack) and rows [brow, brow + 16) of a
// tile with WP columns: dV += P^T dO, dK += dS^T Q, dQ += dS K.
template <int WP>
__device__ __forceinline__ void attnc_bwd_tc_mma_pb(float (&acc)[WP / 8][4], const unsigned (&p)[4],
                                                    const storage_t *b, int brow) {
#pragma unroll
  for (int np = 0; np < WP / 16; ++np) {
    unsigned bf[4];
    attnc_bwd_tc_b<WP>(bf, b, brow, np);
    attnc_mma(acc[2 * np], p, bf[0], bf[1]);
    attnc_mma(acc[2 * np + 1], p, bf[2], bf[3]);
  }
}

// P and dS (scaled by kScale: the gradient of q.k) of one visible element from its raw q.k and
// dO.v; 0 and 0 when hidden. pg: the parameters' accumulators (key-major pass) or null. Called
// by every lane of the warp at once (the element loops are unrolled, never divergent).
__device__ __forceinline__ void attnc_bwd_tc_element(const AttncKernelArgs &a, double *pg, long long b,
                                                     long long h, long long i, long long j, long long Nq,
                                                     long long Nk, bool visible, float stat, float delta,
                                                     float &qk_to_p, float &dp_to_ds) {
  const float s = qk_to_p * kScale;
  float p = 0.0f, dt = 0.0f;
  if (visible) p = attnc_bwd_weight(kBackwardNormalize, attnc_score(a, b, h, i, j, Nq, Nk, s), stat, dp_to_ds,
                                    delta, &dt);
  // A key of weight 0 passes nothing back (and its score may be -inf). Every lane calls the
  // derivative (its parameter-gradient writers sum across the warp); a dead one adds 0.
  const bool live = visible && dt != 0.0f;
  const float g = attnc_score_vjp(a, pg, live, b, h, i, j, Nq, Nk, s, live ? dt : 0.0f);
  qk_to_p = p;
  dp_to_ds = live ? kScale * g : 0.0f;
}

// A warp's [16][WP] f32 accumulators to rows [row0 + 16 w, ...) of head (b, h), W columns.
template <int W, int WP>
__device__ __forceinline__ void attnc_bwd_tc_store(const float (&acc)[WP / 8][4], void *base, const AttncStrides4 &st,
                                                   long long b, long long h, long long row0, int rows) {
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
#pragma unroll
  for (int half = 0; half < 2; ++half) {
    const int r = warp * 16 + lane / 4 + half * 8;
    if (r >= rows) continue;
    storage_t *out = (storage_t *)attnc_bwd_row(base, st, b, h, row0 + r);
#pragma unroll
    for (int nt = 0; nt < WP / 8; ++nt) {
      const int col = nt * 8 + (lane % 4) * 2;
      if (col < W) {
        attnc_store(out + col, acc[nt][2 * half]);
        attnc_store(out + col + 1, acc[nt][2 * half + 1]);
      }
    }
  }
}

// 2. dK and dV: block (b, kv head gh, k-block kb), blockIdx.x = (b * G + gh) * KB + kb.
extern "C" __global__ void __launch_bounds__(BNT, 1) ATTNC_BWD_DKDV_KERNEL(const AttncKernelArgs a) {
  const AttncBackwardArgs &g = attnc_bwd_grads(a);
  extern __shared__ __align__(128) unsigned char attnc_smem_bwd[];
  const long long Nq = a.q_len, Nk = a.kv_len, offset = Nk - Nq;
  const long long QB = (Nq + BBQ - 1) / BBQ, KB = (Nk + BBK - 1) / BBK;
  const long long kb = blockIdx.x % KB, gh = (blockIdx.x / KB) % G, b = blockIdx.x / (KB * G);
  const long long col0 = kb * BBK;
  const int cols = (int)(Nk - col0 < BBK ? Nk - col0 : BBK);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int key0 = warp * 16; // the warp's keys in the k-block
  double *pg = (double *)a.scratch[2];
  {
    const AttncBwdTcSmem sm = attnc_bwd_tc_smem(attnc_smem_bwd, true, 0);
    attnc_bwd_tc_load<D, DP, BBK>(sm.K, a.k, a.k_strides, b, gh, col0, cols);
    attnc_bwd_tc_load<DV, DVP, BBK>(sm.V, a.v, a.v_strides, b, gh, col0, cols);
  }
  float dk[DP / 8][4], dv[DVP / 8][4];
#pragma unroll
  for (int nt = 0; nt < DP / 8; ++nt)
#pragma unroll
    for (int i = 0; i < 4; ++i) dk[nt][i] = 0.0f;
#pragma unroll
  for (int nt = 0; nt < DVP / 8; ++nt)
#pragma unroll
    for (int i = 0; i < 4; ++i) dv[nt][i] = 0.0f;
  // The (query head, q-block) pairs whose plan visits the k-block, in order; the next one's Q,
  // dO and statistics load into the other stage while this one computes.
  long long h = gh * (H / G), qb = -1;
  bool tile_full = false;
  bool have = attnc_bwd_tc_next_q(a, b, kb, gh, Nq, Nk, QB, h, qb, tile_full);
  if (have) attnc_bwd_tc_load_q(a, g, attnc_bwd_tc_smem(attnc_smem_bwd, true, 0), b, h, qb * BBQ, Nq);
  attnc_cp_async_commit(); // K, V and the first q-block
  for (int stage = 0; have; stage ^= 1) {
    const AttncBwdTcSmem sm = attnc_bwd_tc_smem(attnc_smem_bwd, true, stage);
    long long next_h = h, next_qb = qb;
    bool next_full = false;
    const bool next = attnc_bwd_tc_next_q(a, b, kb, gh, Nq, Nk, QB, next_h, next_qb, next_full);
    if (next)
      attnc_bwd_tc_load_q(a, g, attnc_bwd_tc_smem(attnc_smem_bwd, true, stage ^ 1), b, next_h,
                          next_qb * BBQ, Nq);
    attnc_cp_async_commit();
    attnc_cp_async_wait<1>();
    __syncthreads(); // K, V (first q-block), Q, dO and the statistics are in
    const long long row0 = qb * BBQ;
    const int rows = (int)(Nq - row0 < BBQ ? Nq - row0 : BBQ);
    // A full tile needs no mask, but a short one still hides what lies past the ends.
    const bool full = tile_full && rows == BBQ && cols == BBK;
    for (int qs = 0; qs < BBQ && qs < rows; qs += ATTNC_BWD_QS) {
      // S^T = K Q^T and dP^T = V dO^T: the warp's 16 keys x ATTNC_BWD_QS rows.
      float st[ATTNC_BWD_QS / 8][4], dpt[ATTNC_BWD_QS / 8][4];
#pragma unroll
      for (int nt = 0; nt < ATTNC_BWD_QS / 8; ++nt)
#pragma unroll
        for (int i = 0; i < 4; ++i) st[nt][i] = dpt[nt][i] = 0.0f;
      attnc_bwd_tc_mma_abt<DP, ATTNC_BWD_QS>(st, sm.K, key0, sm.Q, qs);
      attnc_bwd_tc_mma_abt<DVP, ATTNC_BWD_QS>(dpt, sm.V, key0, sm.dO, qs);
      // P^T and dS^T in place: element i of n-tile nt is (key, row) below.
#pragma unroll
      for (int nt = 0; nt < ATTNC_BWD_QS / 8; ++nt)
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          const int c = key0 + lane / 4 + (i >= 2 ? 8 : 0);
          const int r = qs + nt * 8 + (lane % 4) * 2 + (i & 1);
          const long long qi = row0 + r + offset, kj = col0 + c;
          const bool visible = r < rows && c < cols && (full || attnc_mask(a, b, h, qi, kj, Nq, Nk));
          attnc_bwd_tc_element(a, pg, b, h, qi, kj, Nq, Nk, visible, sm.stat[r], sm.delta[r], st[nt][i],
                               dpt[nt][i]);
        }
      // dV += P^T dO and dK += dS^T Q over the step's rows.
#pragma unroll
      for (int kk = 0; kk < ATTNC_BWD_QS / 16; ++kk) {
        unsigned pa[4], da[4];
        attnc_bwd_tc_pack(pa, st[2 * kk], st[2 * kk + 1]);
        attnc_bwd_tc_pack(da, dpt[2 * kk], dpt[2 * kk + 1]);
        attnc_bwd_tc_mma_pb<DVP>(dv, pa, sm.dO, qs + kk * 16);
        attnc_bwd_tc_mma_pb<DP>(dk, da, sm.Q, qs + kk * 16);
      }
    }
    __syncthreads(); // this stage is free for the prefetch after next
    h = next_h;
    qb = next_qb;
    tile_full = next_full;
    have = next;
  }
  attnc_cp_async_wait<0>(); // K and V, when no q-block visits the k-block
  attnc_bwd_tc_store<D, DP>(dk, g.dk, g.dk_strides, b, gh, col0, cols);
  attnc_bwd_tc_store<DV, DVP>(dv, g.dv, g.dv_strides, b, gh, col0, cols);
}

// 3. dQ: block (b, h, q-block qb), blockIdx.x = (b * H + h) * QB + qb.
extern "C" __global__ void __launch_bounds__(BNT, 1) ATTNC_BWD_DQ_KERNEL(const AttncKernelArgs a) {
  const AttncBackwardArgs &g = attnc_bwd_grads(a);
  extern __shared__ __align__(128) unsigned char attnc_smem_bwd[];
  const long long Nq = a.q_len, Nk = a.kv_len, offset = Nk - Nq, QB = (Nq + BBQ - 1) / BBQ;
  const long long qb = blockIdx.x % QB, h = (blockIdx.x / QB) % H, b = blockIdx.x / (QB * H);
  const long long gh = h / (H / G), row0 = qb * BBQ;
  const int rows = (int)(Nq - row0 < BBQ ? Nq - row0 : BBQ);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int q0 = warp * 16; // the warp's rows in the q-block
  attnc_bwd_tc_load_q(a, g, attnc_bwd_tc_smem(attnc_smem_bwd, false, 0), b, h, row0, Nq);
  float dq[DP / 8][4];
#pragma unroll
  for (int nt = 0; nt < DP / 8; ++nt)
#pragma unroll
    for (int i = 0; i < 4; ++i) dq[nt][i] = 0.0f;
  // The plan's k-blocks in order; the next one's K and V load into the other stage while this
  // one computes.
  const AttncBwdTiles tiles = attnc_bwd_tc_tiles(a, b, h, qb, Nq, Nk);
  int ki = 0; // the cursor's index in a mask row
  long long kb = attnc_bwd_tc_tiles_next(tiles, -1, -1);
  if (kb >= 0) attnc_bwd_tc_load_kv(a, attnc_bwd_tc_smem(attnc_smem_bwd, false, 0), b, gh, kb * BBK, Nk);
  attnc_cp_async_commit(); // Q, dO and the first k-block
  for (int stage = 0; kb >= 0; stage ^= 1, ++ki) {
    const AttncBwdTcSmem sm = attnc_bwd_tc_smem(attnc_smem_bwd, false, stage);
    const long long next_kb = attnc_bwd_tc_tiles_next(tiles, kb, ki);
    if (next_kb >= 0)
      attnc_bwd_tc_load_kv(a, attnc_bwd_tc_smem(attnc_smem_bwd, false, stage ^ 1), b, gh, next_kb * BBK, Nk);
    attnc_cp_async_commit();
    attnc_cp_async_wait<1>();
    __syncthreads(); // K and V (and Q, dO, statistics on the first k-block) are in
    const long long col0 = kb * BBK;
    const int cols = (int)(Nk - col0 < BBK ? Nk - col0 : BBK);
    const bool full = attnc_bwd_tc_tiles_full(tiles, kb, ki) && rows == BBQ && cols == BBK;
    if (q0 < rows) { // else the warp's rows lie past the end
      // S = Q K^T and dP = dO V^T: the warp's 16 rows x BBK keys.
      float s[BBK / 8][4], dp[BBK / 8][4];
#pragma unroll
      for (int nt = 0; nt < BBK / 8; ++nt)
#pragma unroll
        for (int i = 0; i < 4; ++i) s[nt][i] = dp[nt][i] = 0.0f;
      attnc_bwd_tc_mma_abt<DP, BBK>(s, sm.Q, q0, sm.K, 0);
      attnc_bwd_tc_mma_abt<DVP, BBK>(dp, sm.dO, q0, sm.V, 0);
      // dS in place of dP (P is not needed here).
#pragma unroll
      for (int nt = 0; nt < BBK / 8; ++nt)
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          const int r = q0 + lane / 4 + (i >= 2 ? 8 : 0);
          const int c = nt * 8 + (lane % 4) * 2 + (i & 1);
          const long long qi = row0 + r + offset, kj = col0 + c;
          const bool visible = r < rows && c < cols && (full || attnc_mask(a, b, h, qi, kj, Nq, Nk));
          attnc_bwd_tc_element(a, 0, b, h, qi, kj, Nq, Nk, visible, sm.stat[r], sm.delta[r], s[nt][i], dp[nt][i]);
        }
      // dQ += dS K.
#pragma unroll
      for (int kk = 0; kk < BBK / 16; ++kk) {
        unsigned da[4];
        attnc_bwd_tc_pack(da, dp[2 * kk], dp[2 * kk + 1]);
        attnc_bwd_tc_mma_pb<DP>(dq, da, sm.K, kk * 16);
      }
    }
    __syncthreads(); // this stage's K and V are free for the prefetch after next
    kb = next_kb;
  }
  attnc_cp_async_wait<0>(); // Q and dO, when the plan visits no k-block
  attnc_bwd_tc_store<D, DP>(dq, g.dq, g.dq_strides, b, h, row0, rows);
}
