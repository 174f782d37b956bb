//===- BackwardCudaEmitter.cpp - The softmax backward as CUDA -------------===//
//
// This file implements the CUDA printer of the backward kernel. It reads
// the kernel IR (its plan must be a backward_simt plan, its passes, loops
// and score_gradient ops the schedule of softmax_backward_simt.cuh on that
// plan's tiles), prints the spec-dependent pieces (the block plan on the
// backward's tiles, the score_vjp region, one gradient writer per
// differentiable parameter) and embeds the fixed kernels.
//
//===----------------------------------------------------------------------===//

#include "codegen/BackwardCudaEmitter.h"

#include "codegen/BackwardCommon.h"
#include "codegen/DeviceSources.h"
#include "codegen/EmitterSupport.h"
#include "codegen/KernelPrelude.h"
#include "lib/Analysis/MaskClauses.h"

#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace mlir::attn;

namespace attnc {

KernelFuncOp findCudaBackwardKernel(Operation *op) {
  const std::string name =
      (SymbolTable::getSymbolName(op).getValue() + "_cuda_backward").str();
  auto kernel = dyn_cast_or_null<KernelFuncOp>(SymbolTable::lookupNearestSymbolFrom(
      op, StringAttr::get(op->getContext(), name)));
  return kernel && kernel.getSourceOp() == op ? kernel : KernelFuncOp();
}

std::optional<CudaBackwardInfo> cudaBackwardInfo(Operation *op) {
  KernelFuncOp kernel = findCudaBackwardKernel(op);
  if (!kernel)
    return std::nullopt;
  auto plan = cast<CudaPlanAttr>(kernel.getPlan());
  const std::string base = "attnc_" + kernelBaseName(op) + "_bwd_";
  CudaBackwardInfo info;
  info.rowsKernel = base + "rows";
  info.keyMajorKernel = base + "dkdv";
  info.queryMajorKernel = base + "dq";
  info.paramsKernel = base + "params";
  info.blockQ = plan.getBlockQ();
  info.blockK = plan.getBlockK();
  info.threads = plan.getThreads();
  info.sharedBytes = plan.getSharedBytes();
  return info;
}

LogicalResult emitSoftmaxBackwardCuda(AttentionOp op, KernelFuncOp kernel,
                                      raw_ostream &os) {
  auto plan = dyn_cast<CudaPlanAttr>(kernel.getPlan());
  if (!plan || plan.getPath() != CudaPath::backward_simt)
    return kernel.emitError()
           << "the CUDA backward printer handles path backward_simt only";
  if (op.getSelect() || op.getHybridFeature())
    return kernel.emitError() << "the CUDA backward does not cover "
                                 "content-based selection or hybrids yet";
  if (failed(checkBackwardSchedule(op, kernel, plan.getBlockQ(),
                                   plan.getBlockK(), "CUDA")))
    return failure();
  CudaBackwardInfo info = *cudaBackwardInfo(op);
  os << "\n// ==== backward: attn.kernel @" << kernel.getSymName()
     << " (docs/codegen.md, \"Backward, CUDA\") ====\n"
     << "#define BBQ " << plan.getBlockQ() << "\n#define BBK "
     << plan.getBlockK() << "\n#define BNT " << plan.getThreads() << "\n"
     << "#define ATTNC_BWD_ROWS_KERNEL " << info.rowsKernel << "\n"
     << "#define ATTNC_BWD_DKDV_KERNEL " << info.keyMajorKernel << "\n"
     << "#define ATTNC_BWD_DQ_KERNEL " << info.queryMajorKernel << "\n"
     << "#define ATTNC_BWD_PARAMS_KERNEL " << info.paramsKernel << "\n";
  // The static block plan on the backward's tiles: exact at any tile size.
  emitBlockPlan(os, clausesFromAttr(op.getBlockMapAttr()), plan.getBlockQ(),
                plan.getBlockK(), "bwd");
  // One double accumulator per element, slot after slot (scratch[2]).
  emitParamGradWriters(op, os, "__device__ inline", "double *",
                       [](int slot, StringRef flat) {
                         return "atomicAdd(pg + attnc_param_grad_offset(" +
                                std::to_string(slot) + ", args) + " +
                                flat.str() + ", (double)value);";
                       });
  if (failed(emitScoreVjp(op, os, "__device__ inline", "double *")))
    return failure();
  os << "#define kBackwardNormalize " << backwardNormalizeCode(op)
     << " // 0 softmax, 1 sum, 2 none\n"
     << kSoftmaxBackwardWeight << kCudaSoftmaxBackwardSimt;
  return success();
}

} // namespace attnc
