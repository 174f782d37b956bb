//===- CudaKernelText.h - Fixed text of the CUDA kernels --------*- C++ -*-===//
//
// The parts of the emitted CUDA kernels that do not depend on the spec,
// parameterized by macros the emitter defines before them (D, DP, DV, DVP,
// BQ, BK, WARPS, MT, STAGES, ATTNC_NORMALIZE, ATTNC_IDENTITY_SCORE, ...).
// Kept as text in one place so a reader sees the whole kernel at once.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_CUDAKERNELTEXT_H
#define ATTNC_CODEGEN_CUDAKERNELTEXT_H

namespace attnc {

/// The factor a row's accumulator is multiplied by at the end, from the
/// row's sum l: 1/l for softmax (0 for an empty row), 1/l for sum (0 when
/// the sum is 0), 1 for none. Shared by both kernel bodies.
inline constexpr const char *kCudaRowScale = R"CUDA(
__device__ __forceinline__ float attnc_row_scale(float l) {
#if ATTNC_NORMALIZE == 0
  return l > 0.0f ? 1.0f / l : 0.0f;
#elif ATTNC_NORMALIZE == 1
  return l != 0.0f ? 1.0f / l : 0.0f;
#else
  (void)l;
  return 1.0f;
#endif
}
)CUDA";

/// PTX wrappers: cp.async with zero fill, ldmatrix, mma.sync m16n8k16.
inline constexpr const char *kCudaPtxHelpers = R"CUDA(
// ---- PTX wrappers (sm_80+) ----
#ifdef ATTNC_CUDA_EMULATE
// The CPU emulator (tools/attnc-cuda-emu, docs/testing.md) compiles this
// file with the host compiler: the same operations through its warp
// collectives, with the fragment layouts of the PTX ISA.
__device__ __forceinline__ unsigned attnc_smem_addr(const void *p) { return attnc_emu_smem_offset(p); }
__device__ __forceinline__ void attnc_cp_async16(void *smem, const void *gmem, int src_bytes) {
  attnc_emu_cp_async(smem, gmem, 16, src_bytes);
}
__device__ __forceinline__ void attnc_cp_async_commit() { attnc_emu_cp_async_commit(); }
template <int N> __device__ __forceinline__ void attnc_cp_async_wait() { attnc_emu_cp_async_wait(N); }
__device__ __forceinline__ void attnc_ldmatrix_x4(unsigned (&r)[4], const void *smem) {
  attnc_emu_ldmatrix(r, 4, 0, smem);
}
__device__ __forceinline__ void attnc_ldmatrix_x4_trans(unsigned (&r)[4], const void *smem) {
  attnc_emu_ldmatrix(r, 4, 1, smem);
}
__device__ __forceinline__ void attnc_mma(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
  attnc_emu_mma_m16n8k16(d, a, b0, b1, ATTNC_MMA_TYPE);
}
#else
__device__ __forceinline__ unsigned attnc_smem_addr(const void *p) {
  return (unsigned)__cvta_generic_to_shared(p);
}
// 16-byte async copy; src_bytes == 0 writes zeros (rows past the end).
__device__ __forceinline__ void attnc_cp_async16(void *smem, const void *gmem, int src_bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n"
               :: "r"(attnc_smem_addr(smem)), "l"(gmem), "r"(src_bytes));
}
__device__ __forceinline__ void attnc_cp_async_commit() {
  asm volatile("cp.async.commit_group;\n" ::);
}
template <int N> __device__ __forceinline__ void attnc_cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" :: "n"(N));
}
__device__ __forceinline__ void attnc_ldmatrix_x4(unsigned (&r)[4], const void *smem) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(attnc_smem_addr(smem)));
}
__device__ __forceinline__ void attnc_ldmatrix_x4_trans(unsigned (&r)[4], const void *smem) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(attnc_smem_addr(smem)));
}
// d += a * b for one 16x8x16 tile, f32 accumulation.
__device__ __forceinline__ void attnc_mma(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32." ATTNC_MMA_TYPE "." ATTNC_MMA_TYPE ".f32 "
               "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
#endif
__device__ __forceinline__ unsigned attnc_pack2(float lo, float hi) {
  ATTNC_PAIR_T p = ATTNC_PACK2(lo, hi);
  return *reinterpret_cast<unsigned *>(&p);
}
// Element offset of 16-byte chunk `chunk` of row `row` in a tile whose rows
// hold `nchunks` chunks. Chunks are XOR-swizzled in groups of 8 so that the
// 8 rows an ldmatrix reads hit 8 different bank groups.
__device__ __forceinline__ int attnc_swz(int row, int chunk, int nchunks) {
  const int swizzled = (nchunks & ~7);
  const int c = chunk < swizzled ? ((chunk & ~7) | ((chunk ^ row) & 7)) : chunk;
  return (row * nchunks + c) * 8;
}
)CUDA";

