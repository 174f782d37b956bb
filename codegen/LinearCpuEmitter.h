//===- LinearCpuEmitter.h - The chunked linear schedule as C++ --*- C++ -*-===//
//
// Translates a blocked attn.linear_attention (one carrying its chunk plan)
// into one self-contained C++ file: the chunked algorithm (intra-chunk
// quadratic product with a decay mask, inter-chunk through the carried
// state; the WY/UT form for the delta rule) in the plan's kernel forms.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_LINEARCPUEMITTER_H
#define ATTNC_CODEGEN_LINEARCPUEMITTER_H

#include "dialect/AttnOps.h"

#include "llvm/Support/raw_ostream.h"

namespace attnc {

/// Emits the CPU translation unit of `op`, which must carry a chunk plan
/// (attn-plan-chunks). The entry point is `cpuEntryName(op)`. Fails with an error
/// on `op` for what the chunked schedule does not cover.
mlir::LogicalResult emitLinearCpu(mlir::attn::LinearAttentionOp op,
                                  llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_CODEGEN_LINEARCPUEMITTER_H
