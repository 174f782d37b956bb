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

/// The block-classification entry of a softmax-family CPU object
/// (`attnc_NAME_cpu_block_mask`, docs/runtime.md "Runtime block masks"); ""
/// for the linear family, which has none.
std::string cpuBlockMaskEntryName(mlir::Operation *op);

/// The heads dimension of a runtime block mask: H when the mask reads `h`
/// (per-head patterns), else 1 (one list shared by every head); 0 for the
/// linear family.
int64_t blockMaskHeads(mlir::Operation *op);

/// Whether the runtime builds a block mask on every call that brings none
/// (docs/runtime.md §3b, "automatic block masks"): a softmax op without
/// `select` or a hybrid whose mask reads a param. Such a mask cannot skip a
/// tile at compile time (the document mask walks the whole causal
/// triangle), and the builder does a subset of the static plan's work, so
/// the per-call build never costs more than it saves beyond its launches.
bool autoBlockMask(mlir::Operation *op);

/// Emits the CPU translation unit of `op` (which must carry a schedule and,
/// for the softmax family, a block map). Fails with an error on `op`.
mlir::LogicalResult emitCpu(mlir::Operation *op, llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_CODEGEN_CPUEMITTER_H
