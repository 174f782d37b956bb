//===- LinearCudaEmitter.h - The chunked linear schedule as CUDA *- C++ -*-===//
//
// Translates a planned attn.linear_attention into one self-contained .cu
// file (only CUDA toolkit headers; CudaEmitter.h emits the header for both
// families):
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

/// Emits the .cu translation unit of `op`.
mlir::LogicalResult emitLinearCuda(mlir::attn::LinearAttentionOp op,
                                   llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_CODEGEN_LINEARCUDAEMITTER_H
