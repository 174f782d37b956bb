//===- LinearCpuEmitter.h - The chunked linear schedule as C++ --*- C++ -*-===//
//
// Translates a scheduled attn.linear_attention into one self-contained C++
// file: OpenMP over (b, h), per task the chunked algorithm (intra-chunk
// quadratic product with a decay mask, inter-chunk through the carried
// state; the WY/UT form for the delta rule) with the op's chunk length.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_LINEARCPUEMITTER_H
#define ATTNC_CODEGEN_LINEARCPUEMITTER_H

#include "dialect/AttnOps.h"

#include "llvm/Support/raw_ostream.h"

namespace attnc {

/// Emits the CPU translation unit of `op`, which must carry a schedule (its
/// chunk length). The entry point is `cpuEntryName(op)`. Fails with an error
/// on `op` for what the chunked schedule does not cover.
mlir::LogicalResult emitLinearCpu(mlir::attn::LinearAttentionOp op,
                                  llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_CODEGEN_LINEARCPUEMITTER_H
