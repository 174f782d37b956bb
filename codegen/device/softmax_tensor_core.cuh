// ==== codegen/device/softmax_tensor_core.cuh: the tensor-core softmax kernel (f16, bf16; sm_80+) ====
// Embedded verbatim into the emitted kernels (codegen/DeviceSources.h); configured by
// the macros the emitter defines before it (docs/codegen.md, "Device code").
// Configured by ATTNC_KERNEL, H, G, D, DP, DV, DVP, BQ, BK, WARPS, MT,
// STAGES, NTHREADS, kScale, ATTNC_NORMALIZE, ATTNC_MASKED,
// ATTNC_IDENTITY_SCORE, ATTNC_Q_IN_REGISTERS, ATTNC_HYBRID, ATTNC_RAGGED, ATTNC_SPLIT_KV,
// ATTNC_MMA_TYPE,
// ATTNC_PAIR_T and ATTNC_PACK2; needs the prelude, ptx.cuh, sequence.h, tile_walk.cuh,
// softmax_row_scale.cuh and the spec's attnc_mask / attnc_score; with
// ATTNC_HYBRID 1 also ATTNC_MAIN_SMEM, hybrid_rows.cuh and
// attnc_combine_weight.
// Loads rows [row0, row0 + rows) x cols [0, cols_real) of a global tile into
// swizzled shared memory, zero-filling past `limit` rows and `cols_real`.
// Tile-space rows are tokens through ATTNC_TOKEN (a grid's boxes gather
// theirs; padding, -1, is zero-filled too).
__device__ __forceinline__ void attnc_load_tile(storage_t *smem, const storage_t *g, long long stride,
                                                long long row0, long long limit, int rows, int nchunks,
                                                int cols_real) {
  for (int i = threadIdx.x; i < rows * nchunks; i += NTHREADS) {
    const int r = i / nchunks, c = i % nchunks;
    const long long token = ATTNC_TOKEN(row0 + r);
    const bool valid = token >= 0 && token < limit && c * 8 < cols_real;
    const storage_t *src = valid ? g + token * stride + c * 8 : g;
    attnc_cp_async16(smem + attnc_swz(r, c, nchunks), src, valid ? 16 : 0);
  }
}

// K or V rows [row0, row0 + rows) of a sequence (contiguous or paged, sequence.h) into swizzled
// shared memory, as attnc_load_tile: each 16-byte chunk of a key row is one cp.async from the
// row's own address, so a tile may span pages.
__device__ __forceinline__ void attnc_load_kv_tile(storage_t *smem, const AttncKvRows &kv, long long row0,
                                                   long long limit, int rows, int nchunks, int cols_real) {
  for (int i = threadIdx.x; i < rows * nchunks; i += NTHREADS) {
    const int r = i / nchunks, c = i % nchunks;
    const long long token = ATTNC_TOKEN(row0 + r);
    const bool valid = token >= 0 && token < limit && c * 8 < cols_real;
    const storage_t *src = valid ? attnc_kv_row(kv, token) + c * 8 : kv.base;
    attnc_cp_async16(smem + attnc_swz(r, c, nchunks), src, valid ? 16 : 0);
  }
}

