// ==== codegen/device/hybrid_rows.cuh: one q-tile's hybrid linear branch ====
// Embedded verbatim into the emitted kernels (codegen/DeviceSources.h); configured by
// the macros the emitter defines before it (docs/codegen.md, "Device code").
// `attnc_hybrid_rows`: one q-tile's linear branch, by every thread of the
// block (uniform control flow), into `num` [BQ][DV + 1] (column DV holds
// the denominator) in shared memory; `phq` [BQ][HF] and `w` [BQ][BK] are
// shared scratch. Configured by HF, ATTNC_COMBINE_SHARED and the schedule
// macros (H, G, D, DV, BQ, BK, NTHREADS); needs the prelude, the complement
// plan (AttncComplementPlan, attnc_complement_plan_*), attnc_complement,
// attnc_hphi, attnc_mask and tile_walk.cuh.
// The output of a hybrid row: acc and l are the softmax branch's (relative
// to its row max), num and den the linear branch's (docs/language.md §8b).
__device__ __forceinline__ float attnc_hybrid_out(float acc, float inv, float l, float num, float den, float w) {
#if ATTNC_COMBINE_SHARED
  const float total = w * l + den;
  return total != 0.0f ? (w * acc + num) / total : 0.0f;
#else
  return acc * inv + (den != 0.0f ? w * num / den : 0.0f);
#endif
}

__device__ void attnc_hybrid_rows(const AttncKernelArgs &args, long long b, long long h, long long qb,
                                  const AttncTiles &tiles, float *num, float *phq, float *w) {
  const long long Nq = args.q_len, Nk = args.kv_len, offset = Nk - Nq, row0 = qb * BQ;
  const long long g = h / (H / G), KB = (Nk + BK - 1) / BK, bh = b * H + h;
  const float *phik = (const float *)args.scratch[0] + bh * Nk * HF;
  const double *P = (const double *)args.scratch[1] + bh * (KB + 1) * HF * DV;
  const double *Z = (const double *)args.scratch[2] + bh * (KB + 1) * HF;
  const storage_t *qp = (const storage_t *)args.q + b * args.q_strides.s[0] + h * args.q_strides.s[1];
  const storage_t *vp = (const storage_t *)args.v + b * args.v_strides.s[0] + g * args.v_strides.s[1];
  for (int r = threadIdx.x; r < BQ; r += NTHREADS) {
    if (row0 + r < Nq) {
      float x[D];
      for (int d = 0; d < D; ++d) x[d] = attnc_load(qp + (row0 + r) * args.q_strides.s[2] + d);
      attnc_hphi(args, b, h, row0 + r + offset, x, phq + r * HF);
    } else {
      for (long long f = 0; f < HF; ++f) phq[r * HF + f] = 0.0f;
    }
  }
  for (int i = threadIdx.x; i < BQ * (DV + 1); i += NTHREADS) num[i] = 0.0f;
  __syncthreads();
  const AttncComplementPlan cp = attnc_complement_plan_qblock(qb, Nq, Nk);
  long long skb = attnc_tiles_next(tiles, -1, -1), ski = 0; // the softmax tiles, ascending
  long long run_lo = -1, run_hi = -2;
  for (long long kb = attnc_complement_plan_next(cp, -1);; kb = attnc_complement_plan_next(cp, kb)) {
    while (skb >= 0 && kb >= 0 && skb < kb) {
      skb = attnc_tiles_next(tiles, skb, ski);
      ++ski;
    }
    const bool visited = kb >= 0 && skb == kb;
    const bool soft_full = visited && attnc_tiles_full(tiles, skb, ski);
    const bool full = kb >= 0 && attnc_complement_plan_full(cp, kb);
    const bool fold = full && !visited;
    if (fold && kb == run_hi + 1) { run_hi = kb; continue; }
    if (run_lo >= 0) { // a run of folded tiles ends: phi(q) . (P[hi + 1] - P[lo])
      for (int i = threadIdx.x; i < BQ * (DV + 1); i += NTHREADS) {
        const int r = i / (DV + 1), e = i % (DV + 1);
        double s = 0;
        for (long long f = 0; f < HF; ++f) {
          const double d = e < DV ? P[(run_hi + 1) * HF * DV + f * DV + e] - P[run_lo * HF * DV + f * DV + e]
                                  : Z[(run_hi + 1) * HF + f] - Z[run_lo * HF + f];
          s += (double)phq[r * HF + f] * d;
        }
        num[i] += (float)s;
      }
      run_lo = -1;
      run_hi = -2;
    }
    if (kb < 0) break;
    if (fold) { run_lo = run_hi = kb; continue; }
    // Element by element: the weights of the complement elements outside the
    // softmax branch, then num += w V.
    const long long col0 = kb * BK;
    __syncthreads(); // w is free
    for (int i = threadIdx.x; i < BQ * BK; i += NTHREADS) {
      const int r = i / BK, c = i % BK;
      const long long qpos = row0 + r + offset, j = col0 + c;
      float x = 0.0f;
      if (row0 + r < Nq && j < Nk && !soft_full &&
          !(visited && attnc_mask(args, b, h, qpos, j, Nq, Nk)) &&
          (full || attnc_complement(args, b, h, qpos, j, Nq, Nk))) {
        double s = 0;
        for (long long f = 0; f < HF; ++f) s += (double)phq[r * HF + f] * phik[j * HF + f];
        x = (float)s;
      }
      w[i] = x;
    }
    __syncthreads();
    for (int i = threadIdx.x; i < BQ * (DV + 1); i += NTHREADS) {
      const int r = i / (DV + 1), e = i % (DV + 1);
      float s = 0.0f;
      for (int c = 0; c < BK && col0 + c < Nk; ++c)
        s += w[r * BK + c] * (e < DV ? attnc_load(vp + (col0 + c) * args.v_strides.s[2] + e) : 1.0f);
      num[i] += s;
    }
  }
  __syncthreads();
}
