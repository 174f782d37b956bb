//===- softmax_backward_tensor_core.cu - the mma.sync backward alone -*- CUDA -*-===//
//
// codegen/device/softmax_backward_rows.cuh and
// softmax_backward_tensor_core.cuh (path backward_tensor_core) with what
// their banners name: the prelude (storage bf16), the spec's mask and score
// (softmax_spec.cuh), the forward's constants and mma configuration
// (softmax_config.cuh: H, G, D, DP, DV, DVP, kScale, ATTNC_MMA_TYPE),
// ptx.cuh, then what BackwardCudaEmitter.cpp prints (param_grad_warp_sum.cuh and
// backward_spec.cuh's convergent writers) for
// the plan's 64 x 64 tiles, 4 warps and 2 stages.
//
//===----------------------------------------------------------------------===//

#include "softmax_spec.cuh"
#include "softmax_config.cuh"

#include "codegen/device/ptx.cuh"

#define BBQ 64
#define BBK 64
#define BNT 128
#define BWARPS 4
#define BSTAGES 2
#include "codegen/device/param_grad_warp_sum.cuh"
#define ATTNC_TEST_CONVERGENT_GRADS 1
#define ATTNC_BWD_FAST_EXP 1
#include "backward_spec.cuh"

#include "codegen/device/softmax_backward_weight.h"
#include "codegen/device/softmax_backward_rows.cuh"
#include "codegen/device/softmax_backward_tensor_core.cuh"
