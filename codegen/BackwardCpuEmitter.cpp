//===- BackwardCpuEmitter.cpp - The softmax backward as C++ ---------------===//
//
// This file implements the CPU printer of the backward kernel. It reads the
// kernel IR (its tiles must be the forward CPU plan's, whose block plan the
// backward walks; its passes, loops and score_gradient ops the schedule of
// cpu_softmax_backward.h), prints the spec-dependent pieces (the
// score_vjp region, one gradient writer per differentiable parameter) and
// embeds the fixed schedule.
//
//===----------------------------------------------------------------------===//

#include "codegen/BackwardCpuEmitter.h"

#include "codegen/BackwardCommon.h"
#include "codegen/CpuEmitter.h"
#include "codegen/DeviceSources.h"
#include "codegen/EmitterSupport.h"
#include "codegen/KernelPrelude.h"

#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace mlir::attn;

namespace attnc {

KernelFuncOp findCpuBackwardKernel(Operation *op) {
  const std::string name =
      (SymbolTable::getSymbolName(op).getValue() + "_cpu_backward").str();
  auto kernel = dyn_cast_or_null<KernelFuncOp>(
      SymbolTable::lookupNearestSymbolFrom(op,
                                           StringAttr::get(op->getContext(), name)));
  return kernel && kernel.getSourceOp() == op ? kernel : KernelFuncOp();
}

std::string cpuBackwardEntryName(Operation *op) {
  if (!findCpuBackwardKernel(op))
    return "";
  return cpuEntryName(op) + "_backward";
}

namespace {

/// Checks the kernel is the schedule the embedded code runs, on the forward
/// CPU plan's tiles.
LogicalResult checkSchedule(AttentionOp op, KernelFuncOp kernel) {
  auto plan = dyn_cast<CpuPlanAttr>(kernel.getPlan());
  if (!plan || plan != op.getCpuPlanAttr())
    return kernel.emitError() << "the CPU backward needs the forward's CPU "
                                 "plan (it walks the same block plan)";
  return checkBackwardSchedule(op, kernel, plan.getBlockQ(), plan.getBlockK(),
                               "CPU");
}

} // namespace

LogicalResult emitSoftmaxBackwardCpu(AttentionOp op, KernelFuncOp kernel,
                                     raw_ostream &os) {
  if (failed(checkSchedule(op, kernel)))
    return failure();
  os << "\n// ==== backward: attn.kernel @" << kernel.getSymName()
     << " (docs/codegen.md, \"Backward\") ====\n";
  // Per-thread double accumulators, one array per slot.
  emitParamGradWriters(op, os, "static inline", "double *const *",
                       [](int slot, StringRef flat) {
                         return "pg[" + std::to_string(slot) + "][" +
                                flat.str() + "] += value;";
                       });
  if (failed(emitScoreVjp(op, os, "static inline", "double *const *")))
    return failure();
  os << "static const int kBackwardNormalize = "
     << backwardNormalizeCode(op) << "; // 0 softmax, 1 sum, 2 none\n"
     << "// Content-based selection: the forward's tiles, rebuilt by its "
        "builder.\n"
     << "static const bool kBackwardSelected = "
     << (op.getSelect() ? "true" : "false") << ";\n"
     << "static int attnc_bwd_select(const AttncKernelArgs *args, int "
        "*counts, int *col,\n    unsigned char *full) {\n"
     << "  return " << cpuBlockMaskEntryName(op)
     << "(args, (int)H, counts, col, full, 0);\n}\n"
     << kSoftmaxBackwardWeight << kCpuSoftmaxBackward
     << "\n// The backward entry (docs/runtime.md, \"Backward\"): 0, 1 for "
        "bad arguments, 2 out of memory.\n"
     << "extern \"C\" int " << cpuBackwardEntryName(op)
     << "(const AttncKernelArgs *args, const AttncBackwardArgs *grads) {\n"
     << "  return attnc_softmax_backward(args, grads);\n}\n";
  return success();
}

} // namespace attnc
