//===- TargetPlans.h - Verification of per-target kernel plans --*- C++ -*-===//
//
// Private to the dialect library: the op verifiers call these to check an
// op's `cuda_plan`, `cuda_unsupported` and `cpu_plan` against the op.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_DIALECT_TARGETPLANS_H
#define ATTNC_LIB_DIALECT_TARGETPLANS_H

#include "dialect/AttnOps.h"

namespace mlir::attn {

/// The plans of a softmax op describe it: path by dtype, the schedule's
/// tiles, the shared memory its buffers need.
LogicalResult verifyTargetPlans(AttentionOp op);

/// The plans of a linear op describe it: its chunk plan's chunk (or a
/// halving of it on CUDA), value tiles covering value_dim, the shared
/// memory of its buffer layout.
LogicalResult verifyTargetPlans(LinearAttentionOp op);

} // namespace mlir::attn

#endif // ATTNC_LIB_DIALECT_TARGETPLANS_H