extern "C" __global__ void __launch_bounds__(NTHREADS, 1) ATTNC_KERNEL(const AttncKernelArgs args) {
  extern __shared__ __align__(128) unsigned char attnc_smem[];
  storage_t *Qs = reinterpret_cast<storage_t *>(attnc_smem);
  storage_t *Ks = Qs + BQ * DP;
  storage_t *Vs = Ks + STAGES * BK * DP;

  // This block's sequence (attnc_sequence, sequence.h); the grid covers
  // the longest one of a ragged batch, so q-blocks past its end exit.
  const AttncSequence seq = attnc_sequence(args, attnc_block_batch(args)); // grid z: B (x splits)
  const long long Nq = seq.Nq, Nk = seq.Nk, q0 = seq.q0, k0 = seq.k0;
  if ((long long)(gridDim.x - 1 - blockIdx.x) * BQ >= ATTNC_TILE_ROWS(Nq)) return;
  // Heavy q-blocks (late rows under a causal mask) start first.
  const long long qb = gridDim.x - 1 - blockIdx.x;
  const long long h = blockIdx.y, b = attnc_block_batch(args), g = h / (H / G);
  const long long row0 = qb * BQ, offset = Nk - Nq;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int quad_row = lane / 4, quad_col = lane % 4;

  const storage_t *qp = (const storage_t *)args.q + b * args.q_strides.s[0] + h * args.q_strides.s[1] + q0 * args.q_strides.s[2];
  const AttncKvRows kr = attnc_kv_rows(args, args.k, args.k_strides, b, g, k0);
  const AttncKvRows vr = attnc_kv_rows(args, args.v, args.v_strides, b, g, k0);

  const AttncTiles tiles = attnc_tiles(args, b, h, qb, Nq, Nk);

  float o_acc[MT][DVP / 8][4];
  float row_max[MT][2], row_sum[MT][2];
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int nt = 0; nt < DVP / 8; ++nt)
#pragma unroll
      for (int i = 0; i < 4; ++i) o_acc[mt][nt][i] = 0.0f;
    row_max[mt][0] = row_max[mt][1] = -attnc_inf();
    row_sum[mt][0] = row_sum[mt][1] = 0.0f;
  }

  long long kb = attnc_tiles_next(tiles, -1, -1), ki = 0;
  if (kb >= 0) {
    attnc_load_tile(Qs, qp, args.q_strides.s[2], row0, Nq, BQ, DP / 8, D);
    attnc_load_kv_tile(Ks, kr, kb * BK, Nk, BK, DP / 8, D);
    attnc_load_kv_tile(Vs, vr, kb * BK, Nk, BK, DVP / 8, DV);
    attnc_cp_async_commit();
#if ATTNC_Q_IN_REGISTERS
    unsigned q_frag[MT][DP / 16][4];
#endif
    for (int it = 0;; ++it) {
      // The next k-block in order, prefetched while this one computes.
      const long long next_kb = attnc_tiles_next(tiles, kb, ki);
      const int stage = STAGES > 1 ? it % 2 : 0;
      if (STAGES > 1 && next_kb >= 0) {
        const int ns = (it + 1) % 2;
        attnc_load_kv_tile(Ks + ns * BK * DP, kr, next_kb * BK, Nk, BK, DP / 8, D);
        attnc_load_kv_tile(Vs + ns * BK * DVP, vr, next_kb * BK, Nk, BK, DVP / 8, DV);
      }
      attnc_cp_async_commit();
      attnc_cp_async_wait<1>();
      __syncthreads();
      const storage_t *Kst = Ks + stage * BK * DP;
      const storage_t *Vst = Vs + stage * BK * DVP;
#if ATTNC_Q_IN_REGISTERS
      if (it == 0) {
#pragma unroll
        for (int mt = 0; mt < MT; ++mt)
#pragma unroll
          for (int ks = 0; ks < DP / 16; ++ks) {
            const int r = (warp * MT + mt) * 16 + (lane % 8) + ((lane / 8) % 2) * 8;
            attnc_ldmatrix_x4(q_frag[mt][ks], Qs + attnc_swz(r, ks * 2 + lane / 16, DP / 8));
          }
      }
#endif
      // S = Q K^T on tensor cores.
      float s[MT][BK / 8][4];
#pragma unroll
      for (int mt = 0; mt < MT; ++mt)
#pragma unroll
        for (int nt = 0; nt < BK / 8; ++nt)
#pragma unroll
          for (int i = 0; i < 4; ++i) s[mt][nt][i] = 0.0f;
      // Each K fragment is loaded once and used by every m-tile of the warp
      // (MT of them): ldmatrix traffic per mma falls as MT grows.
#pragma unroll
      for (int ks = 0; ks < DP / 16; ++ks) {
#if !ATTNC_Q_IN_REGISTERS
        unsigned q_ks[MT][4];
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
          const int r = (warp * MT + mt) * 16 + (lane % 8) + ((lane / 8) % 2) * 8;
          attnc_ldmatrix_x4(q_ks[mt], Qs + attnc_swz(r, ks * 2 + lane / 16, DP / 8));
        }
#endif
#pragma unroll
        for (int np = 0; np < BK / 16; ++np) {
          unsigned kf[4];
          const int mi = lane / 8;
          const int key = np * 16 + (lane % 8) + (mi / 2) * 8;
          attnc_ldmatrix_x4(kf, Kst + attnc_swz(key, ks * 2 + (mi % 2), DP / 8));
#pragma unroll
          for (int mt = 0; mt < MT; ++mt) {
#if ATTNC_Q_IN_REGISTERS
            const unsigned (&qa)[4] = q_frag[mt][ks];
#else
            const unsigned (&qa)[4] = q_ks[mt];
#endif
            attnc_mma(s[mt][2 * np], qa, kf[0], kf[1]);
            attnc_mma(s[mt][2 * np + 1], qa, kf[2], kf[3]);
          }
        }
      }
      // Score and mask on the fragments: mask code only in partial blocks.
      const long long col0 = kb * BK;
      // A runtime mask may flag the last, short tile full: past Nk the keys
      // are zero-filled and must still be masked.
#if ATTNC_GRID
      const bool is_full = attnc_tiles_full(tiles, kb, ki); // padding is never in a full box
#else
      const bool is_full = attnc_tiles_full(tiles, kb, ki) && col0 + BK <= Nk;
#endif
#pragma unroll
      for (int mt = 0; mt < MT; ++mt)
#pragma unroll
        for (int nt = 0; nt < BK / 8; ++nt)
#pragma unroll
          for (int i = 0; i < 4; ++i) {
            const long long qpos = ATTNC_TOKEN(row0 + (warp * MT + mt) * 16 + quad_row + (i >= 2 ? 8 : 0)) + offset;
            const long long kpos = ATTNC_TOKEN(col0 + nt * 8 + quad_col * 2 + (i & 1));
            const float x = s[mt][nt][i] * kScale;
            if (is_full) {
#if ATTNC_IDENTITY_SCORE
              s[mt][nt][i] = x;
#else
              s[mt][nt][i] = attnc_score(args, b, h, qpos, kpos, Nq, Nk, x);
#endif
            } else {
#if ATTNC_GRID
              const bool visible = qpos >= 0 && kpos >= 0 && attnc_mask(args, b, h, qpos, kpos, Nq, Nk);
#else
              const bool visible = kpos < Nk && attnc_mask(args, b, h, qpos, kpos, Nq, Nk);
#endif
              s[mt][nt][i] = visible ? attnc_score(args, b, h, qpos, kpos, Nq, Nk, x) : ATTNC_MASKED;
            }
          }
#if ATTNC_NORMALIZE == 0
      // Online softmax over the quad's rows (4 lanes share a row).
#pragma unroll
      for (int mt = 0; mt < MT; ++mt)
#pragma unroll
        for (int half = 0; half < 2; ++half) {
          float mx = row_max[mt][half];
#pragma unroll
          for (int nt = 0; nt < BK / 8; ++nt)
            mx = fmaxf(mx, fmaxf(s[mt][nt][2 * half], s[mt][nt][2 * half + 1]));
          mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
          mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
          const float base = mx == -attnc_inf() ? 0.0f : mx; // nothing visible yet
          const float alpha = __expf(row_max[mt][half] - base);
          row_max[mt][half] = mx;
          float sum = 0.0f;
#pragma unroll
          for (int nt = 0; nt < BK / 8; ++nt)
#pragma unroll
            for (int j = 0; j < 2; ++j) {
              const float p = __expf(s[mt][nt][2 * half + j] - base);
              s[mt][nt][2 * half + j] = p;
              sum += p;
            }
          row_sum[mt][half] = row_sum[mt][half] * alpha + sum;
#pragma unroll
          for (int nt = 0; nt < DVP / 8; ++nt) {
            o_acc[mt][nt][2 * half] *= alpha;
            o_acc[mt][nt][2 * half + 1] *= alpha;
          }
        }
#else
      // normalize sum / none: the scores are the weights.
#pragma unroll
      for (int mt = 0; mt < MT; ++mt)
#pragma unroll
        for (int nt = 0; nt < BK / 8; ++nt)
#pragma unroll
          for (int i = 0; i < 4; ++i) row_sum[mt][i / 2] += s[mt][nt][i];
#endif
      // O += P V: S's accumulator layout is the A operand layout; each V
      // fragment is loaded once for every m-tile.
#pragma unroll
      for (int kk = 0; kk < BK / 16; ++kk) {
        unsigned pa[MT][4];
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
          pa[mt][0] = attnc_pack2(s[mt][2 * kk][0], s[mt][2 * kk][1]);
          pa[mt][1] = attnc_pack2(s[mt][2 * kk][2], s[mt][2 * kk][3]);
          pa[mt][2] = attnc_pack2(s[mt][2 * kk + 1][0], s[mt][2 * kk + 1][1]);
          pa[mt][3] = attnc_pack2(s[mt][2 * kk + 1][2], s[mt][2 * kk + 1][3]);
        }
#pragma unroll
        for (int np = 0; np < DVP / 16; ++np) {
          unsigned vf[4];
          const int mi = lane / 8;
          const int key = kk * 16 + (lane % 8) + (mi % 2) * 8;
          attnc_ldmatrix_x4_trans(vf, Vst + attnc_swz(key, np * 2 + mi / 2, DVP / 8));
#pragma unroll
          for (int mt = 0; mt < MT; ++mt) {
            attnc_mma(o_acc[mt][2 * np], pa[mt], vf[0], vf[1]);
            attnc_mma(o_acc[mt][2 * np + 1], pa[mt], vf[2], vf[3]);
          }
        }
      }
      __syncthreads(); // this stage is free for the prefetch after next
      if (next_kb < 0) break;
      kb = next_kb;
      ++ki;
      if (STAGES == 1) {
        attnc_load_kv_tile(Ks, kr, kb * BK, Nk, BK, DP / 8, D);
        attnc_load_kv_tile(Vs, vr, kb * BK, Nk, BK, DVP / 8, DV);
        attnc_cp_async_commit();
      }
    }
    attnc_cp_async_wait<0>();
  }
