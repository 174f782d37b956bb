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

/// The backward's kernels launch without the opt-in attribute for more.
constexpr int64_t kCudaBackwardMaxSharedBytes = 48 * 1024;

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