/// The tensor-core kernel body (f16 / bf16).
/// The k-tiles a q-block visits: the runtime block mask's row when the
/// call has one (kernel ABI 3: ascending tiles, each flagged full or
/// partial; docs/runtime.md §3a), else the static block plan. A cursor is
/// (kb, i): the tile and its index in the row; the plan ignores i.
inline constexpr const char *kCudaTileWalk = R"CUDA(
typedef struct AttncTiles {
  AttncPlan plan;
  const int *col;            // the mask row's tiles, or null for the plan
  const unsigned char *full;
  long long n;               // tiles in the mask row
} AttncTiles;
__device__ __forceinline__ AttncTiles attnc_tiles(const AttncKernelArgs &args, long long b, long long h,
                                                  long long qb, long long Nq, long long Nk) {
  AttncTiles t;
  t.plan = attnc_plan_qblock(qb, Nq, Nk);
  t.col = 0;
  t.full = 0;
  t.n = 0;
  const AttncBlockMask *bm = args.block_mask;
  if (bm) {
    const long long row = (b * bm->heads + (bm->heads > 1 ? h : 0)) * ((Nq + BQ - 1) / BQ) + qb;
    t.col = bm->col + bm->row_ptr[row];
    t.full = bm->full + bm->row_ptr[row];
    t.n = bm->row_ptr[row + 1] - bm->row_ptr[row];
  }
  return t;
}
// The tile after cursor (kb, i) (kb = -1, i = -1 for the first), or -1.
__device__ __forceinline__ long long attnc_tiles_next(const AttncTiles &t, long long kb, long long i) {
  if (t.col) return i + 1 < t.n ? t.col[i + 1] : -1;
  return attnc_plan_next(t.plan, kb);
}
__device__ __forceinline__ bool attnc_tiles_full(const AttncTiles &t, long long kb, long long i) {
  return t.col ? t.full[i] != 0 : attnc_plan_full(t.plan, kb);
}
)CUDA";

inline constexpr const char *kCudaTensorCoreKernel = R"CUDA(
// Loads rows [row0, row0 + rows) x cols [0, cols_real) of a global tile into
// swizzled shared memory, zero-filling past `limit` rows and `cols_real`.
__device__ __forceinline__ void attnc_load_tile(storage_t *smem, const storage_t *g, long long stride,
                                                long long row0, long long limit, int rows, int nchunks,
                                                int cols_real) {
  for (int i = threadIdx.x; i < rows * nchunks; i += NTHREADS) {
    const int r = i / nchunks, c = i % nchunks;
    const bool valid = row0 + r < limit && c * 8 < cols_real;
    const storage_t *src = valid ? g + (row0 + r) * stride + c * 8 : g;
    attnc_cp_async16(smem + attnc_swz(r, c, nchunks), src, valid ? 16 : 0);
  }
}

