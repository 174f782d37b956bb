//===- block_mask_builder.cu - block_mask_builder.cuh alone ----*- CUDA -*-===//
//
// codegen/device/block_mask_builder.cuh with what its banner names: the
// prelude, the spec's plan and mask, the tile sizes and its own kernel
// names and block size (CudaEmitter.cpp's "block-mask builder" section).
//
//===----------------------------------------------------------------------===//

#include "softmax_spec.cuh"

#define BQ 64
#define BK 64
#define ATTNC_BM_KERNEL attnc_test_block_mask
#define ATTNC_BM_CSR_KERNEL attnc_test_block_mask_csr
#define ATTNC_BM_THREADS 256
#include "codegen/device/sequence.h"
#include "codegen/device/block_mask_builder.cuh"
