//===- ptx.cu - ptx.cuh alone ----------------------------------*- CUDA -*-===//
//
// codegen/device/ptx.cuh needs the storage type's pair type and packing
// function (ATTNC_PAIR_T, ATTNC_PACK2, from cuda_bf16.h here) and the
// mma.sync operand type (ATTNC_MMA_TYPE). Inline PTX is only assembled
// where it is used, so one warp's kernel below goes through every wrapper:
// a 16 x 16 bf16 tile copied in by cp.async, read back by ldmatrix (plain
// and transposed) and multiplied by mma.sync.
//
//===----------------------------------------------------------------------===//

#include <cuda_bf16.h>

#define ATTNC_MMA_TYPE "bf16"
#define ATTNC_PAIR_T __nv_bfloat162
#define ATTNC_PACK2 __floats2bfloat162_rn
#include "codegen/device/ptx.cuh"

extern "C" __global__ void __launch_bounds__(32)
    attnc_test_ptx(const __nv_bfloat16 *tile, float *out) {
  __shared__ __align__(128) __nv_bfloat16 smem[16 * 16];
  const int lane = threadIdx.x;
  // 16 rows of two 16-byte chunks: one chunk per lane.
  attnc_cp_async16(smem + attnc_swz(lane / 2, lane % 2, 2), tile + lane * 8,
                   16);
  attnc_cp_async_commit();
  attnc_cp_async_wait<0>();
  __syncwarp();
  unsigned a[4], b[4];
  attnc_ldmatrix_x4(a, smem + attnc_swz(lane % 16, lane / 16, 2));
  attnc_ldmatrix_x4_trans(b, smem + attnc_swz(lane % 16, lane / 16, 2));
  float d[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  attnc_mma(d, a, b[0], b[1]);
  out[lane * 2] = d[0] + d[1];
  reinterpret_cast<unsigned *>(out)[lane * 2 + 1] = attnc_pack2(d[2], d[3]);
}
