//===- softmax_config.cuh - A representative softmax schedule ---*- CUDA
//-*-===//
//
// The schedule constants CudaEmitter.cpp defines for a causal spec with 8
// heads and head_dim 64 (examples/causal.attn with more heads): in bf16 the
// tensor-core kernel at block_q 64, block_k 64, 4 warps, 2 stages, Q in
// registers; with ATTNC_TEST_F32 the SIMT kernel at the same tiles with 64
// threads (one per query row), as the emitter prints them for dtype f32.
// Softmax normalizer; ragged with split-KV; no hybrid branch unless the includer defines
// ATTNC_HYBRID 1 (and ATTNC_MAIN_SMEM) first.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TEST_DEVICE_SOFTMAX_CONFIG_CUH
#define ATTNC_TEST_DEVICE_SOFTMAX_CONFIG_CUH

#define ATTNC_KERNEL attnc_test_fwd
#define H 8LL
#define G 8LL
#define D 64
#define DP 64
#define DV 64
#define DVP 64
#define BQ 64
#define BK 64
#ifdef ATTNC_TEST_F32
#define WARPS 2
#define MT 0
#define STAGES 1
#define NTHREADS 64
#define ATTNC_Q_IN_REGISTERS 0
#else
#define WARPS 4
#define MT 1
#define STAGES 2
#define NTHREADS 128
#define ATTNC_Q_IN_REGISTERS 1
#define ATTNC_MMA_TYPE "bf16"
#define ATTNC_PAIR_T __nv_bfloat162
#define ATTNC_PACK2 __floats2bfloat162_rn
#endif
#define ATTNC_NORMALIZE 0
#define ATTNC_MASKED (-attnc_inf())
#define ATTNC_IDENTITY_SCORE 1
#define kScale 0.125f
#ifndef ATTNC_HYBRID
#define ATTNC_HYBRID 0
#endif
// The plan of a causal spec is ragged with kv_splits (packed and paged
// batches, split-KV decode), unless the includer says otherwise first.
#ifndef ATTNC_RAGGED
#define ATTNC_RAGGED 1
#endif
#ifndef ATTNC_SPLIT_KV
#define ATTNC_SPLIT_KV 1
#endif

#endif // ATTNC_TEST_DEVICE_SOFTMAX_CONFIG_CUH
