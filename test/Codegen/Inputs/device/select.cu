//===- select.cu - select.cuh alone ----------------------------*- CUDA -*-===//
//
// codegen/device/select.cuh with what its banner names: the prelude, the
// spec's plan and mask, a keep predicate, the schedule constants, its kernel
// names and the selection rule of `select topk(4) by mean(q) . mean(k)`
// (examples/sla.attn).
//
//===----------------------------------------------------------------------===//

#include "softmax_spec.cuh"

ATTNC_HD bool attnc_keep(const AttncKernelArgs &args, long long b, long long h,
                         long long q, long long k, long long Nq, long long Nk) {
  (void)args;
  (void)b;
  (void)h;
  (void)Nq;
  (void)Nk;
  return q == k; // the diagonal tiles
}

#include "softmax_config.cuh"

#define ATTNC_BM_THREADS 256
#define ATTNC_SEL_KMEAN_KERNEL attnc_test_select_kmean
#define ATTNC_SEL_KERNEL attnc_test_select
#define ATTNC_SELECT_TOPK 1
#define ATTNC_HAS_KEEP 1
#define kSelectValue 4
#define kScaleD 0.125
#include "codegen/device/select.cuh"
