//===- merge_states.cu - merge_states.cuh alone --------------------*- CUDA -*-===//
//
// codegen/device/merge_states.cuh (attnc_merge_states_cuda's kernel) with
// what its banner names: the prelude (storage bf16) and the constants
// CudaEmitter.cpp prints (H, DV from softmax_config.cuh) and the kernel's
// name.
//
//===----------------------------------------------------------------------===//

#include "prelude.cuh"
#include "softmax_config.cuh"

#define ATTNC_MERGE_KERNEL attnc_test_merge
#include "codegen/device/merge_states.cuh"
