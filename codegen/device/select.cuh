// ==== codegen/device/select.cuh: content-based block selection: per-tile mean k and the selecting builder ====
// Embedded verbatim into the emitted kernels (codegen/DeviceSources.h); configured by
// the macros the emitter defines before it (docs/codegen.md, "Device code").
// The device twin of the CPU object's selecting block-mask builder
// (docs/language.md §8a): the same candidates, block scores in double with
// products and sums rounded on their own (__dmul_rn / __dadd_rn: never
// contracted into FMAs, as the reference's), the same order (best first,
// ties to the lower tile) and the same top-k or cumulative prefix, so that
// the GPU attends to the tiles the reference executor selects. It writes
// the padded rows that the CSR kernel of block_mask_builder.cuh compacts.
//
// Needs ATTNC_SEL_KMEAN_KERNEL, ATTNC_SEL_KERNEL, ATTNC_BM_THREADS,
// ATTNC_SELECT_TOPK (1 topk, 0 cumulative), ATTNC_HAS_KEEP, kSelectValue
// and kScaleD, plus the prelude, the plan, attnc_mask (and attnc_keep with
// ATTNC_HAS_KEEP 1) and the schedule macros.
// Mean k row of every (b, g, k-block), row by row in double: grid
// B * G * KB, one thread per channel.
// args.scratch[0]: k_mean [B * G * KB * D].
extern "C" __global__ void __launch_bounds__(ATTNC_BM_THREADS) ATTNC_SEL_KMEAN_KERNEL(const AttncKernelArgs args) {
  double *k_mean = (double *)args.scratch[0];
  const long long Nk = args.kv_len, k_blocks = (Nk + BK - 1) / BK;
  const int t = blockIdx.x, kbs = (int)k_blocks;
  const long long kb = t % kbs, g = (t / kbs) % (int)G, b = t / (kbs * (int)G);
  const storage_t *kp = (const storage_t *)args.k + b * args.k_strides.s[0] + g * args.k_strides.s[1];
  const long long j0 = kb * BK, j1 = attnc_mini(Nk, j0 + BK);
  for (int d = threadIdx.x; d < D; d += ATTNC_BM_THREADS) {
    double sum = 0;
    for (long long j = j0; j < j1; ++j) sum = __dadd_rn(sum, (double)attnc_load(kp + j * args.k_strides.s[2] + d));
    k_mean[(long long)t * D + d] = sum / (double)(j1 - j0);
  }
}

