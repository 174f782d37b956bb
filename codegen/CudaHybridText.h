//===- CudaHybridText.h - The hybrid's linear branch on CUDA ----*- C++ -*-===//
//
// The CUDA twin of HybridCpuEmitter (docs/codegen.md, "Hybrid kernels"):
// two prologue kernels compute per (b, h) phi(k) of every key and prefix
// sums over k-tiles of the tile states (double), and a block-cooperative
// device function, called by the attention kernel after its k-loop, adds up
// one q-tile's linear branch into shared memory for the epilogue: runs of
// complement tiles the softmax branch skipped as prefix differences, every
// other complement tile element by element. SIMT code on purpose: the
// branch is a small part of the work next to the softmax tiles, and its
// correctness is easier to see.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_CUDAHYBRIDTEXT_H
#define ATTNC_CODEGEN_CUDAHYBRIDTEXT_H

namespace attnc {

/// Needs HF, ATTNC_HY_STATES_KERNEL, ATTNC_HY_SCAN_KERNEL, ATTNC_HY_THREADS,
/// attnc_hphi, the prelude and the schedule macros. Scratch layout (one
/// allocation per call, args.scratch[0..2]): phik [B*H*Nk*HF] float,
/// P [B*H*(KB+1)*HF*DV] double, Z [B*H*(KB+1)*HF] double.
inline constexpr const char *kCudaHybridPrologue = R"CUDA(
// Grid B * H * KB: phi(k) of the tile's keys, then the tile's state
// phi(K)^T V and sum phi(K) into row J + 1 of P and Z (row 0 zeroed by J = 0).
extern "C" __global__ void ATTNC_HY_STATES_KERNEL(const AttncKernelArgs args) {
  const long long Nk = args.kv_len, KB = (Nk + BK - 1) / BK;
  const int t = blockIdx.x, kbs = (int)KB;
  const long long J = t % kbs, bh = t / kbs, b = bh / H, h = bh % H, g = h / (H / G);
  float *phik = (float *)args.scratch[0] + bh * Nk * HF;
  double *P = (double *)args.scratch[1] + bh * (KB + 1) * HF * DV;
  double *Z = (double *)args.scratch[2] + bh * (KB + 1) * HF;
  const storage_t *kp = (const storage_t *)args.k + b * args.k_strides.s[0] + g * args.k_strides.s[1];
  const storage_t *vp = (const storage_t *)args.v + b * args.v_strides.s[0] + g * args.v_strides.s[1];
  const long long j0 = J * BK, j1 = attnc_mini(Nk, j0 + BK);
  for (long long j = j0 + threadIdx.x; j < j1; j += ATTNC_HY_THREADS) {
    float x[D];
    for (int d = 0; d < D; ++d) x[d] = attnc_load(kp + j * args.k_strides.s[2] + d);
    attnc_hphi(args, b, h, j, x, phik + j * HF);
  }
  __syncthreads(); // this block's phi(k) rows, written to global memory
  for (long long fe = threadIdx.x; fe < HF * (DV + 1); fe += ATTNC_HY_THREADS) {
    const long long f = fe / (DV + 1), e = fe % (DV + 1);
    double s = 0;
    for (long long j = j0; j < j1; ++j)
      s += (double)phik[j * HF + f] * (e < DV ? (double)attnc_load(vp + j * args.v_strides.s[2] + e) : 1.0);
    if (e < DV) {
      P[(J + 1) * HF * DV + f * DV + e] = s;
      if (J == 0) P[f * DV + e] = 0.0;
    } else {
      Z[(J + 1) * HF + f] = s;
      if (J == 0) Z[f] = 0.0;
    }
  }
}

// Grid B * H: the prefix sums, P[J + 1] += P[J], in place, one (f, e) per
// thread, tiles in order.
extern "C" __global__ void ATTNC_HY_SCAN_KERNEL(const AttncKernelArgs args) {
  const long long Nk = args.kv_len, KB = (Nk + BK - 1) / BK, bh = blockIdx.x;
  double *P = (double *)args.scratch[1] + bh * (KB + 1) * HF * DV;
  double *Z = (double *)args.scratch[2] + bh * (KB + 1) * HF;
  for (long long fe = threadIdx.x; fe < HF * (DV + 1); fe += ATTNC_HY_THREADS) {
    double *x = fe < HF * DV ? P + fe : Z + (fe - HF * DV);
    const long long stride = fe < HF * DV ? HF * DV : HF;
    double run = 0;
    for (long long J = 1; J <= KB; ++J) {
      run += x[J * stride];
      x[J * stride] = run;
    }
  }
}
)CUDA";

/// `attnc_hybrid_rows`: one q-tile's linear branch, by every thread of the
/// block (uniform control flow), into `num` [BQ][DV + 1] (column DV holds
/// the denominator) in shared memory; `phq` [BQ][HF] and `w` [BQ][BK] are
/// shared scratch. Needs the complement plan, attnc_complement, attnc_mask,
/// the tile walker and NTHREADS.
inline constexpr const char *kCudaHybridRows = R"CUDA(
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
)CUDA";

} // namespace attnc

#endif // ATTNC_CODEGEN_CUDAHYBRIDTEXT_H
