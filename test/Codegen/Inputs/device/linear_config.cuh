//===- linear_config.cuh - A representative linear spec ---------*- CUDA
//-*-===//
//
// What LinearCudaEmitter.cpp prints between the prelude and the device
// files for examples/gated_deltanet.attn (f32, head_dim 64, chunk 64, a
// scalar gate and the delta rule): the schedule constants, the shared-memory
// offsets of its buffers, the parameter readers, and the spec's gate and
// feature map (here the identity, not l2norm: any phi with the emitter's
// signature will do). Needs the prelude.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TEST_DEVICE_LINEAR_CONFIG_CUH
#define ATTNC_TEST_DEVICE_LINEAR_CONFIG_CUH

#define ATTNC_KERNEL attnc_test_fwd
#define H 4LL
#define G 4LL
#define D 64
#define DV 64
#define F 64
#define FS 65
#define DVT 64
#define CH 64
#define NT 256
#define ATTNC_DECAY 1
#define ATTNC_DELTA 1
#define ATTNC_SUM 0
#define ATTNC_BIDIRECTIONAL 0
#define kScale 0.125f
#define OFF_A 0
#define OFF_STAT 528
#define OFF_SG 1552
#define OFF_S 1824
#define OFF_Z 18208
#define OFF_DEN 18208
#define OFF_QF 18208
#define OFF_KF 34848
#define OFF_V 51488
#define OFF_P 67872
#define OFF_P2 84256
#define OFF_W 84256
#define OFF_U 100640
#define OFF_BETA 117024
#define OFF_X 117280

// params: beta [B, H, N] and g [B, H, N], f32; 0 outside the array.
ATTNC_HD float attnc_test_param(const AttncKernelArgs &args, int index,
                                long long b, long long h, long long n) {
  if (b < 0 || b >= args.batch || h < 0 || h >= H || n < 0 || n >= args.kv_len)
    return 0;
  return ((const float *)args.params[index])[(b * H + h) * args.kv_len + n];
}
#define ATTNC_BETA(n) attnc_test_param(args, 0, b, h, (n))

ATTNC_HD float attnc_decay(const AttncKernelArgs &args, long long b,
                           long long h, long long n, long long d, long long Nq,
                           long long Nk) {
  (void)d;
  (void)Nq;
  (void)Nk;
  return expf(-attnc_test_param(args, 1, b, h, n));
}

// Phi[r][0..F) = phi(X[r]) for rows r in [lo, hi), else 0; every thread of
// the block calls it, and it ends with a barrier.
__device__ __forceinline__ void attnc_features(const AttncKernelArgs &args,
                                               long long b, long long h,
                                               long long n0, const float *X,
                                               float *Phi, void *stat, int lo,
                                               int hi) {
  (void)args;
  (void)b;
  (void)h;
  (void)n0;
  (void)stat;
  for (int i = threadIdx.x; i < CH * F; i += NT) {
    const int r = i / F, f = i % F;
    Phi[r * FS + f] = r >= lo && r < hi ? X[r * D + f] : 0.0f;
  }
  __syncthreads();
}

#endif // ATTNC_TEST_DEVICE_LINEAR_CONFIG_CUH