#if ATTNC_HYBRID
  // The linear branch of a hybrid, into shared memory past the tiles.
  __syncthreads();
  float *hy_num = reinterpret_cast<float *>(attnc_smem + ATTNC_MAIN_SMEM);
  attnc_hybrid_rows(args, b, h, qb, tiles, hy_num, hy_num + BQ * (DV + 1),
                    hy_num + BQ * (DV + 1) + BQ * HF);
#endif

  // Epilogue: finish the row sums across the quad, normalize, store.
  storage_t *op = (storage_t *)args.o + b * args.o_strides.s[0] + h * args.o_strides.s[1] + q0 * args.o_strides.s[2];
#pragma unroll
  for (int mt = 0; mt < MT; ++mt)
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      float l = row_sum[mt][half];
      l += __shfl_xor_sync(0xffffffffu, l, 1);
      l += __shfl_xor_sync(0xffffffffu, l, 2);
      const float inv = attnc_row_scale(l);
      const long long row = ATTNC_TOKEN(row0 + (warp * MT + mt) * 16 + quad_row + half * 8);
      if (row < 0 || row >= Nq) continue;
#if ATTNC_SPLIT_KV && ATTNC_NORMALIZE == 0
      // Split-KV: this split's normalized partial o and lse, for the merge kernel.
      if (args.kv_splits > 1) {
        const long long at = attnc_block_split(args) * attnc_lse_rows(args, H) + ATTNC_LSE_AT(row);
#pragma unroll
        for (int nt = 0; nt < DVP / 8; ++nt) {
          const int col = nt * 8 + quad_col * 2;
          if (col < DV) {
            args.split_o[at * DV + col] = o_acc[mt][nt][2 * half] * inv;
            args.split_o[at * DV + col + 1] = o_acc[mt][nt][2 * half + 1] * inv;
          }
        }
        if (quad_col == 0)
          args.split_lse[at] = l > 0.0f ? row_max[mt][half] + logf(l) : l != l ? l : -attnc_inf();
        continue;
      }
