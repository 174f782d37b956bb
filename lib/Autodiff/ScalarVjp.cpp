//===- ScalarVjp.cpp - Reverse-mode derivatives of attn regions -----------===//
//
// This file implements emitScalarVjp: forward recompute, then one
// derivative rule per op, applied last op first. Rules read the recomputed
// operands and result (`a`, `b`, `r`) and the result's adjoint (`g`), and
// add a contribution to each float operand's adjoint.
//
//===----------------------------------------------------------------------===//

#include "lib/Autodiff/ScalarVjp.h"

#include "dialect/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cstdlib>

using namespace mlir;

namespace attnc::autodiff {
namespace {

/// Builds the adjoint arithmetic. Every helper folds (a product with 1, a
/// sum with 0), so that `s` differentiated by `s` reads as `dt`.
class AdjointBuilder {
public:
  AdjointBuilder(OpBuilder &builder, Location loc) : b(builder), loc(loc) {}

  Value constant(Type type, double v) {
    return b.create<arith::ConstantOp>(loc, type, b.getFloatAttr(type, v));
  }
  Value add(Value x, Value y) { return b.createOrFold<arith::AddFOp>(loc, x, y); }
  Value sub(Value x, Value y) { return b.createOrFold<arith::SubFOp>(loc, x, y); }
  Value mul(Value x, Value y) { return b.createOrFold<arith::MulFOp>(loc, x, y); }
  Value div(Value x, Value y) { return b.createOrFold<arith::DivFOp>(loc, x, y); }
  Value neg(Value x) { return b.createOrFold<arith::NegFOp>(loc, x); }
  Value cmp(arith::CmpFPredicate p, Value x, Value y) {
    return b.createOrFold<arith::CmpFOp>(loc, p, x, y);
  }
  Value select(Value c, Value x, Value y) {
    return b.createOrFold<arith::SelectOp>(loc, c, x, y);
  }
  /// -1, 0 or 1; 0 at 0 (torch.sign, and so abs'(0) = 0).
  Value sign(Value x) {
    Type t = x.getType();
    Value zero = constant(t, 0);
    return select(cmp(arith::CmpFPredicate::OGT, x, zero), constant(t, 1),
                  select(cmp(arith::CmpFPredicate::OLT, x, zero),
                         constant(t, -1), zero));
  }
  /// The share of a min/max's gradient that goes to its first operand:
  /// 1 where it alone is chosen, 1/2 at a tie (torch.minimum/maximum).
  Value firstShare(arith::CmpFPredicate wins, Value x, Value y) {
    Type t = x.getType();
    return select(cmp(wins, x, y), constant(t, 1),
                  select(cmp(arith::CmpFPredicate::OEQ, x, y),
                         constant(t, 0.5), constant(t, 0)));
  }