// One block per row r = (b * H + h) * QB + qb. scratch / order_scratch:
// [rows * KB] block scores and ranks; col_in/full_in hold the candidates,
// then the selection (compacted in place).
// No __launch_bounds__: with it ptxas caps this kernel at 40 registers and
// spills on sm_80.
// args.scratch: [0] k_mean, [1] scores, [2] ranks, [3] counts, [4] col_in,
// [5] full_in, [6] static_tiles.
extern "C" __global__ void ATTNC_SEL_KERNEL(const AttncKernelArgs args) {
  const double *k_mean = (const double *)args.scratch[0];
  double *scratch = (double *)args.scratch[1];
  int *order_scratch = (int *)args.scratch[2];
  int *counts = (int *)args.scratch[3];
  int *col_in = (int *)args.scratch[4];
  unsigned char *full_in = (unsigned char *)args.scratch[5];
  unsigned long long *static_tiles = (unsigned long long *)args.scratch[6];
  // Dynamic shared memory, (D + 1) doubles at launch: q_mean and the
  // candidates' max score.
  extern __shared__ __align__(16) double attnc_smem_sel[];
  double *q_mean = attnc_smem_sel;
  const long long Nq = args.q_len, Nk = args.kv_len;
  const long long q_blocks = (Nq + BQ - 1) / BQ, k_blocks = (Nk + BK - 1) / BK;
  // 32-bit index arithmetic: 64-bit division is a call with a stack frame.
  const int r = blockIdx.x, qbs = (int)q_blocks;
  const long long qb = r % qbs, h = (r / qbs) % (int)H, b = r / (qbs * (int)H);
  const long long g = h / (H / G), row0 = qb * BQ, offset = Nk - Nq;
  const int rows = (int)attnc_mini(BQ, Nq - row0);
  const storage_t *qp = (const storage_t *)args.q + b * args.q_strides.s[0] + h * args.q_strides.s[1];
  for (int d = threadIdx.x; d < D; d += ATTNC_BM_THREADS) {
    double sum = 0;
    for (int i = 0; i < rows; ++i) sum = __dadd_rn(sum, (double)attnc_load(qp + (row0 + i) * args.q_strides.s[2] + d));
    q_mean[d] = sum / (double)rows;
  }
  __syncthreads();
  int *cand = col_in + (long long)r * k_blocks;          // candidate tiles, ascending
  unsigned char *flags = full_in + (long long)r * k_blocks; // bit 0 full, bit 1 kept
  double *score = scratch + (long long)r * k_blocks;
  // Candidates: tiles of the static plan holding a visible element.
  int n = 0;
  unsigned long long visited = 0;
  const AttncPlan plan = attnc_plan_qblock(qb, Nq, Nk);
  for (long long kb = attnc_plan_next(plan, -1); kb >= 0; kb = attnc_plan_next(plan, kb)) {
    ++visited;
    const long long col0 = kb * BK;
    const bool static_full = attnc_plan_full(plan, kb);
    int any = static_full, all = 1, kept = 0;
    for (int e = threadIdx.x; e < BQ * BK; e += ATTNC_BM_THREADS) {
      const long long row = row0 + e / BK, key = col0 + e % BK;
      if (row >= Nq || key >= Nk) continue;
      const bool m = static_full || attnc_mask(args, b, h, row + offset, key, Nq, Nk);
      any |= m;
      all &= m;
#if ATTNC_HAS_KEEP
      kept |= m && attnc_keep(args, b, h, row + offset, key, Nq, Nk);
#endif
    }
    any = __syncthreads_or(any);
    all = __syncthreads_and(all);
    kept = __syncthreads_or(kept);
    if (!any) continue;
    if (threadIdx.x == 0) {
      cand[n] = (int)kb;
      flags[n] = (unsigned char)((all ? 1 : 0) | (kept ? 2 : 0));
      const double *km = k_mean + ((b * G + g) * k_blocks + kb) * D;
      double dot = 0;
      for (int d = 0; d < D; ++d) dot = __dadd_rn(dot, __dmul_rn(q_mean[d], km[d]));
      score[n] = __dmul_rn(kScaleD, dot);
    }
    ++n;
  }
  if (threadIdx.x == 0) atomicAdd(static_tiles, visited);
  __syncthreads(); // the scores thread 0 wrote
  // Rank of each candidate in the order best first, ties to the lower tile
  // (the reference's stable sort), computed in parallel.
  int *order = order_scratch + (long long)r * k_blocks;
  for (int i = threadIdx.x; i < n; i += ATTNC_BM_THREADS) {
    int rank = 0;
    for (int j = 0; j < n; ++j)
      rank += score[j] > score[i] || (score[j] == score[i] && j < i);
    order[rank] = i;
  }
  __syncthreads();
  // flags bit 2: chosen.
  if (threadIdx.x == 0) {
#if ATTNC_SELECT_TOPK
    for (int i = 0; i < n && (double)i < kSelectValue; ++i) flags[order[i]] |= 4;
#endif
  }
#if !ATTNC_SELECT_TOPK
  // Softmax over the candidates: the weights exp(score - max) in parallel
  // (in place of the scores, whose order is in `order` now), then the
  // shortest best-first prefix whose mass reaches P, summed in the
  // reference's order (tile order for the total).
  double &mx = attnc_smem_sel[D];
  if (threadIdx.x == 0) {
    double m = -attnc_inf();
    for (int i = 0; i < n; ++i) m = score[i] > m ? score[i] : m;
    mx = m;
  }
  __syncthreads();
  for (int i = threadIdx.x; i < n; i += ATTNC_BM_THREADS) score[i] = exp(score[i] - mx);
  __syncthreads();
  if (threadIdx.x == 0) {
    double total = 0, mass = 0;
    for (int i = 0; i < n; ++i) total = __dadd_rn(total, score[i]);
    const double bound = __dmul_rn(kSelectValue, total);
    for (int i = 0; i < n; ++i) {
      if (mass >= bound) break;
      flags[order[i]] |= 4;
      mass = __dadd_rn(mass, score[order[i]]);
    }
  }
#endif
  __syncthreads();
  if (threadIdx.x == 0) {
    int out = 0;
    for (int i = 0; i < n; ++i) {
      if (!(flags[i] & 4) && !(flags[i] & 2)) continue;
      cand[out] = cand[i];
      flags[out++] = flags[i] & 1;
    }
    counts[r] = out;
  }
}
