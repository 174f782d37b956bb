//===- BackwardCudaEmitter.h - The softmax backward as CUDA -----*- C++ -*-===//
//
// Translates an attn.attention's CUDA backward kernel
// (`attn.kernel @<name>_cuda_backward`, path backward_simt, built by
// attn-convert-softmax-backward-to-kernel) into CUDA C++ appended to the
// forward's .cu: the backward's block plan on its own tiles, the score's
// derivative region and parameter-gradient writers printed from the IR,
// and the fixed kernels of codegen/device/softmax_backward_simt.cuh.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_BACKWARDCUDAEMITTER_H
#define ATTNC_CODEGEN_BACKWARDCUDAEMITTER_H

#include "dialect/AttnKernelOps.h"

#include "llvm/Support/raw_ostream.h"

#include <string>

namespace attnc {

/// The op's CUDA backward kernel, or null when it has none (not
/// differentiated, compiled without --backward, or a variant the CUDA
/// backward does not cover yet: content-based selection, hybrids).
mlir::attn::KernelFuncOp findCudaBackwardKernel(mlir::Operation *op);

/// What the runtime needs to launch the backward (the manifest's
/// `cuda.backward`): the four kernels' names, the plan's tiles, threads and
/// dynamic shared memory.
struct CudaBackwardInfo {
  std::string rowsKernel, keyMajorKernel, queryMajorKernel, paramsKernel;
  int64_t blockQ = 0, blockK = 0, threads = 0, sharedBytes = 0;
  /// The kernels walk a runtime block mask when given one (the tensor-core
  /// path on the forward's tiles, so the forward's mask fits them).
  bool blockMask = false;
};

/// The launch information of the op's CUDA backward, or nullopt when it has
/// none.
std::optional<CudaBackwardInfo> cudaBackwardInfo(mlir::Operation *op);

/// Prints the backward kernels of `kernel` (after the forward of the same
/// op, whose prelude, parameter readers and score functions they use).
/// Fails with an error at the first op it cannot translate.
mlir::LogicalResult emitSoftmaxBackwardCuda(mlir::attn::AttentionOp op,
                                            mlir::attn::KernelFuncOp kernel,
                                            llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_CODEGEN_BACKWARDCUDAEMITTER_H
