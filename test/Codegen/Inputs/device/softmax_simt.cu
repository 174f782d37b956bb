//===- softmax_simt.cu - softmax_simt.cuh alone ----------------*- CUDA -*-===//
//
// codegen/device/softmax_simt.cuh (the f32 kernel) with what its banner
// names: the prelude for storage f32, the spec's plan, mask and score, the
// schedule constants the emitter prints for f32 (softmax_config.cuh), the
// tile walker and the row normalizer.
//
//===----------------------------------------------------------------------===//

#define ATTNC_TEST_F32
#include "softmax_spec.cuh"
#include "softmax_config.cuh"

#include "codegen/device/softmax_row_scale.cuh"
#include "codegen/device/sequence.h"
#include "codegen/device/tile_walk.cuh"
#include "codegen/device/softmax_simt.cuh"