extern "C" __global__ void __launch_bounds__(NTHREADS, 1) ATTNC_KERNEL(const AttncKernelArgs args) {
  extern __shared__ __align__(128) unsigned char attnc_smem[];
  storage_t *Qs = reinterpret_cast<storage_t *>(attnc_smem);
  storage_t *Ks = Qs + BQ * DP;
  storage_t *Vs = Ks + STAGES * BK * DP;

  const long long Nq = args.q_len, Nk = args.kv_len;
  // Heavy q-blocks (late rows under a causal mask) start first.
  const long long qb = gridDim.x - 1 - blockIdx.x;
  const long long h = blockIdx.y, b = blockIdx.z, g = h / (H / G);
  const long long row0 = qb * BQ, offset = Nk - Nq;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int quad_row = lane / 4, quad_col = lane % 4;

  const storage_t *qp = (const storage_t *)args.q + b * args.q_strides.s[0] + h * args.q_strides.s[1];
  const storage_t *kp = (const storage_t *)args.k + b * args.k_strides.s[0] + g * args.k_strides.s[1];
  const storage_t *vp = (const storage_t *)args.v + b * args.v_strides.s[0] + g * args.v_strides.s[1];

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
    attnc_load_tile(Ks, kp, args.k_strides.s[2], kb * BK, Nk, BK, DP / 8, D);
    attnc_load_tile(Vs, vp, args.v_strides.s[2], kb * BK, Nk, BK, DVP / 8, DV);
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
        attnc_load_tile(Ks + ns * BK * DP, kp, args.k_strides.s[2], next_kb * BK, Nk, BK, DP / 8, D);
        attnc_load_tile(Vs + ns * BK * DVP, vp, args.v_strides.s[2], next_kb * BK, Nk, BK, DVP / 8, DV);
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
#pragma unroll
      for (int ks = 0; ks < DP / 16; ++ks) {
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
#if ATTNC_Q_IN_REGISTERS
          const unsigned (&qa)[4] = q_frag[mt][ks];
#else
          unsigned qa[4];
          const int r = (warp * MT + mt) * 16 + (lane % 8) + ((lane / 8) % 2) * 8;
          attnc_ldmatrix_x4(qa, Qs + attnc_swz(r, ks * 2 + lane / 16, DP / 8));
#endif
#pragma unroll
          for (int np = 0; np < BK / 16; ++np) {
            unsigned kf[4];
            const int mi = lane / 8;
            const int key = np * 16 + (lane % 8) + (mi / 2) * 8;
            attnc_ldmatrix_x4(kf, Kst + attnc_swz(key, ks * 2 + (mi % 2), DP / 8));
            attnc_mma(s[mt][2 * np], qa, kf[0], kf[1]);
            attnc_mma(s[mt][2 * np + 1], qa, kf[2], kf[3]);
          }
        }
      }
      // Score and mask on the fragments: mask code only in partial blocks.
      const long long col0 = kb * BK;
      // A runtime mask may flag the last, short tile full: past Nk the keys
      // are zero-filled and must still be masked.
      const bool is_full = attnc_tiles_full(tiles, kb, ki) && col0 + BK <= Nk;
#pragma unroll
      for (int mt = 0; mt < MT; ++mt)
#pragma unroll
        for (int nt = 0; nt < BK / 8; ++nt)
