//===- softmax_tensor_core.cu - softmax_tensor_core.cuh alone --*- CUDA -*-===//
//
// codegen/device/softmax_tensor_core.cuh with what its banner names: the
// prelude, the spec's plan, mask and score, the schedule constants of a
// bf16 head_dim 64 kernel (softmax_config.cuh), and the three device files
// it builds on.
//
//===----------------------------------------------------------------------===//

#include "softmax_spec.cuh"
#include "softmax_config.cuh"

#include "codegen/device/ptx.cuh"
#include "codegen/device/softmax_row_scale.cuh"
#include "codegen/device/sequence.h"
#include "codegen/device/tile_walk.cuh"
#include "codegen/device/softmax_tensor_core.cuh"
