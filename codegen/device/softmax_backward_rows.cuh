// ==== codegen/device/softmax_backward_rows.cuh: CUDA: the softmax family's backward, the kernels both paths share ====
// Embedded verbatim after the forward kernel of the same package (codegen/BackwardCudaEmitter.cpp),
// before softmax_backward_simt.cuh or softmax_backward_tensor_core.cuh (one of them), whose
// dK/dV and dQ kernels complete the backward. Reads the forward's prelude: AttncKernelArgs and
// AttncBackwardArgs, storage_t with attnc_load, attnc_mask, attnc_score, H, G, D, DV and kScale,
// and softmax_backward_weight.h. The emitter defines before it:
//   BBQ, BBK, BNT            the backward plan's tiles and threads;
//   attnc_bwd_plan_*         the static block plan on those tiles (emitBlockPlan, name "bwd");
//   ATTNC_BWD_ROWS_KERNEL, ATTNC_BWD_PARAMS_KERNEL;
//   kBackwardNormalize       0 softmax, 1 sum, 2 none;
//   ATTNC_PARAM_GRADS, attnc_param_grad_param(slot), attnc_param_grad_size(slot, args).
// The runtime launches four kernels on one stream (docs/codegen.md, "Backward, CUDA"), each with
// a 1-D grid and the one AttncKernelArgs by value; the per-call device buffers it points to:
//   scratch[0] stat  [B*H*Nq] float  lse (softmax) or the row's sum of scores (sum);
//   scratch[1] delta [B*H*Nq] float  dO . o;
//   scratch[2] the parameters' gradient accumulators, double, slot after slot, zeroed;
//   scratch[3] the call's AttncBackwardArgs (dO, dQ, dK, dV, parameter gradients).
// This file: 1. rows (one warp per query row) and 4. params (the accumulators to the float
// gradients), and the helpers both dK/dV and dQ kernels use.

__device__ __forceinline__ const storage_t *attnc_bwd_row(const void *base, const AttncStrides4 &st,
                                                          long long b, long long h, long long n) {
  return (const storage_t *)base + b * st.s[0] + h * st.s[1] + n * st.s[2];
}

__device__ __forceinline__ const AttncBackwardArgs &attnc_bwd_grads(const AttncKernelArgs &a) {
  return *(const AttncBackwardArgs *)a.scratch[3];
}

__device__ __forceinline__ float attnc_bwd_warp_sum(float x) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) x += __shfl_xor_sync(0xffffffffu, x, o);
  return x;
}

// 1. Row statistics: one warp per row of [B, H, Nq].
extern "C" __global__ void __launch_bounds__(BNT) ATTNC_BWD_ROWS_KERNEL(const AttncKernelArgs a) {
  const AttncBackwardArgs &g = attnc_bwd_grads(a);
  const long long Nq = a.q_len, Nk = a.kv_len, offset = Nk - Nq;
  const long long row = (long long)blockIdx.x * (BNT / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= a.batch * H * Nq) return; // the whole warp: no barrier in this kernel
  const long long i = row % Nq, h = (row / Nq) % H, b = row / (Nq * H), gh = h / (H / G);
  const storage_t *o = attnc_bwd_row(a.o, a.o_strides, b, h, i);
  const storage_t *dO = attnc_bwd_row(g.dout, g.dout_strides, b, h, i);
  float delta = 0.0f;
  for (int e = lane; e < DV; e += 32) delta += attnc_load(dO + e) * attnc_load(o + e);
  delta = attnc_bwd_warp_sum(delta);
  float stat = 0.0f;
  if (kBackwardNormalize == 0) {
    stat = a.lse[row];
  } else if (kBackwardNormalize == 1) {
    // The forward's normalizer, over the same visible keys (every lane takes the same
    // branches: the warp's shuffles stay converged).
    const storage_t *q = attnc_bwd_row(a.q, a.q_strides, b, h, i);
    const AttncBwdPlan p = attnc_bwd_plan_qblock(i / BBQ, Nq, Nk);
    for (long long kb = attnc_bwd_plan_next(p, -1); kb >= 0; kb = attnc_bwd_plan_next(p, kb)) {
      const bool full = attnc_bwd_plan_full(p, kb);
      for (long long j = kb * BBK; j < kb * BBK + BBK && j < Nk; ++j) {
        if (!full && !attnc_mask(a, b, h, i + offset, j, Nq, Nk)) continue;
        const storage_t *k = attnc_bwd_row(a.k, a.k_strides, b, gh, j);
        float qk = 0.0f;
        for (int d = lane; d < D; d += 32) qk += attnc_load(q + d) * attnc_load(k + d);
        qk = attnc_bwd_warp_sum(qk);
        stat += attnc_score(a, b, h, i + offset, j, Nq, Nk, qk * kScale);
      }
    }
  }
  if (lane == 0) {
    ((float *)a.scratch[0])[row] = stat;
    ((float *)a.scratch[1])[row] = kBackwardNormalize == 2 ? 0.0f : delta;
  }
}

// 4. The parameters' gradients: element e of the accumulators (slot after slot) to its float.
extern "C" __global__ void __launch_bounds__(BNT) ATTNC_BWD_PARAMS_KERNEL(const AttncKernelArgs a) {
  const AttncBackwardArgs &g = attnc_bwd_grads(a);
  long long e = (long long)blockIdx.x * BNT + threadIdx.x, base = 0;
  const double *pg = (const double *)a.scratch[2];
  for (int slot = 0; slot < ATTNC_PARAM_GRADS; ++slot) {
    const long long n = attnc_param_grad_size(slot, a);
    if (e < base + n) {
      g.param_grads[attnc_param_grad_param(slot)][e - base] = (float)pg[e];
      return;
    }
    base += n;
  }
}
