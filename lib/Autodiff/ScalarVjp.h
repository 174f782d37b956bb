//===- ScalarVjp.h - Reverse-mode derivatives of attn regions ---*- C++ -*-===//
//
// The backward pass of every attn region (score, and later feature maps,
// decays and gates) is built here, from one rule per arith/math op: the
// region's scalar computation is recomputed, then walked backwards
// accumulating adjoints (reverse-mode automatic differentiation). Nothing
// else in attnc knows a derivative, so a rule fixed here is fixed for every
// variant and backend.
//
// Conventions where the derivative is undefined (PyTorch's):
//   abs'(0) = 0, floor' = 0, select/where: the taken branch only,
//   min/max at a tie: half to each side (torch.minimum/maximum; so
//   relu(x) = max(x, 0) has derivative 1/2 at exactly 0),
//   pow(a, b): d/da = 0 where b = 0, d/db = 0 where a = 0 and b >= 0.
// Integer values (positions, i32 parameters, comparisons) have none.
//
// For mutation tests, the environment variable ATTNC_MUTATE_DERIVATIVE set
// to an op name (e.g. math.tanh) negates that op's rule.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_AUTODIFF_SCALARVJP_H
#define ATTNC_LIB_AUTODIFF_SCALARVJP_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"

#include "llvm/ADT/STLFunctionalExtras.h"

namespace mlir::attn {
class ParamAttr;
} // namespace mlir::attn

namespace attnc::autodiff {

/// Emits at `builder`'s insertion point the vector-Jacobian product of the
/// value `source` (a block ending in attn.yield of an f32) yields:
///  - `arguments` stand for `source`'s block arguments (one each);
///  - `seed` is the gradient of the loss with respect to the yielded value;
///  - every read of an f32 parameter for which `differentiable` holds gets
///    an attn.param_grad adding seed times its partial derivative.
/// Returns one gradient per block argument, null where the argument is not
/// a float or the value does not depend on it. Fails (with an error on the
/// op) for an op without a rule.
mlir::FailureOr<llvm::SmallVector<mlir::Value>>
emitScalarVjp(mlir::OpBuilder &builder, mlir::Block &source,
              mlir::ValueRange arguments, mlir::Value seed,
              llvm::function_ref<bool(mlir::attn::ParamAttr)> differentiable);

/// Erases the ops of `block` whose results are unused and that have no
/// side effects (the parts of a recomputed forward the gradient does not
/// need), last first.
void eraseDeadOps(mlir::Block &block);

} // namespace attnc::autodiff

#endif // ATTNC_LIB_AUTODIFF_SCALARVJP_H
