//===- BackwardCudaEmitter.cpp - The softmax backward as CUDA -------------===//
//
// This file implements the CUDA printer of the backward kernel. It reads
// the kernel IR (its plan a backward_simt or backward_tensor_core plan, its
// passes, loops and score_gradient ops the schedule of
// softmax_backward_rows.cuh with softmax_backward_simt.cuh or
// softmax_backward_tensor_core.cuh on that plan's tiles), prints the spec-dependent pieces (the block plan on the
// backward's tiles, the score_vjp region, one gradient writer per
// differentiable parameter) and embeds the fixed kernels.
//
//===----------------------------------------------------------------------===//

#include "codegen/BackwardCudaEmitter.h"
#include "codegen/CudaEmitter.h"

#include "codegen/BackwardCommon.h"
#include "codegen/DeviceSources.h"
#include "codegen/EmitterSupport.h"
#include "codegen/KernelPrelude.h"
#include "dialect/CudaBudget.h"
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
  // A block mask is built on the schedule's tiles (the forward's); the
  // tensor-core kernels read one when their tiles are the same.
  auto attention = cast<AttentionOp>(op);
  ScheduleAttr schedule = attention.getScheduleAttr();
  // A box kernel (token grid) builds no block mask.
  info.blockMask = plan.getPath() == CudaPath::backward_tensor_core &&
                   !cudaBlockMaskKernelName(op).empty() &&
                   schedule && schedule.getBlockQ() == plan.getBlockQ() &&
                   schedule.getBlockK() == plan.getBlockK();
  return info;
}

LogicalResult emitSoftmaxBackwardCuda(AttentionOp op, KernelFuncOp kernel,
                                      raw_ostream &os) {
  auto plan = dyn_cast<CudaPlanAttr>(kernel.getPlan());
  if (!plan || !isBackwardPath(plan.getPath()))
    return kernel.emitError() << "the CUDA backward printer handles paths "
                                 "backward_simt and backward_tensor_core "
                                 "only";
  const bool tensorCores = plan.getPath() == CudaPath::backward_tensor_core;
  // The tensor-core kernels reuse the forward's mma wrappers and padded
  // head dims: they exist only in a tensor-core forward's .cu.
  auto forward = op.getCudaPlanAttr();
  if (tensorCores && (!forward || forward.getPath() != CudaPath::tensor_core))
    return kernel.emitError() << "a backward_tensor_core plan needs the "
                                 "forward on path tensor_core";
  if (op.getSelect() || op.getHybridFeature())
    return kernel.emitError() << "the CUDA backward does not cover "
                                 "content-based selection or hybrids yet";
  if (failed(checkBackwardSchedule(op, kernel, plan.getBlockQ(),
                                   plan.getBlockK(), "CUDA")))
    return failure();
  // The query-major pass's k-loop says how K and V are buffered.
  WalkResult stagesMatch = kernel.walk([&](KBlockLoopOp loop) {
    if (loop.getStages() != plan.getStages()) {
      loop.emitError() << "expected " << plan.getStages()
                       << " stages, the plan's";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (stagesMatch.wasInterrupted())
    return failure();
  CudaBackwardInfo info = *cudaBackwardInfo(op);
  os << "\n// ==== backward: attn.kernel @" << kernel.getSymName()
     << " (docs/codegen.md, \"Backward, CUDA\") ====\n"
     << "#define BBQ " << plan.getBlockQ() << "\n#define BBK "
     << plan.getBlockK() << "\n#define BNT " << plan.getThreads() << "\n"
     << "#define BWARPS " << plan.getWarps() << "\n#define BSTAGES "
     << plan.getStages() << "\n"
     << "#define ATTNC_BWD_ROWS_KERNEL " << info.rowsKernel << "\n"
     << "#define ATTNC_BWD_DKDV_KERNEL " << info.keyMajorKernel << "\n"
     << "#define ATTNC_BWD_DQ_KERNEL " << info.queryMajorKernel << "\n"
     << "#define ATTNC_BWD_PARAMS_KERNEL " << info.paramsKernel << "\n";
  // The static block plan on the backward's tiles: exact at any tile size.
  emitBlockPlan(os, clausesFromAttr(op.getBlockMapAttr()), plan.getBlockQ(),
                plan.getBlockK(), "bwd");
  // One double accumulator per element, slot after slot (scratch[2]). The
  // tensor-core kernels call the writers from every lane at once and sum a
  // warp's adds to one address first (param_grad_warp_sum.cuh); the SIMT
  // kernels add element by element.
  if (tensorCores)
    os << kCudaParamGradWarpSum;
  emitParamGradWriters(
      op, os, "__device__ inline", "double *",
      [&](int slot, StringRef flat) {
        const std::string at = "pg + attnc_param_grad_offset(" +
                               std::to_string(slot) + ", args) + " +
                               flat.str();
        return tensorCores ? "attnc_bwd_grad_add(" + at + ", (double)value);"
                           : "atomicAdd(" + at + ", (double)value);";
      },
      /*convergent=*/tensorCores);
  if (failed(emitScoreVjp(op, os, "__device__ inline", "double *",
                          /*convergent=*/tensorCores)))
    return failure();
  // The forward's lse came from __expf on the tensor-core path: the
  // backward's P uses the same exponential (ex2.approx, 2 instructions).
  if (tensorCores)
    os << "#define ATTNC_BWD_FAST_EXP 1\n";
  os << "#define kBackwardNormalize " << backwardNormalizeCode(op)
     << " // 0 softmax, 1 sum, 2 none\n"
     << kSoftmaxBackwardWeight << kCudaSoftmaxBackwardRows
     << (tensorCores ? kCudaSoftmaxBackwardTensorCore
                     : kCudaSoftmaxBackwardSimt);
  return success();
}

} // namespace attnc
