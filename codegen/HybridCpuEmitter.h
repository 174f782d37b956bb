//===- HybridCpuEmitter.h - The linear branch of a hybrid on CPU -*- C++ -*-===//
//
// A hybrid spec (docs/language.md §8b) fuses a linear-attention branch into
// the softmax kernel: elements the softmax branch does not take but the
// complement holds get the weight phi(q_i) . phi(k_j). The CPU backend
// folds whole complement tiles the softmax branch skipped into prefix sums
// of per-block linear states (sum over the tile of phi(k_j)^T v_j, in
// double) and evaluates element by element only the tiles it visits or the
// complement cuts, so the branch costs O(N) per row block, not O(N^2).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_HYBRIDCPUEMITTER_H
#define ATTNC_CODEGEN_HYBRIDCPUEMITTER_H

#include "dialect/AttnOps.h"

#include "llvm/Support/raw_ostream.h"

namespace attnc {

/// Emits what both backends' hybrid kernels use (after the schedule
/// macros): `HF`, `ATTNC_COMBINE_SHARED`, the complement's block plan
/// (`attnc_complement_plan_*`), `attnc_complement`, `attnc_combine_weight`
/// and the feature map `attnc_hphi`.
mlir::LogicalResult emitHybridCommon(mlir::attn::AttentionOp op,
                                     llvm::raw_ostream &os);

/// Emits, after the softmax kernel's schedule macros, the common part and
/// the CPU's `AttncHybrid` with `attnc_hybrid_prepare`/`attnc_hybrid_free` (per-(b, h) phi(k) and block
/// state prefix sums) and `attnc_hybrid_rows` (one q-block's linear branch
/// given the tiles the softmax branch visited).
mlir::LogicalResult emitHybridCpuSupport(mlir::attn::AttentionOp op,
                                         llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_CODEGEN_HYBRIDCPUEMITTER_H
