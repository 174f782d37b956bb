//===- softmax_row_scale.cu - softmax_row_scale.cuh alone ------*- CUDA -*-===//
//
// codegen/device/softmax_row_scale.cuh needs ATTNC_NORMALIZE and nothing
// else (not even the prelude); the kernel below makes nvcc emit it.
//
//===----------------------------------------------------------------------===//

#define ATTNC_NORMALIZE 0
#include "codegen/device/softmax_row_scale.cuh"

extern "C" __global__ void attnc_test_row_scale(const float *l, float *out) {
  out[threadIdx.x] = attnc_row_scale(l[threadIdx.x]);
}
