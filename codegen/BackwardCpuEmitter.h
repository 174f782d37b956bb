//===- BackwardCpuEmitter.h - The softmax backward as C++ -------*- C++ -*-===//
//
// Translates an attn.attention's CPU backward kernel
// (`attn.kernel @<name>_cpu_backward`, attn-convert-softmax-backward-to-
// kernel) into C++ appended to the forward's source: the score's
// derivative region and parameter-gradient writers, printed from the IR,
// and the fixed backward schedule of codegen/device/cpu_softmax_backward.h.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_BACKWARDCPUEMITTER_H
#define ATTNC_CODEGEN_BACKWARDCPUEMITTER_H

#include "dialect/AttnKernelOps.h"

#include "llvm/Support/raw_ostream.h"

#include <string>

namespace attnc {

/// The op's CPU backward kernel, or null when it has none (not
/// differentiated, or compiled without --backward).
mlir::attn::KernelFuncOp findCpuBackwardKernel(mlir::Operation *op);

/// `attnc_<name>_cpu_backward` when the op has a CPU backward kernel, else "".
std::string cpuBackwardEntryName(mlir::Operation *op);

/// Prints the backward entry of `kernel` (after the forward of the same op,
/// whose prelude, plan and score functions it uses). Fails with an error at
/// the first op of the kernel it cannot translate.
mlir::LogicalResult emitSoftmaxBackwardCpu(mlir::attn::AttentionOp op,
                                           mlir::attn::KernelFuncOp kernel,
                                           llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_CODEGEN_BACKWARDCPUEMITTER_H
