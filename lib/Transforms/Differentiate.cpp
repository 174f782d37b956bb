//===- Differentiate.cpp - Derivative regions for the backward pass -------===//
//
// This file implements attn-differentiate: the score region of every
// attn.attention gets its vector-Jacobian product as the `score_vjp`
// region, built by lib/Autodiff from the score's own ops. The backward
// kernels and the reference backward evaluate it once per visible (q, k):
// dT (the gradient of the loss with respect to the score's value) in,
// dS (with respect to s = scale * q.k) out, parameter gradients added.
//
//===----------------------------------------------------------------------===//

#include "dialect/AttnPasses.h"
#include "lib/Autodiff/ScalarVjp.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#define DEBUG_TYPE "attn-differentiate"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNDIFFERENTIATEPASS
#include "dialect/AttnPasses.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Folds constants and applies the canonical simplifications inside a
/// derivative region only (the forward regions stay as the spec wrote
/// them), so that --emit=backward reads like the derivative on paper.
LogicalResult simplify(Region &region) {
  MLIRContext *ctx = region.getContext();
  RewritePatternSet patterns(ctx);
  for (Dialect *dialect : ctx->getLoadedDialects())
    dialect->getCanonicalizationPatterns(patterns);
  for (RegisteredOperationName name : ctx->getRegisteredOperations())
    name.getCanonicalizationPatterns(patterns, ctx);
  (void)applyPatternsAndFoldGreedily(region, std::move(patterns));
  return success();
}

/// An op the pass cannot differentiate: an error, or a warning when the
/// pipeline allows them.
LogicalResult unsupported(Operation *op, bool allow, StringRef what) {
  (allow ? op->emitWarning() : op->emitError())
      << "the backward pass of " << what << " is not supported yet";
  return success(allow);
}

LogicalResult differentiateScore(AttentionOp op, bool allowUnsupported) {
  if (!op.getScoreVjp().empty())
    return success(); // Already differentiated: the pass is idempotent.
  if (op.getHybridFeature())
    return unsupported(op, allowUnsupported, "sparse + linear hybrids");
  Block &score = op.getScore().front();
  OpBuilder builder(op.getContext());
  Block *vjp = builder.createBlock(&op.getScoreVjp());
  SmallVector<Location> locs(score.getNumArguments() + 1, op.getLoc());
  SmallVector<Type> types(score.getArgumentTypes());
  types.push_back(builder.getF32Type()); // dt
  vjp->addArguments(types, locs);
  builder.setInsertionPointToStart(vjp);

  Value dt = vjp->getArguments().back();
  auto gradients = attnc::autodiff::emitScalarVjp(
      builder, score, vjp->getArguments().drop_back(), dt,
      [](ParamAttr) { return true; });
  if (failed(gradients))
    return failure();
  Value ds = gradients->back(); // s is the score region's last argument
  if (!ds)
    ds = builder.create<arith::ConstantOp>(op.getLoc(),
                                           builder.getF32FloatAttr(0));
  builder.create<YieldOp>(op.getLoc(), ds);
  attnc::autodiff::eraseDeadOps(*vjp);
  return simplify(op.getScoreVjp());
}

struct AttnDifferentiatePass
    : mlir::attn::impl::AttnDifferentiatePassBase<AttnDifferentiatePass> {
  using AttnDifferentiatePassBase::AttnDifferentiatePassBase;
  void runOnOperation() override {
    bool ok = true;
    getOperation().walk([&](AttentionOp op) {
      ok &= succeeded(differentiateScore(op, allowUnsupported));
    });
    getOperation().walk([&](LinearAttentionOp op) {
      ok &= succeeded(unsupported(op, allowUnsupported, "the linear family"));
    });
    if (!ok)
      signalPassFailure();
  }
};

} // namespace