#pragma unroll
          for (int i = 0; i < 4; ++i) {
            const long long qpos = row0 + (warp * MT + mt) * 16 + quad_row + (i >= 2 ? 8 : 0) + offset;
            const long long kpos = col0 + nt * 8 + quad_col * 2 + (i & 1);
            const float x = s[mt][nt][i] * kScale;
            if (is_full) {
#if ATTNC_IDENTITY_SCORE
              s[mt][nt][i] = x;
#else
              s[mt][nt][i] = attnc_score(args, b, h, qpos, kpos, Nq, Nk, x);
#endif
            } else {
              const bool visible = kpos < Nk && attnc_mask(args, b, h, qpos, kpos, Nq, Nk);
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
      // O += P V: S's accumulator layout is the A operand layout.
#pragma unroll
      for (int kk = 0; kk < BK / 16; ++kk) {
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
          unsigned pa[4];
          pa[0] = attnc_pack2(s[mt][2 * kk][0], s[mt][2 * kk][1]);
          pa[1] = attnc_pack2(s[mt][2 * kk][2], s[mt][2 * kk][3]);
          pa[2] = attnc_pack2(s[mt][2 * kk + 1][0], s[mt][2 * kk + 1][1]);
          pa[3] = attnc_pack2(s[mt][2 * kk + 1][2], s[mt][2 * kk + 1][3]);
#pragma unroll
          for (int np = 0; np < DVP / 16; ++np) {
            unsigned vf[4];
            const int mi = lane / 8;
            const int key = kk * 16 + (lane % 8) + (mi % 2) * 8;
            attnc_ldmatrix_x4_trans(vf, Vst + attnc_swz(key, np * 2 + mi / 2, DVP / 8));
            attnc_mma(o_acc[mt][2 * np], pa, vf[0], vf[1]);
            attnc_mma(o_acc[mt][2 * np + 1], pa, vf[2], vf[3]);
          }
        }
      }
      __syncthreads(); // this stage is free for the prefetch after next
      if (next_kb < 0) break;
      kb = next_kb;
      ++ki;
      if (STAGES == 1) {
        attnc_load_tile(Ks, kp, args.k_strides.s[2], kb * BK, Nk, BK, DP / 8, D);
        attnc_load_tile(Vs, vp, args.v_strides.s[2], kb * BK, Nk, BK, DVP / 8, DV);
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
  storage_t *op = (storage_t *)args.o + b * args.o_strides.s[0] + h * args.o_strides.s[1];
#pragma unroll
  for (int mt = 0; mt < MT; ++mt)
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      float l = row_sum[mt][half];
      l += __shfl_xor_sync(0xffffffffu, l, 1);
      l += __shfl_xor_sync(0xffffffffu, l, 2);
      const float inv = attnc_row_scale(l);
      const long long row = row0 + (warp * MT + mt) * 16 + quad_row + half * 8;
      if (row >= Nq) continue;
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
        args.lse[(b * H + h) * Nq + row] = l > 0.0f ? row_max[mt][half] + logf(l) : -attnc_inf();
#endif
    }
}
)CUDA";

