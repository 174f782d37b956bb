//===- softmax_spec.cuh - A spec's block plan, mask and score ---*- CUDA
//-*-===//
//
// The spec-dependent functions the softmax family's device files call, as
// CudaEmitter.cpp prints them between the prelude and the schedule
// constants (emitBlockPlan, emitMaskAndScore), for one representative spec:
// a causal mask with 64 x 64 tiles and the identity score. Written by hand
// with the emitters' signatures (nvcc-examples.test compiles the emitted
// ones): the device files must compile against any spec's definitions.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TEST_DEVICE_SOFTMAX_SPEC_CUH
#define ATTNC_TEST_DEVICE_SOFTMAX_SPEC_CUH

#include "prelude.cuh"

// The causal mask's block plan for BQ = BK = 64, as emitBlockPlan prints
// it: one exact clause, k-blocks [0, last row's block], full below the
// diagonal.
#define ATTNC_NUM_CLAUSES 1
typedef struct AttncPlan {
  long long lo[ATTNC_NUM_CLAUSES], hi[ATTNC_NUM_CLAUSES];
  long long flo[ATTNC_NUM_CLAUSES], fhi[ATTNC_NUM_CLAUSES];
} AttncPlan;
ATTNC_HD AttncPlan attnc_plan_qblock(long long qb, long long Nq, long long Nk) {
  const long long qlo = qb * 64LL + (Nk - Nq);
  const long long qhi = attnc_mini(qb * 64LL + 63LL, Nq - 1) + (Nk - Nq);
  AttncPlan p;
  const long long hi = attnc_mini(Nk - 1, qhi), fhi = attnc_mini(Nk - 1, qlo);
  p.lo[0] = 0 <= hi ? 0 : 1;
  p.hi[0] = 0 <= hi ? hi / 64LL : 0;
  p.flo[0] = 0 <= fhi ? 0 : 1;
  p.fhi[0] = 0 <= fhi ? attnc_floordiv(fhi + 1, 64LL) - 1 : 0;
  return p;
}
ATTNC_HD long long attnc_plan_next(const AttncPlan &p, long long kb) {
  long long next = -1;
  for (int c = 0; c < ATTNC_NUM_CLAUSES; ++c) {
    const long long cand = kb + 1 >= p.lo[c] ? kb + 1 : p.lo[c];
    if (cand <= p.hi[c] && (next < 0 || cand < next))
      next = cand;
  }
  return next;
}
ATTNC_HD bool attnc_plan_full(const AttncPlan &p, long long kb) {
  bool full = false;
  for (int c = 0; c < ATTNC_NUM_CLAUSES; ++c)
    full |= p.flo[c] <= kb && kb <= p.fhi[c];
  return full;
}

ATTNC_HD bool attnc_mask(const AttncKernelArgs &args, long long b, long long h,
                         long long q, long long k, long long Nq, long long Nk) {
  (void)args;
  (void)b;
  (void)h;
  (void)Nq;
  (void)Nk;
  return k <= q;
}
ATTNC_HD float attnc_score(const AttncKernelArgs &args, long long b,
                           long long h, long long q, long long k, long long Nq,
                           long long Nk, float s) {
  (void)args;
  (void)b;
  (void)h;
  (void)q;
  (void)k;
  (void)Nq;
  (void)Nk;
  return s;
}

#endif // ATTNC_TEST_DEVICE_SOFTMAX_SPEC_CUH
