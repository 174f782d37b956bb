//===- DeviceSources.h - The device code the CUDA emitters embed -*- C++ -*-===//
//
// The fixed target code of the emitted kernels (CUDA device code, and the
// CPU backend's helpers) lives in real source files under codegen/device/ (seen by nvcc, clang-format and their own
// tests); the build turns each into a raw string literal
// (EmbedText.cmake) that the emitters paste into the .cu they print, so
// packages stay self-contained. Edit the .cuh files, never the .inc.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_DEVICESOURCES_H
#define ATTNC_CODEGEN_DEVICESOURCES_H

namespace attnc {

/// codegen/device/softmax_row_scale.cuh: the row normalizer of the softmax kernels
inline constexpr const char *kCudaRowScale =
#include "codegen/device/softmax_row_scale.cuh.inc"
    ;

/// codegen/device/ptx.cuh: PTX wrappers (cp.async, ldmatrix, mma.sync) and their emulator twins
inline constexpr const char *kCudaPtxHelpers =
#include "codegen/device/ptx.cuh.inc"
    ;

/// codegen/device/sequence.h: one sequence of a call: lengths, first rows, paged or contiguous keys (both targets)
inline constexpr const char *kDeviceSequence =
#include "codegen/device/sequence.h.inc"
    ;

/// codegen/device/cpu_split_kv.h: CPU: split-KV decode, partial results and their merge
inline constexpr const char *kCpuSplitKv =
#include "codegen/device/cpu_split_kv.h.inc"
    ;

/// runtime/include/attnc/kv_splits.h: split-KV's rule (the CPU kernel applies it itself)
inline constexpr const char *kKvSplitsRule =
#include "codegen/KvSplitsText.inc"
    ;

/// codegen/device/tile_walk.cuh: the k-tiles a q-block visits: runtime block mask or static plan
inline constexpr const char *kCudaTileWalk =
#include "codegen/device/tile_walk.cuh.inc"
    ;

/// codegen/device/softmax_tensor_core.cuh: the tensor-core softmax kernel (f16, bf16; sm_80+)
inline constexpr const char *kCudaTensorCoreKernel =
#include "codegen/device/softmax_tensor_core.cuh.inc"
    ;

/// codegen/device/softmax_simt.cuh: the SIMT softmax kernel (f32)
inline constexpr const char *kCudaSimtKernel =
#include "codegen/device/softmax_simt.cuh.inc"
    ;

/// codegen/device/block_mask_builder.cuh: the device block-mask builder and its CSR compaction
inline constexpr const char *kCudaBlockMaskBuilder =
#include "codegen/device/block_mask_builder.cuh.inc"
    ;

/// codegen/device/hybrid_prologue.cuh: the hybrid linear branch: phi(k), tile states and their prefix sums
inline constexpr const char *kCudaHybridPrologue =
#include "codegen/device/hybrid_prologue.cuh.inc"
    ;

/// codegen/device/hybrid_rows.cuh: one q-tile's hybrid linear branch
inline constexpr const char *kCudaHybridRows =
#include "codegen/device/hybrid_rows.cuh.inc"
    ;

/// codegen/device/select.cuh: content-based block selection: per-tile mean k and the selecting builder
inline constexpr const char *kCudaSelectKernels =
#include "codegen/device/select.cuh.inc"
    ;

/// codegen/device/linear_helpers.cuh: the linear kernel helpers: log-space gates, row loads, chunk gates
inline constexpr const char *kLinearCudaHelpers =
#include "codegen/device/linear_helpers.cuh.inc"
    ;

/// codegen/device/linear_chunked.cuh: the chunked linear-attention kernel (SIMT, f32 arithmetic)
inline constexpr const char *kLinearCudaKernel =
#include "codegen/device/linear_chunked.cuh.inc"
    ;

/// codegen/device/cpu_storage_f16.h: CPU: f16 loads and round-to-nearest-even stores on raw bits
inline constexpr const char *kCpuStorageF16 =
#include "codegen/device/cpu_storage_f16.h.inc"
    ;

/// codegen/device/cpu_storage_bf16.h: CPU: bf16 loads and round-to-nearest-even stores on raw bits
inline constexpr const char *kCpuStorageBf16 =
#include "codegen/device/cpu_storage_bf16.h.inc"
    ;

/// codegen/device/scalar_helpers.h: scalar helpers with .attn semantics (both targets, ATTNC_HD)
inline constexpr const char *kScalarHelpers =
#include "codegen/device/scalar_helpers.h.inc"
    ;

/// codegen/device/cpu_vector.h: CPU: 8-float vectors and a vectorized exp for the inner products
inline constexpr const char *kCpuVectorHelpers =
#include "codegen/device/cpu_vector.h.inc"
    ;

/// codegen/device/cpu_hybrid_rows.h: CPU: one q-block's hybrid linear branch
inline constexpr const char *kCpuHybridRows =
#include "codegen/device/cpu_hybrid_rows.h.inc"
    ;

/// codegen/device/cpu_hybrid_prepare.h: CPU: the hybrid's phi(k) and prefix sums of tile states
inline constexpr const char *kCpuHybridPrepare =
#include "codegen/device/cpu_hybrid_prepare.h.inc"
    ;

/// codegen/device/cpu_softmax_backward.h: CPU: the softmax family's backward
/// codegen/device/softmax_backward_weight.h: the backward's weight of one
/// visible (q, k), both targets
inline constexpr const char *kSoftmaxBackwardWeight =
#include "codegen/device/softmax_backward_weight.h.inc"
    ;

/// codegen/device/cpu_route.h: CPU: tokens routed by id, sorted into tiles
inline constexpr const char *kCpuRoute =
#include "codegen/device/cpu_route.h.inc"
    ;

/// codegen/device/grid_tiles.cuh: a token grid tiled in boxes (CPU and CUDA)
inline constexpr const char *kGridTiles =
#include "codegen/device/grid_tiles.cuh.inc"
    ;

/// codegen/device/cpu_softmax_tiles.h: CPU: the softmax kernel's tile products
inline constexpr const char *kCpuSoftmaxTiles =
#include "codegen/device/cpu_softmax_tiles.h.inc"
    ;

inline constexpr const char *kCpuSoftmaxBackward =
#include "codegen/device/cpu_softmax_backward.h.inc"
    ;

/// codegen/device/softmax_backward_simt.cuh: CUDA: the softmax family's
/// backward, SIMT with f32 math
inline constexpr const char *kCudaMergeStates =
#include "codegen/device/merge_states.cuh.inc"
    ;

inline constexpr const char *kCudaSoftmaxBackwardSimt =
#include "codegen/device/softmax_backward_simt.cuh.inc"
    ;

/// codegen/device/softmax_backward_rows.cuh: CUDA: the backward's row
/// statistics and parameter-gradient kernels, both paths
inline constexpr const char *kCudaSoftmaxBackwardRows =
#include "codegen/device/softmax_backward_rows.cuh.inc"
    ;

/// codegen/device/param_grad_warp_sum.cuh: CUDA: a parameter gradient's
/// adds summed per warp group before the atomic
inline constexpr const char *kCudaParamGradWarpSum =
#include "codegen/device/param_grad_warp_sum.cuh.inc"
    ;

/// codegen/device/softmax_backward_tensor_core.cuh: CUDA: the softmax
/// family's backward dK/dV and dQ kernels on mma.sync
inline constexpr const char *kCudaSoftmaxBackwardTensorCore =
#include "codegen/device/softmax_backward_tensor_core.cuh.inc"
    ;

} // namespace attnc

#endif // ATTNC_CODEGEN_DEVICESOURCES_H