/// The SIMT kernel body (f32): one thread per query row, online softmax
/// key by key, K/V tiles staged in shared memory.
inline constexpr const char *kCudaSimtKernel = R"CUDA(
extern "C" __global__ void __launch_bounds__(NTHREADS, 1) ATTNC_KERNEL(const AttncKernelArgs args) {
  extern __shared__ __align__(16) float attnc_smem_f[];
  float *Qs = attnc_smem_f;               // [BQ][D + 1]
  float *Acc = Qs + BQ * (D + 1);         // [BQ][DV + 1]
  float *Ks = Acc + BQ * (DV + 1);        // [BK][D]
  float *Vs = Ks + BK * D;                // [BK][DV]

  const long long Nq = args.q_len, Nk = args.kv_len;
  const long long qb = gridDim.x - 1 - blockIdx.x;
  const long long h = blockIdx.y, b = blockIdx.z, g = h / (H / G);
  const long long row0 = qb * BQ, offset = Nk - Nq;
  const float *qp = (const float *)args.q + b * args.q_strides.s[0] + h * args.q_strides.s[1];
  const float *kp = (const float *)args.k + b * args.k_strides.s[0] + g * args.k_strides.s[1];
  const float *vp = (const float *)args.v + b * args.v_strides.s[0] + g * args.v_strides.s[1];

  for (int i = threadIdx.x; i < BQ * D; i += NTHREADS) {
    const int r = i / D, d = i % D;
    Qs[r * (D + 1) + d] = row0 + r < Nq ? qp[(row0 + r) * args.q_strides.s[2] + d] : 0.0f;
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
  const long long qpos = row0 + r + offset;

  long long ki = 0;
  for (long long kb = attnc_tiles_next(tiles, -1, -1); kb >= 0; kb = attnc_tiles_next(tiles, kb, ki), ++ki) {
      const long long col0 = kb * BK;
      __syncthreads();
      for (int i = threadIdx.x; i < BK * D; i += NTHREADS) {
        const long long key = col0 + i / D;
        Ks[i] = key < Nk ? kp[key * args.k_strides.s[2] + i % D] : 0.0f;
      }
      for (int i = threadIdx.x; i < BK * DV; i += NTHREADS) {
        const long long key = col0 + i / DV;
        Vs[i] = key < Nk ? vp[key * args.v_strides.s[2] + i % DV] : 0.0f;
      }
      __syncthreads();
      if (r >= BQ || row0 + r >= Nq) continue;
      const bool is_full = attnc_tiles_full(tiles, kb, ki);
      for (int c = 0; c < BK; ++c) {
        const long long kpos = col0 + c;
        if (kpos >= Nk) break;
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
  if (r >= BQ || row0 + r >= Nq) return;
  const float inv = attnc_row_scale(l);
  float *orow = (float *)args.o + b * args.o_strides.s[0] + h * args.o_strides.s[1] + (row0 + r) * args.o_strides.s[2];
#if ATTNC_HYBRID
  const float cw = attnc_combine_weight(args, b, h, qpos, Nq, Nk);
  for (int e = 0; e < DV; ++e)
    orow[e] = attnc_hybrid_out(Acc[r * (DV + 1) + e], inv, l, hy_num[r * (DV + 1) + e], hy_num[r * (DV + 1) + DV], cw);
#else
  for (int e = 0; e < DV; ++e) orow[e] = Acc[r * (DV + 1) + e] * inv;
#endif
#if ATTNC_NORMALIZE == 0
  if (args.lse) args.lse[(b * H + h) * Nq + row0 + r] = l > 0.0f ? m + logf(l) : -attnc_inf();
#endif
}
)CUDA";

/// The device block-mask builder (docs/runtime.md §3a), the CUDA twin of
/// the CPU object's: one thread block per row r = (b * heads + h') * QB +
/// qb walks the static plan and classifies each tile by evaluating the mask
/// on its elements in parallel (none visible: dropped; all: full; else
/// partial), writing the row's tiles at col_in/full_in[r * KB ...] and
/// their number at counts[r]. A second kernel, one block, turns the padded
/// rows into the CSR arrays the attention kernel reads.
inline constexpr const char *kCudaBlockMaskBuilder = R"CUDA(
// Like every attnc kernel it takes one AttncKernelArgs; its buffers come in
// args.scratch (docs/runtime.md §3b): [0] counts, [1] col_in, [2] full_in,
// [3] static_tiles (unsigned long long), [4] heads (as an integer).
extern "C" __global__ void __launch_bounds__(ATTNC_BM_THREADS) ATTNC_BM_KERNEL(const AttncKernelArgs args) {
  int *counts = (int *)args.scratch[0];
  int *col_in = (int *)args.scratch[1];
  unsigned char *full_in = (unsigned char *)args.scratch[2];
  unsigned long long *static_tiles = (unsigned long long *)args.scratch[3];
  const int heads = (int)(long long)args.scratch[4];
  const long long Nq = args.q_len, Nk = args.kv_len;
  const long long q_blocks = (Nq + BQ - 1) / BQ, k_blocks = (Nk + BK - 1) / BK;
  // 32-bit index arithmetic: 64-bit division is a call with a stack frame.
  const int r = blockIdx.x, qbs = (int)q_blocks;
  const long long qb = r % qbs, h = (r / qbs) % heads, b = r / (qbs * heads);
  const long long row0 = qb * BQ, offset = Nk - Nq;
  const AttncPlan plan = attnc_plan_qblock(qb, Nq, Nk);
  int n = 0;
  for (long long kb = attnc_plan_next(plan, -1); kb >= 0; kb = attnc_plan_next(plan, kb)) {
    int any = 1, all = 1;
    if (!attnc_plan_full(plan, kb)) { // exact clauses need no look
      any = 0;
      const long long col0 = kb * BK;
      for (int e = threadIdx.x; e < BQ * BK; e += ATTNC_BM_THREADS) {
        const long long row = row0 + e / BK, key = col0 + e % BK;
        if (row >= Nq || key >= Nk) continue;
        const bool m = attnc_mask(args, b, h, row + offset, key, Nq, Nk);
        any |= m;
        all &= m;
      }
      any = __syncthreads_or(any);
      all = __syncthreads_and(all);
    }
    if (!any) continue;
    if (threadIdx.x == 0) {
      col_in[(long long)r * k_blocks + n] = (int)kb;
      full_in[(long long)r * k_blocks + n] = all ? 1 : 0;
    }
    ++n;
  }
  if (threadIdx.x == 0) {
    counts[r] = n;
    unsigned long long visited = 0;
    for (long long kb = attnc_plan_next(plan, -1); kb >= 0; kb = attnc_plan_next(plan, kb)) ++visited;
    atomicAdd(static_tiles, visited);
  }
}

// One block of 1024 threads, 8 KiB of dynamic shared memory. args.scratch: [0] counts, [1] col_in,
// [2] full_in, [3] row_ptr, [4] col, [5] full, [6] totals ([0] tiles,
// [1] full tiles; 0 on entry), [7] heads (as an integer). Each thread takes
// a contiguous range of rows.
// No __launch_bounds__: with it ptxas spills on sm_90 (as for the selection).
extern "C" __global__ void ATTNC_BM_CSR_KERNEL(const AttncKernelArgs args) {
  const int *counts = (const int *)args.scratch[0];
  const int *col_in = (const int *)args.scratch[1];
  const unsigned char *full_in = (const unsigned char *)args.scratch[2];
  int *row_ptr = (int *)args.scratch[3];
  int *col = (int *)args.scratch[4];
  unsigned char *full = (unsigned char *)args.scratch[5];
  unsigned long long *totals = (unsigned long long *)args.scratch[6];
  const long long heads = (long long)args.scratch[7];
  const long long k_blocks = (args.kv_len + BK - 1) / BK;
  const long long rows = args.batch * heads * ((args.q_len + BQ - 1) / BQ);
  // Dynamic shared memory (1024 long longs at launch): static __shared__
  // variables are not supported by the CPU emulator (docs/testing.md).
  extern __shared__ __align__(16) long long attnc_smem_csr[];
  long long *base = attnc_smem_csr;
  const long long per = (rows + blockDim.x - 1) / blockDim.x;
  const long long lo = attnc_mini(rows, (long long)threadIdx.x * per), hi = attnc_mini(rows, lo + per);
  long long sum = 0;
  for (long long r = lo; r < hi; ++r) sum += counts[r];
  base[threadIdx.x] = sum;
  __syncthreads();
  if (threadIdx.x == 0) {
    long long running = 0;
    for (unsigned t = 0; t < blockDim.x; ++t) {
      const long long v = base[t];
      base[t] = running;
      running += v;
    }
    row_ptr[rows] = (int)running;
    totals[0] = (unsigned long long)running;
  }
  __syncthreads();
  long long at = base[threadIdx.x];
  unsigned long long nfull = 0;
  for (long long r = lo; r < hi; ++r) {
    row_ptr[r] = (int)at;
    for (int i = 0; i < counts[r]; ++i, ++at) {
      col[at] = col_in[r * k_blocks + i];
      full[at] = full_in[r * k_blocks + i];
      nfull += full[at];
    }
  }
  atomicAdd(totals + 1, nfull);
}
)CUDA";

} // namespace attnc

#endif // ATTNC_CODEGEN_CUDAKERNELTEXT_H
