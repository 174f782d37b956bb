//===- CudaBudget.cpp - Shared-memory budgets of the CUDA kernels ---------===//
//
// This file implements the shared-memory sizes of the CUDA kernel designs
// (dialect/CudaBudget.h). The numbers mirror the buffers the device code
// declares: the softmax kernels' tiles and the linear kernel's OFF_* layout.
//
//===----------------------------------------------------------------------===//

#include "dialect/CudaBudget.h"

namespace mlir::attn {

int64_t softmaxCudaMainShared(CudaPath path, int64_t blockQ, int64_t blockK,
                              int64_t stages, int64_t headDim,
                              int64_t valueDim) {
  if (path == CudaPath::tensor_core) {
    const int64_t dp = tensorCorePaddedDim(headDim);
    const int64_t dvp = tensorCorePaddedDim(valueDim);
    return 2 * (blockQ * dp + stages * blockK * (dp + dvp));
  }
  // Rows padded by one float: the row-per-thread reads hit distinct banks.
  return 4 * (blockQ * (headDim + 1) + blockQ * (valueDim + 1) +
              blockK * headDim + blockK * valueDim);
}

int64_t softmaxCudaBackwardShared(int64_t blockQ, int64_t blockK,
                                  int64_t headDim, int64_t valueDim) {
  return 4 * ((blockQ + blockK) * (headDim + 1) +
              (blockQ + blockK) * (valueDim + 1) + 2 * blockQ * (blockK + 1) +
              2 * blockQ);
}

int64_t softmaxCudaBackwardTensorCoreShared(int64_t tile, int64_t stages,
                                            int64_t headDim,
                                            int64_t valueDim) {
  const int64_t dp = tensorCorePaddedDim(headDim),
                dvp = tensorCorePaddedDim(valueDim);
  return 2 * (1 + stages) * tile * (dp + dvp) + 4 * stages * 2 * tile;
}

int64_t softmaxCudaHybridShared(int64_t blockQ, int64_t blockK,
                                int64_t valueDim, int64_t featureDim) {
  return 4 * (blockQ * (valueDim + 1) + blockQ * featureDim + blockQ * blockK);
}

const char *linearBufferName(LinearBuffer buffer) {
  static const char *const kNames[kLinearBufferCount] = {
      "A", "STAT", "SG", "S", "Z", "DEN", "QF", "KF",
      "V", "P",    "P2", "W", "U", "BETA", "X"};
  return kNames[static_cast<int>(buffer)];
}

LinearCudaLayout linearCudaLayout(LinearAttentionOp op, int64_t chunk,
                                  int64_t tile) {
  const int64_t ch = chunk, dvt = tile, f = op.getFeatureDim();
  const DecayClass decay = op.getDecayClass();
  const bool delta = op.getUpdate() == Update::delta;
  const bool sum = op.getNormalize() == Normalize::sum;
  const int64_t gates = decay == DecayClass::none     ? 0
                        : decay == DecayClass::scalar ? ch + 1
                                                      : (ch + 1) * f;
  const bool rowStats = op.getFeature() == Feature::l2norm ||
                        op.getFeature() == Feature::hedgehog;
  int64_t size[kLinearBufferCount] = {};
  auto at = [&](LinearBuffer b) -> int64_t & {
    return size[static_cast<int>(b)];
  };
  at(LinearBuffer::A) = 8 * gates;
  at(LinearBuffer::Stat) = rowStats ? 16 * ch : 0; // a double or 4 floats a row
  at(LinearBuffer::Sg) = 4 * gates;
  at(LinearBuffer::S) = 4 * f * dvt;
  at(LinearBuffer::Z) = sum ? 4 * f : 0;
  at(LinearBuffer::Den) = sum ? 4 * ch : 0;
  at(LinearBuffer::Qf) = at(LinearBuffer::Kf) =
      4 * ch * linearFeatureStride(f);
  at(LinearBuffer::V) = 4 * ch * dvt;
  at(LinearBuffer::P) = 4 * ch * ch;
  at(LinearBuffer::P2) =
      delta && decay == DecayClass::per_channel ? 4 * ch * ch : 0;
  at(LinearBuffer::W) = delta ? 4 * ch * f : 0;
  at(LinearBuffer::U) = delta ? 4 * ch * dvt : 0;
  at(LinearBuffer::Beta) = delta ? 4 * ch : 0;
  at(LinearBuffer::X) = 4 * ch * op.getHeadDim();
  LinearCudaLayout layout;
  for (int i = 0; i < kLinearBufferCount; ++i) {
    layout.offset[i] = layout.bytes;
    layout.bytes += roundUpTo(size[i], 16);
  }
  return layout;
}

} // namespace mlir::attn
