//===- CudaBudget.h - Shared-memory budgets of the CUDA kernels -*- C++ -*-===//
//
// The one definition of how much shared memory each CUDA kernel design
// needs for a given plan, and of the hardware limit every plan must fit.
// attn-plan-kernel chooses with it, the op verifiers check plans against
// it, and the CUDA emitter prints the linear kernel's buffer offsets from
// it: nothing else computes these sizes.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECT_CUDABUDGET_H
#define ATTNC_DIALECT_CUDABUDGET_H

#include "dialect/AttnOps.h"

#include <array>
#include <cstdint>

namespace mlir::attn {

/// Largest dynamic shared memory per block on sm_80 (A100); sm_90 allows
/// more, but one package serves both.
constexpr int64_t kCudaMaxSharedBytes = 163 * 1024;

/// Split-KV decode (cuda_plan kv_splits): the most splits of one
/// sequence's k-tiles a plan may allow, and the most attn-plan-kernel gives
/// a softmax plan (the count per call: runtime/include/attnc/kv_splits.h).
constexpr int64_t kMaxKvSplits = 256;
constexpr int64_t kPlannedKvSplits = 64;

constexpr int64_t roundUpTo(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

/// Head dimensions as the tensor-core path stores them: a whole number of
/// k16 fragments.
constexpr int64_t tensorCorePaddedDim(int64_t d) { return roundUpTo(d, 16); }

/// Shared memory of the softmax kernel's k-loop: Q tile and `stages` K/V
/// tiles on the tensor-core path (16-bit storage), Q, O and one K/V tile
/// (padded rows, f32) on the SIMT path.
int64_t softmaxCudaMainShared(CudaPath path, int64_t blockQ, int64_t blockK,
                              int64_t stages, int64_t headDim,
                              int64_t valueDim);

/// Extra shared memory of a hybrid's linear branch (after the k-loop).
/// The backward's SIMT kernels (codegen/device/softmax_backward_simt.cuh):
/// one layout for the key-major and query-major passes, rows padded by one
/// float: K, V, Q, dO, P, dS tiles and the q-block's row statistics.
int64_t softmaxCudaBackwardShared(int64_t blockQ, int64_t blockK,
                                  int64_t headDim, int64_t valueDim);

/// The backward's SIMT kernels launch without the opt-in attribute for
/// more.
constexpr int64_t kCudaBackwardMaxSharedBytes = 48 * 1024;

/// The backward's tensor-core kernels
/// (codegen/device/softmax_backward_tensor_core.cuh), square tiles: one
/// layout for both passes, 16-bit tiles with rows padded to whole k16
/// fragments: the pair a pass keeps (K, V or Q, dO), `stages` copies of the
/// pair it streams, and `stages` copies of the q-block's row statistics.
/// Above 48 KiB the runtime sets the opt-in attribute (head_dim 128 with
/// 64 x 64 tiles and 2 stages needs 97 KiB).
int64_t softmaxCudaBackwardTensorCoreShared(int64_t tile, int64_t stages,
                                            int64_t headDim,
                                            int64_t valueDim);

/// The two CUDA paths of the backward kernel (its own plan, not the op's).
inline bool isBackwardPath(CudaPath path) {
  return path == CudaPath::backward_simt ||
         path == CudaPath::backward_tensor_core;
}

int64_t softmaxCudaHybridShared(int64_t blockQ, int64_t blockK,
                                int64_t valueDim, int64_t featureDim);

/// The linear kernel's shared-memory buffers, in layout order (doubles
/// first for alignment).
enum class LinearBuffer {
  A, Stat, Sg, S, Z, Den, Qf, Kf, V, P, P2, W, U, Beta, X
};
constexpr int kLinearBufferCount = 15;

/// Byte offsets (16-byte aligned) of the buffers and the total.
struct LinearCudaLayout {
  std::array<int64_t, kLinearBufferCount> offset{};
  int64_t bytes = 0;
};

/// The buffer name the kernel text uses (OFF_<name>).
const char *linearBufferName(LinearBuffer buffer);

/// The row stride of phi(Q) and phi(K) in shared memory: odd, so that the
/// 32 threads of a warp that read one channel of 32 different rows (the
/// intra-chunk products) hit 32 different banks.
constexpr int64_t linearFeatureStride(int64_t featureDim) {
  return featureDim | 1;
}

/// The layout of `op`'s kernel for chunk `chunk` and value tile `tile`.
LinearCudaLayout linearCudaLayout(LinearAttentionOp op, int64_t chunk,
                                  int64_t tile);

} // namespace mlir::attn

#endif // ATTNC_DIALECT_CUDABUDGET_H
