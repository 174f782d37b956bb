//===- BackwardCommon.h - What the backward printers share ------*- C++ -*-===//
//
// The pieces of the softmax backward that the CPU and CUDA printers print
// alike: which parameters get a gradient (their slots), the check that a
// backward kernel is the schedule the embedded device code runs, and the
// score's derivative region (attn-differentiate) as a C function.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_BACKWARDCOMMON_H
#define ATTNC_CODEGEN_BACKWARDCOMMON_H

#include "dialect/AttnKernelOps.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace attnc {

/// A parameter with a gradient: its slot (0, 1, ... in manifest order), its
/// manifest index and its attribute.
struct GradParam {
  int slot, index;
  mlir::attn::ParamAttr param;
};

/// The float parameters that are not frozen, in manifest order.
llvm::SmallVector<GradParam> gradParams(mlir::attn::AttentionOp op);

/// The C expression of a parameter dimension's size (`b`, `h`, `n`, `d`).
std::string paramDimSize(const attnc::rt::ParamDim &dim,
                         mlir::attn::AttentionOp op);

/// Checks that `kernel` is the schedule the embedded code runs: the row
/// statistics, a key-major pass (q-block loop over the forward's tile walk,
/// score gradients adding the parameters' gradients, dK and dV stores) and
/// a query-major pass (k-block loop, dQ store), on [block_q, block_k] score
/// tiles. `printer` names the printer in errors.
mlir::LogicalResult checkBackwardSchedule(mlir::attn::AttentionOp op,
                                          mlir::attn::KernelFuncOp kernel,
                                          int64_t blockQ, int64_t blockK,
                                          llvm::StringRef printer);

/// Prints `attnc_param_grad_size(slot, args)` with `qualifiers` and one
/// writer `attnc_grad_<param>(args, pg, indices..., value)` per parameter
/// with a gradient, whose body adds `value` at the element's flat index:
/// `add(slot, flat)` returns that statement. An index outside the parameter
/// adds nothing (the forward read 0 there). `convergent`: the writers take
/// `bool live` after pg and never return early between their entry and
/// the add (which may then be a warp collective): a dead or out-of-range
/// element reaches it with value 0.
void emitParamGradWriters(
    mlir::attn::AttentionOp op, llvm::raw_ostream &os,
    llvm::StringRef qualifiers, llvm::StringRef pgType,
    llvm::function_ref<std::string(int slot, llvm::StringRef flat)> add,
    bool convergent = false);

/// Prints `attnc_score_vjp(args, pg, b, h, q, k, Nq, Nk, s, dt)`: ds from s
/// and dt, the op's score_vjp region, calling the writers above (with
/// `convergent`, `attnc_score_vjp(args, pg, live, ...)` passing `live` on).
mlir::LogicalResult emitScoreVjp(mlir::attn::AttentionOp op,
                                 llvm::raw_ostream &os,
                                 llvm::StringRef qualifiers,
                                 llvm::StringRef pgType,
                                 bool convergent = false);

/// 0 softmax, 1 sum, 2 none: the device code's kBackwardNormalize.
int backwardNormalizeCode(mlir::attn::AttentionOp op);

} // namespace attnc

#endif // ATTNC_CODEGEN_BACKWARDCOMMON_H
