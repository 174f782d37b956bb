//===- CpuEmitter.h - The blocked schedule as C++ ---------------*- C++ -*-===//
//
// Translates a scheduled, classified attn.attention into one self-contained
// C++ file: OpenMP over (b, h, q-block), k-blocks from the block plan, mask
// code only in partial blocks, online softmax; loops the host compiler
// vectorizes.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_CPUEMITTER_H
#define ATTNC_CODEGEN_CPUEMITTER_H

#include "dialect/AttnOps.h"

#include "llvm/Support/raw_ostream.h"

namespace attnc {

/// The exported entry point's name for `op`.
std::string cpuEntryName(mlir::Operation *op);

/// Emits the CPU translation unit of `op` (which must carry a schedule and,
/// for the softmax family, a block map). Fails with an error on `op`.
mlir::LogicalResult emitCpu(mlir::Operation *op, llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_CODEGEN_CPUEMITTER_H
