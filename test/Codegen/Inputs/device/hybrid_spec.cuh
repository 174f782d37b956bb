//===- hybrid_spec.cuh - A hybrid spec's linear-branch functions -*- CUDA
//-*-===//
//
// What CudaEmitter.cpp prints for a `hybrid` spec before the hybrid device
// files (emitHybridCommon): the feature-map width HF, the combine rule, the
// complement's block plan and predicate, the combine weight and phi, here
// for `hybrid elu1` with `combine add(...)` over the whole complement
// (examples/sla.attn). Needs the prelude and D. Written by hand with the
// emitter's signatures; nvcc-sparse-hybrid.test compiles the emitted ones.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TEST_DEVICE_HYBRID_SPEC_CUH
#define ATTNC_TEST_DEVICE_HYBRID_SPEC_CUH

#define HF 64LL
#define ATTNC_COMBINE_SHARED 0

// Every k-block of the row, none of them full: the linear branch's domain
// is not the whole tile where the softmax branch has a mask.
#define ATTNC_COMPLEMENT_NUM_CLAUSES 1
typedef struct AttncComplementPlan {
  long long lo[ATTNC_COMPLEMENT_NUM_CLAUSES], hi[ATTNC_COMPLEMENT_NUM_CLAUSES];
  long long flo[ATTNC_COMPLEMENT_NUM_CLAUSES],
      fhi[ATTNC_COMPLEMENT_NUM_CLAUSES];
} AttncComplementPlan;
ATTNC_HD AttncComplementPlan attnc_complement_plan_qblock(long long qb,
                                                          long long Nq,
                                                          long long Nk) {
  (void)qb;
  (void)Nq;
  AttncComplementPlan p;
  p.lo[0] = 0;
  p.hi[0] = (Nk - 1) / 64LL;
  p.flo[0] = 1;
  p.fhi[0] = 0;
  return p;
}
ATTNC_HD long long attnc_complement_plan_next(const AttncComplementPlan &p,
                                              long long kb) {
  long long next = -1;
  for (int c = 0; c < ATTNC_COMPLEMENT_NUM_CLAUSES; ++c) {
    const long long cand = kb + 1 >= p.lo[c] ? kb + 1 : p.lo[c];
    if (cand <= p.hi[c] && (next < 0 || cand < next))
      next = cand;
  }
  return next;
}
ATTNC_HD bool attnc_complement_plan_full(const AttncComplementPlan &p,
                                         long long kb) {
  bool full = false;
  for (int c = 0; c < ATTNC_COMPLEMENT_NUM_CLAUSES; ++c)
    full |= p.flo[c] <= kb && kb <= p.fhi[c];
  return full;
}
ATTNC_HD bool attnc_complement(const AttncKernelArgs &args, long long b,
                               long long h, long long q, long long k,
                               long long Nq, long long Nk) {
  (void)args;
  (void)b;
  (void)h;
  (void)Nq;
  (void)Nk;
  return k > q; // what a causal softmax branch leaves out
}
ATTNC_HD float attnc_combine_weight(const AttncKernelArgs &args, long long b,
                                    long long h, long long q, long long Nq,
                                    long long Nk) {
  (void)args;
  (void)b;
  (void)q;
  (void)Nq;
  (void)Nk;
  return 1.0f / (float)(h + 1);
}
#ifdef __CUDACC__
#define ATTNC_PHI_FN __device__ __noinline__
#else
#define ATTNC_PHI_FN static inline
#endif
ATTNC_PHI_FN void attnc_hphi(const AttncKernelArgs &args, long long b,
                             long long h, long long n, const float *x,
                             float *phi) {
  (void)args;
  (void)b;
  (void)h;
  (void)n;
  for (int c = 0; c < D; ++c)
    phi[c] = x[c] > 0.0f ? x[c] + 1.0f : expf(x[c]);
}

#endif // ATTNC_TEST_DEVICE_HYBRID_SPEC_CUH
