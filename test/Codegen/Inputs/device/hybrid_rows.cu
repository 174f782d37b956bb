//===- hybrid_rows.cu - hybrid_rows.cuh alone ------------------*- CUDA -*-===//
//
// codegen/device/hybrid_rows.cuh with what its banner names: the prelude,
// the spec's mask, the schedule constants, the hybrid spec's functions
// (hybrid_spec.cuh) and the tile walker. Its caller, the tensor-core kernel
// configured with ATTNC_HYBRID 1 (the linear branch's scratch after the
// k-loop's 40 KiB of shared memory, as for examples/sla.attn), follows, so
// that nvcc emits it and the kernel's hybrid epilogue is compiled too.
//
//===----------------------------------------------------------------------===//

#include "softmax_spec.cuh"

#define ATTNC_HYBRID 1
#define ATTNC_MAIN_SMEM 40960
#include "softmax_config.cuh"
#include "hybrid_spec.cuh"

#include "codegen/device/sequence.h"
#include "codegen/device/tile_walk.cuh"
#include "codegen/device/hybrid_rows.cuh"

#include "codegen/device/ptx.cuh"
#include "codegen/device/softmax_row_scale.cuh"
#include "codegen/device/softmax_tensor_core.cuh"
