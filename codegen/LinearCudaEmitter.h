//===- LinearCudaEmitter.h - The chunked linear schedule as CUDA *- C++ -*-===//
//
// Translates a scheduled attn.linear_attention into one self-contained .cu
// file (only CUDA toolkit headers) and a C header with its host launcher:
// one thread block per (value tile, head, batch) walking the keys chunk by
// chunk with its state tile in shared memory, the same algorithm as the CPU
// backend (LinearCpuEmitter.h) in plain SIMT code.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_LINEARCUDAEMITTER_H
#define ATTNC_CODEGEN_LINEARCUDAEMITTER_H

#include "codegen/CudaEmitter.h"
#include "dialect/AttnOps.h"

#include "llvm/Support/raw_ostream.h"

namespace attnc {

/// Why `op` has no CUDA kernel (its shared memory does not fit a block), or
/// "" when it has one. Emits nothing: a package can then keep only its CPU
/// backend.
std::string linearCudaUnsupported(mlir::attn::LinearAttentionOp op);

/// The launch configuration of `op`: grid (value tiles, H, B). Fails with an
/// error on `op` when no chunk and value tile fit in shared memory.
mlir::FailureOr<CudaLaunchInfo>
linearCudaLaunchInfo(mlir::attn::LinearAttentionOp op);

/// Emits the .cu translation unit of `op`.
mlir::LogicalResult emitLinearCuda(mlir::attn::LinearAttentionOp op,
                                   llvm::raw_ostream &os);

/// Emits the C header declaring the host launcher of `op`.
mlir::LogicalResult emitLinearCudaHeader(mlir::attn::LinearAttentionOp op,
                                         llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_CODEGEN_LINEARCUDAEMITTER_H
