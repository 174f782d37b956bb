//===- backward_spec.cuh - The backward's spec-dependent pieces -*- CUDA -*-===//
//
// What BackwardCudaEmitter.cpp prints before the backward's device files for
// a causal spec whose score reads one learned parameter (`score s -
// slope[h] * (q - k)`): the kernel names, the causal block plan on the
// backward plan's BBQ x BBK tiles under the name `bwd`, one gradient slot (a
// [h] parameter, added with atomicAdd on doubles) and the score_vjp function
// (ds = dt; the parameter's gradient -dt * (q - k)). The unit defines BBQ,
// BBK and BNT first.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TEST_DEVICE_BACKWARD_SPEC_CUH
#define ATTNC_TEST_DEVICE_BACKWARD_SPEC_CUH

#define ATTNC_BWD_ROWS_KERNEL attnc_test_bwd_rows
#define ATTNC_BWD_DKDV_KERNEL attnc_test_bwd_dkdv
#define ATTNC_BWD_DQ_KERNEL attnc_test_bwd_dq
#define ATTNC_BWD_PARAMS_KERNEL attnc_test_bwd_params

// The causal block plan on BBQ x BBK tiles, as emitBlockPlan(..., "bwd")
// prints it.
#define ATTNC_BWD_NUM_CLAUSES 1
typedef struct AttncBwdPlan {
  long long lo[ATTNC_BWD_NUM_CLAUSES], hi[ATTNC_BWD_NUM_CLAUSES];
  long long flo[ATTNC_BWD_NUM_CLAUSES], fhi[ATTNC_BWD_NUM_CLAUSES];
} AttncBwdPlan;
ATTNC_HD AttncBwdPlan attnc_bwd_plan_qblock(long long qb, long long Nq, long long Nk) {
  const long long qlo = qb * (long long)BBQ + (Nk - Nq);
  const long long qhi = attnc_mini(qb * (long long)BBQ + ((long long)BBQ - 1), Nq - 1) + (Nk - Nq);
  AttncBwdPlan p;
  const long long hi = attnc_mini(Nk - 1, qhi), fhi = attnc_mini(Nk - 1, qlo);
  p.lo[0] = 0 <= hi ? 0 : 1;
  p.hi[0] = 0 <= hi ? hi / (long long)BBK : 0;
  p.flo[0] = 0 <= fhi ? 0 : 1;
  p.fhi[0] = 0 <= fhi ? attnc_floordiv(fhi + 1, (long long)BBK) - 1 : 0;
  return p;
}
ATTNC_HD long long attnc_bwd_plan_next(const AttncBwdPlan &p, long long kb) {
  long long next = -1;
  for (int c = 0; c < ATTNC_BWD_NUM_CLAUSES; ++c) {
    const long long cand = kb + 1 >= p.lo[c] ? kb + 1 : p.lo[c];
    if (cand <= p.hi[c] && (next < 0 || cand < next))
      next = cand;
  }
  return next;
}
ATTNC_HD bool attnc_bwd_plan_full(const AttncBwdPlan &p, long long kb) {
  bool full = false;
  for (int c = 0; c < ATTNC_BWD_NUM_CLAUSES; ++c)
    full |= p.flo[c] <= kb && kb <= p.fhi[c];
  return full;
}

#define ATTNC_PARAM_GRADS 1
__device__ inline int attnc_param_grad_param(int slot) {
  switch (slot) {
  case 0: return 0;
  }
  return 0;
}
__device__ inline long long attnc_param_grad_size(int slot, const AttncKernelArgs &args) {
  (void)args;
  switch (slot) {
  case 0: return 1LL * 8LL;
  }
  return 0;
}
__device__ inline long long attnc_param_grad_offset(int slot, const AttncKernelArgs &args) {
  long long offset = 0;
  for (int s = 0; s < slot; ++s) offset += attnc_param_grad_size(s, args);
  return offset;
}
#ifdef ATTNC_TEST_CONVERGENT_GRADS
// The tensor-core path's convergent writers (emitParamGradWriters with
// convergent): every lane reaches the warp-summed add.
__device__ inline void attnc_grad_slope(const AttncKernelArgs &args, double *pg, bool live, long long i0,
                                        float value) {
  (void)args;
  if (!pg) return;
  long long flat = 0;
  bool ok = live;
  ok = ok && i0 >= 0 && i0 < 8LL;
  flat = flat * 8LL + (ok ? i0 : 0);
  if (!ok) { flat = 0; value = 0.0f; }
  attnc_bwd_grad_add(pg + attnc_param_grad_offset(0, args) + flat, (double)value);
}
__device__ inline float attnc_score_vjp(const AttncKernelArgs &args, double *pg, bool live, long long b,
                                        long long h, long long q, long long k, long long Nq,
                                        long long Nk, float s, float dt) {
  (void)args; (void)pg; (void)b; (void)h; (void)q; (void)k; (void)Nq; (void)Nk; (void)s;
  attnc_grad_slope(args, pg, live, h, -dt * (float)(q - k));
  return dt;
}
#else
__device__ inline void attnc_grad_slope(const AttncKernelArgs &args, double *pg, long long i0,
                                        float value) {
  (void)args;
  if (!pg) return;
  long long flat = 0;
  if (i0 < 0 || i0 >= 8LL) return;
  flat = flat * 8LL + i0;
  atomicAdd(pg + attnc_param_grad_offset(0, args) + flat, (double)value);
}
__device__ inline float attnc_score_vjp(const AttncKernelArgs &args, double *pg, long long b,
                                        long long h, long long q, long long k, long long Nq,
                                        long long Nk, float s, float dt) {
  (void)args; (void)pg; (void)b; (void)h; (void)q; (void)k; (void)Nq; (void)Nk; (void)s;
  attnc_grad_slope(args, pg, h, -dt * (float)(q - k));
  return dt;
}
#endif
#define kBackwardNormalize 0 // 0 softmax, 1 sum, 2 none


#endif // ATTNC_TEST_DEVICE_BACKWARD_SPEC_CUH
