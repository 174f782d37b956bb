//===- RoutingClause.cpp - Masks that route tokens by id ------------------===//

#include "lib/Analysis/RoutingClause.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;

namespace attnc {

bool RoutingSide::perHead() const {
  return llvm::is_contained(args, 1u);
}

namespace {

void conjuncts(Value v, std::vector<Value> &out) {
  if (auto a = v.getDefiningOp<arith::AndIOp>()) {
    conjuncts(a.getLhs(), out);
    conjuncts(a.getRhs(), out);
    return;
  }
  out.push_back(v);
}

/// `extsi(param P[...])` with every index a block argument among b, h and
/// `position` (2 for q, 3 for k), reading `position` once.
std::optional<RoutingSide> sideOf(Value v, unsigned position) {
  auto ext = v.getDefiningOp<arith::ExtSIOp>();
  if (!ext)
    return std::nullopt;
  auto read = ext.getIn().getDefiningOp<attn::ParamOp>();
  if (!read || !read.getType().isInteger(32))
    return std::nullopt;
  RoutingSide side{read, {}};
  int positions = 0;
  for (Value index : read.getIndices()) {
    auto arg = dyn_cast<BlockArgument>(index);
    if (!arg)
      return std::nullopt;
    const unsigned n = arg.getArgNumber();
    if (n != 0 && n != 1 && n != position)
      return std::nullopt;
    positions += n == position;
    side.args.push_back(n);
  }
  if (positions != 1)
    return std::nullopt;
  return side;
}

} // namespace

std::optional<RoutingClause> findRoutingClause(attn::AttentionOp op) {
  Value result = op.getMask().front().getTerminator()->getOperand(0);
  std::vector<Value> all;
  conjuncts(result, all);
  for (Value v : all) {
    auto cmp = v.getDefiningOp<arith::CmpIOp>();
    if (!cmp || cmp.getPredicate() != arith::CmpIPredicate::eq)
      continue;
    for (int swap = 0; swap < 2; ++swap) {
      Value a = swap ? cmp.getRhs() : cmp.getLhs();
      Value b = swap ? cmp.getLhs() : cmp.getRhs();
      std::optional<RoutingSide> q = sideOf(a, 2), k = sideOf(b, 3);
      if (q && k)
        return RoutingClause{*q, *k, all.size() == 1};
    }
  }
  return std::nullopt;
}

} // namespace attnc
