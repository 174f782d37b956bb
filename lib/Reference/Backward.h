//===- Backward.h - The reference backward pass -----------------*- C++ -*-===//
//
// Gradients of the softmax family's output, evaluated the plain way: per
// query row, recompute the visible scores and weights, then apply the
// chain rule of the normalizer by hand and the score's derivative region
// (score_vjp, from attn-differentiate) per visible key, all in double. Like
// the forward reference it is the oracle for every backend's backward, and
// it is itself checked against central finite differences of the forward
// (GradientCheck.h).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_REFERENCE_BACKWARD_H
#define ATTNC_LIB_REFERENCE_BACKWARD_H

#include "lib/Reference/Reference.h"

namespace attnc::reference {

/// d(loss)/d(input) for loss = sum(o * dO).
struct Gradients {
  Tensor dq; ///< [B, H, Nq, D]
  Tensor dk; ///< [B, G, Nk, D], summed over the query heads of a group
  Tensor dv; ///< [B, G, Nk, Dv]
  /// One per f32 parameter that is not frozen, shaped like it.
  llvm::StringMap<ParamValues> params;
};

/// The parameters that get a gradient: f32 and not frozen, in declaration
/// order.
std::vector<std::string> differentiableParams(mlir::Operation *op);

/// Checks dO against the op and q: [B, H, Nq, Dv]. "" when it fits.
std::string checkOutputGradient(mlir::Operation *op, const Problem &p,
                                const Tensor &dO);

/// The backward pass of `op` (attn.attention carrying its score_vjp region:
/// run attn-differentiate first) on checked inputs and dO. Rows with no
/// visible key get zero gradients. Fails with `error` set for an op it
/// cannot differentiate or a parameter read out of range.
mlir::LogicalResult runBackward(mlir::Operation *op, const Inputs &inputs,
                                const Tensor &dO, Gradients &gradients,
                                std::string &error);

} // namespace attnc::reference

#endif // ATTNC_LIB_REFERENCE_BACKWARD_H