#endif
      storage_t *orow = op + row * args.o_strides.s[2];
#if ATTNC_HYBRID
      const float *hrow = hy_num + ((warp * MT + mt) * 16 + quad_row + half * 8) * (DV + 1);
      const float cw = attnc_combine_weight(args, b, h, row + offset, Nq, Nk);
#endif
#pragma unroll
      for (int nt = 0; nt < DVP / 8; ++nt) {
        const int col = nt * 8 + quad_col * 2;
        if (col < DV) {
#if ATTNC_HYBRID
          attnc_store(orow + col, attnc_hybrid_out(o_acc[mt][nt][2 * half], inv, l, hrow[col], hrow[DV], cw));
          attnc_store(orow + col + 1,
                      attnc_hybrid_out(o_acc[mt][nt][2 * half + 1], inv, l, hrow[col + 1], hrow[DV], cw));
#else
          attnc_store(orow + col, o_acc[mt][nt][2 * half] * inv);
          attnc_store(orow + col + 1, o_acc[mt][nt][2 * half + 1] * inv);
#endif
        }
      }
#if ATTNC_NORMALIZE == 0
      if (args.lse && quad_col == 0)
        // NaN l (a NaN score at a visible key): NaN lse; no visible key: -inf.
        args.lse[ATTNC_LSE_AT(row)] = l > 0.0f ? row_max[mt][half] + logf(l) : l != l ? l : -attnc_inf();
#endif
    }
}
#undef ATTNC_LSE_AT
