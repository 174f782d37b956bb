// ==== codegen/device/softmax_simt.cuh: the SIMT softmax kernel (f32) ====
// Embedded verbatim into the emitted kernels (codegen/DeviceSources.h); configured by
// the macros the emitter defines before it (docs/codegen.md, "Device code").
// The SIMT kernel body (f32): one thread per query row, online softmax
// key by key, K/V tiles staged in shared memory.
// Configured by ATTNC_KERNEL, H, G, D, DV, BQ, BK, NTHREADS, kScale,
// ATTNC_NORMALIZE, ATTNC_HYBRID, ATTNC_RAGGED and ATTNC_SPLIT_KV; needs the prelude (storage f32),
// sequence.h, tile_walk.cuh, softmax_row_scale.cuh and the spec's attnc_mask /
// attnc_score; with ATTNC_HYBRID 1 also ATTNC_MAIN_SMEM, hybrid_rows.cuh
// and attnc_combine_weight.
extern "C" __global__ void __launch_bounds__(NTHREADS, 1) ATTNC_KERNEL(const AttncKernelArgs args) {
  extern __shared__ __align__(16) float attnc_smem_f[];
  float *Qs = attnc_smem_f;               // [BQ][D + 1]
  float *Acc = Qs + BQ * (D + 1);         // [BQ][DV + 1]
  float *Ks = Acc + BQ * (DV + 1);        // [BK][D]
  float *Vs = Ks + BK * D;                // [BK][DV]

  // This block's sequence (attnc_sequence, sequence.h); the grid covers
  // the longest one of a ragged batch, so q-blocks past its end exit.
  const AttncSequence seq = attnc_sequence(args, attnc_block_batch(args)); // grid z: B (x splits)
  const long long Nq = seq.Nq, Nk = seq.Nk, q0 = seq.q0, k0 = seq.k0;
  if ((long long)(gridDim.x - 1 - blockIdx.x) * BQ >= ATTNC_TILE_ROWS(Nq)) return;
  const long long qb = gridDim.x - 1 - blockIdx.x;
  const long long h = blockIdx.y, b = attnc_block_batch(args), g = h / (H / G);
  const long long row0 = qb * BQ, offset = Nk - Nq;
  const float *qp = (const float *)args.q + b * args.q_strides.s[0] + h * args.q_strides.s[1] + q0 * args.q_strides.s[2];
  // Key rows: contiguous, or a paged cache's (sequence.h).
  const AttncKvRows kr = attnc_kv_rows(args, args.k, args.k_strides, b, g, k0);
  const AttncKvRows vr = attnc_kv_rows(args, args.v, args.v_strides, b, g, k0);

  for (int i = threadIdx.x; i < BQ * D; i += NTHREADS) {
    const int r = i / D, d = i % D;
    const long long token = ATTNC_TOKEN(row0 + r); // a grid's box gathers its tokens
    Qs[r * (D + 1) + d] = token >= 0 && token < Nq ? qp[token * args.q_strides.s[2] + d] : 0.0f;
  }
  for (int i = threadIdx.x; i < BQ * DV; i += NTHREADS)
    Acc[(i / DV) * (DV + 1) + i % DV] = 0.0f;
  // Qs and Acc rows are filled by other threads (other warps) than the one
  // that reads them. The loop's barrier makes them visible, but a q-block
  // whose plan visits no k-block (no visible key, e.g. Nq - Nk >= BQ under a
  // causal mask) skips the loop and reads Acc in the epilogue: without this
  // barrier it stored whatever shared memory held instead of zeros.
  __syncthreads();

  const AttncTiles tiles = attnc_tiles(args, b, h, qb, Nq, Nk);
  float m = -attnc_inf(), l = 0.0f;
  const int r = threadIdx.x;
  const long long qrow = ATTNC_TOKEN(row0 + r), qpos = qrow + offset;

  long long ki = 0;
  for (long long kb = attnc_tiles_next(tiles, -1, -1); kb >= 0; kb = attnc_tiles_next(tiles, kb, ki), ++ki) {
      const long long col0 = kb * BK;
      __syncthreads();
      for (int i = threadIdx.x; i < BK * D; i += NTHREADS) {
        const long long key = ATTNC_TOKEN(col0 + i / D);
        Ks[i] = key >= 0 && key < Nk ? attnc_kv_row(kr, key)[i % D] : 0.0f;
      }
      for (int i = threadIdx.x; i < BK * DV; i += NTHREADS) {
        const long long key = ATTNC_TOKEN(col0 + i / DV);
        Vs[i] = key >= 0 && key < Nk ? attnc_kv_row(vr, key)[i % DV] : 0.0f;
      }
      __syncthreads();
      if (r >= BQ || qrow < 0 || qrow >= Nq) continue;
      const bool is_full = attnc_tiles_full(tiles, kb, ki);
      for (int c = 0; c < BK; ++c) {
#if ATTNC_GRID
        const long long kpos = ATTNC_TOKEN(col0 + c);
        if (kpos < 0) continue; // padding (never in a full box)
#else
        const long long kpos = col0 + c;
        if (kpos >= Nk) break;
#endif
        if (!is_full && !attnc_mask(args, b, h, qpos, kpos, Nq, Nk)) continue;
        float dot = 0.0f;
        for (int d = 0; d < D; ++d) dot += Qs[r * (D + 1) + d] * Ks[c * D + d];
        const float x = attnc_score(args, b, h, qpos, kpos, Nq, Nk, dot * kScale);
        float *acc = Acc + r * (DV + 1);
#if ATTNC_NORMALIZE == 0
        if (x == -attnc_inf()) continue;
        const float mx = fmaxf(m, x);
        const float alpha = expf(m - mx), p = expf(x - mx);
        l = l * alpha + p;
        m = mx;
        for (int e = 0; e < DV; ++e) acc[e] = acc[e] * alpha + p * Vs[c * DV + e];
#else
        l += x;
        for (int e = 0; e < DV; ++e) acc[e] += x * Vs[c * DV + e];
#endif
      }
    }
#if ATTNC_HYBRID
  // The linear branch of a hybrid, into shared memory past the tiles.
  __syncthreads();
  float *hy_num = attnc_smem_f + ATTNC_MAIN_SMEM / 4;
  attnc_hybrid_rows(args, b, h, qb, tiles, hy_num, hy_num + BQ * (DV + 1),
                    hy_num + BQ * (DV + 1) + BQ * HF);
#endif
  if (r >= BQ || qrow < 0 || qrow >= Nq) return;
  const float inv = attnc_row_scale(l);
#if ATTNC_SPLIT_KV && ATTNC_NORMALIZE == 0
  // Split-KV: this split's normalized partial o and lse, for the merge kernel (merge_states.cuh).
  if (args.kv_splits > 1) {
    const long long at = attnc_block_split(args) * attnc_lse_rows(args, H) + ATTNC_LSE_AT(qrow);
    for (int e = 0; e < DV; ++e) args.split_o[at * DV + e] = Acc[r * (DV + 1) + e] * inv;
    args.split_lse[at] = l > 0.0f ? m + logf(l) : l != l ? l : -attnc_inf();
    return;
  }
#endif
  float *orow = (float *)args.o + b * args.o_strides.s[0] + h * args.o_strides.s[1] + q0 * args.o_strides.s[2] + qrow * args.o_strides.s[2];
#if ATTNC_HYBRID
  const float cw = attnc_combine_weight(args, b, h, qpos, Nq, Nk);
  for (int e = 0; e < DV; ++e)
    orow[e] = attnc_hybrid_out(Acc[r * (DV + 1) + e], inv, l, hy_num[r * (DV + 1) + e], hy_num[r * (DV + 1) + DV], cw);
#else
  for (int e = 0; e < DV; ++e) orow[e] = Acc[r * (DV + 1) + e] * inv;
#endif
#if ATTNC_NORMALIZE == 0
  // A NaN score at a visible key made l NaN: lse is NaN too (docs/language.md,
  // non-finite values); no visible key: -inf.
  if (args.lse) args.lse[ATTNC_LSE_AT(qrow)] = l > 0.0f ? m + logf(l) : l != l ? l : -attnc_inf();
#endif
}
#undef ATTNC_LSE_AT
