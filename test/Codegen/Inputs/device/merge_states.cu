//===- merge_states.cu - merge_states.cuh alone --------------------*- CUDA -*-===//
//
// codegen/device/merge_states.cuh (attnc_merge_states_cuda's kernel) with
// what its banner names: the prelude (storage bf16) and the constants
// CudaEmitter.cpp prints (H, DV from softmax_config.cuh) and the kernel's
// names, with split-KV's merge (sequence.h, ragged).
//
//===----------------------------------------------------------------------===//

#include "prelude.cuh"
#include "softmax_config.cuh"

#define ATTNC_RAGGED 1
#include "codegen/device/sequence.h"

#define ATTNC_MERGE_KERNEL attnc_test_merge
#define ATTNC_SPLIT_MERGE_KERNEL attnc_test_split_merge
#include "codegen/device/merge_states.cuh"