  OpBuilder &b;
  Location loc;
};

/// The declaration of the parameter an attn.param reads.
attn::ParamAttr declarationOf(attn::ParamOp read) {
  Operation *parent = read->getParentOp();
  while (parent && !isa<attn::AttentionOp, attn::LinearAttentionOp>(parent))
    parent = parent->getParentOp();
  if (!parent)
    return {};
  return TypeSwitch<Operation *, attn::ParamAttr>(parent)
      .Case<attn::AttentionOp, attn::LinearAttentionOp>(
          [&](auto op) { return op.lookupParam(read.getName()); });
}

/// Mutation testing (docs/testing.md): ATTNC_MUTATE_DERIVATIVE=<op name>
/// negates that op's rule, which the finite-difference tests must catch.
bool isMutated(Operation &op) {
  static const char *mutated = std::getenv("ATTNC_MUTATE_DERIVATIVE");
  return mutated && op.getName().getStringRef() == mutated;
}

} // namespace

FailureOr<SmallVector<Value>>
emitScalarVjp(OpBuilder &builder, Block &source, ValueRange arguments,
              Value seed,
              llvm::function_ref<bool(attn::ParamAttr)> differentiable) {
  // Forward recompute: the rules read intermediate values.
  IRMapping forward;
  for (auto [arg, value] : llvm::zip(source.getArguments(), arguments))
    forward.map(arg, value);
  for (Operation &op : source.without_terminator())
    builder.clone(op, forward);

  llvm::DenseMap<Value, Value> adjoint; // source value -> its gradient
  auto accumulate = [&](AdjointBuilder &ab, Value of, Value contribution) {
    if (!contribution || !isa<FloatType>(of.getType()))
      return;
    Value &slot = adjoint[of];
    slot = slot ? ab.add(slot, contribution) : contribution;
  };
  auto yield = cast<attn::YieldOp>(source.getTerminator());
  if (isa<FloatType>(yield.getValue().getType()))
    adjoint[yield.getValue()] = seed;

  for (Operation &op : llvm::reverse(source.without_terminator())) {
    if (op.getNumResults() != 1)
      return op.emitError() << "attn-differentiate: no derivative rule for '"
                            << op.getName() << "'";
    Value result = op.getResult(0);
    Value g = adjoint.lookup(result);
    if (!g)
      continue; // The yielded value does not depend on this one.
    AdjointBuilder ab(builder, op.getLoc());
    auto in = [&](unsigned i) { return forward.lookup(op.getOperand(i)); };
    Value r = forward.lookup(result);
    auto to = [&](unsigned i, Value contribution) {
      if (contribution && isMutated(op))
        contribution = ab.neg(contribution);
      accumulate(ab, op.getOperand(i), contribution);
    };
    bool known =
        TypeSwitch<Operation *, bool>(&op)
            .Case([&](arith::AddFOp) {
              to(0, g);
              to(1, g);
              return true;
            })
            .Case([&](arith::SubFOp) {
              to(0, g);
              to(1, ab.neg(g));
              return true;
            })
            .Case([&](arith::MulFOp) {
              to(0, ab.mul(g, in(1)));
              to(1, ab.mul(g, in(0)));
              return true;
            })
            .Case([&](arith::DivFOp) { // r = a / b
              to(0, ab.div(g, in(1)));
              to(1, ab.neg(ab.div(ab.mul(g, r), in(1))));
              return true;
            })
            .Case([&](arith::RemFOp) { // r = a - b * trunc(a / b)
              to(0, g);
              to(1, ab.neg(ab.mul(g, ab.div(ab.sub(in(0), r), in(1)))));
              return true;
            })
            .Case([&](arith::NegFOp) {
              to(0, ab.neg(g));
              return true;
            })
            .Case([&](arith::SelectOp) {
              Value zero = ab.constant(g.getType(), 0);
              to(1, ab.select(in(0), g, zero));
              to(2, ab.select(in(0), zero, g));
              return true;
            })
            .Case([&](arith::MinimumFOp) {
              Value share =
                  ab.firstShare(arith::CmpFPredicate::OLT, in(0), in(1));
              to(0, ab.mul(g, share));
              to(1, ab.mul(g, ab.sub(ab.constant(g.getType(), 1), share)));
              return true;
            })
            .Case([&](arith::MaximumFOp) {
              Value share =
                  ab.firstShare(arith::CmpFPredicate::OGT, in(0), in(1));
              to(0, ab.mul(g, share));
              to(1, ab.mul(g, ab.sub(ab.constant(g.getType(), 1), share)));
              return true;
            })
            .Case([&](math::ExpOp) {
              to(0, ab.mul(g, r));
              return true;
            })
            .Case([&](math::ExpM1Op) {
              to(0, ab.mul(g, ab.add(r, ab.constant(g.getType(), 1))));
              return true;
            })
            .Case([&](math::LogOp) {
              to(0, ab.div(g, in(0)));
              return true;
            })
            .Case([&](math::Log1pOp) {
              to(0, ab.div(g, ab.add(in(0), ab.constant(g.getType(), 1))));
              return true;
            })
            .Case([&](math::SqrtOp) {
              to(0, ab.div(ab.mul(g, ab.constant(g.getType(), 0.5)), r));
              return true;
            })
            .Case([&](math::TanhOp) {
              Value one = ab.constant(g.getType(), 1);
              to(0, ab.mul(g, ab.sub(one, ab.mul(r, r))));
              return true;
            })
            .Case([&](math::SinOp) {
              to(0, ab.mul(g, builder.create<math::CosOp>(op.getLoc(), in(0))));
              return true;
            })
            .Case([&](math::CosOp) {
              to(0, ab.neg(ab.mul(
                        g, builder.create<math::SinOp>(op.getLoc(), in(0)))));
              return true;
            })
            .Case([&](math::AbsFOp) {
              to(0, ab.mul(g, ab.sign(in(0))));
              return true;
            })
            .Case([&](math::FloorOp) { return true; }) // 0 almost everywhere
            .Case([&](math::PowFOp) { // r = a ^ b
              Type t = g.getType();
              Value zero = ab.constant(t, 0), one = ab.constant(t, 1);
              Value a = in(0), e = in(1);
              Value da = ab.mul(
                  g, ab.mul(e, builder.create<math::PowFOp>(op.getLoc(), a,
                                                            ab.sub(e, one))));
              to(0, ab.select(ab.cmp(arith::CmpFPredicate::OEQ, e, zero),
                              zero, da));
              Value db = ab.mul(
                  g, ab.mul(r, builder.create<math::LogOp>(op.getLoc(), a)));
              Value flat = builder.create<arith::AndIOp>(
                  op.getLoc(), ab.cmp(arith::CmpFPredicate::OEQ, a, zero),
                  ab.cmp(arith::CmpFPredicate::OGE, e, zero));
              to(1, ab.select(flat, zero, db));
              return true;
            })
            .Case([&](attn::ParamOp read) {
              attn::ParamAttr param = declarationOf(read);
              if (!param || !param.getElementType().isF32() ||
                  param.getFrozen() || !differentiable(param))
                return true;
              SmallVector<Value> indices;
              for (Value index : read.getIndices())
                indices.push_back(forward.lookup(index));
              builder.create<attn::ParamGradOp>(op.getLoc(), read.getName(),
                                                indices, g);
              return true;
            })
            // Float values produced from integers or constants: no operand
            // to pass a gradient to.
            .Case<arith::ConstantOp, arith::SIToFPOp>(
                [&](Operation *) { return true; })
            .Default([&](Operation *) { return false; });
    if (!known)
      return op.emitError() << "attn-differentiate: no derivative rule for '"
                            << op.getName() << "'";
  }

  SmallVector<Value> gradients;
  for (BlockArgument arg : source.getArguments())
    gradients.push_back(adjoint.lookup(arg));
  return gradients;
}

void eraseDeadOps(Block &block) {
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(block)))
    if (isOpTriviallyDead(&op))
      op.erase();
}

} // namespace attnc::autodiff
