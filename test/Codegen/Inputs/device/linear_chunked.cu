//===- linear_chunked.cu - linear_helpers.cuh, linear_chunked.cuh alone -*- CUDA
//-*-===//
//
// codegen/device/linear_chunked.cuh with what its banner names: the
// prelude for storage f32, a linear spec's constants, offsets, parameter
// readers, gate and feature map (linear_config.cuh), and
// linear_helpers.cuh. The helpers need only the prelude and the spec's
// constants and gate, which is all that comes before them here, so this
// unit checks both files; the kernel calls every helper.
//
//===----------------------------------------------------------------------===//

#define ATTNC_TEST_F32
#include "prelude.cuh"
#include "linear_config.cuh"

#include "codegen/device/linear_helpers.cuh"
#include "codegen/device/linear_chunked.cuh"
