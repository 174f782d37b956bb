//===- MaskClauses.cpp - Static analysis of a mask region -----------------===//
//
// This file implements the mask analysis declared in MaskClauses.h. It walks
// the def chain of the mask's attn.yield, pushing negations down to the
// comparisons (De Morgan), and linearizes integer expressions over the block
// arguments q, k, Nq and Nk. Anything else becomes an opaque atom, which can
// only shrink the visible set: bounds stay a sound over-approximation.
//
//===----------------------------------------------------------------------===//

#include "lib/Analysis/MaskClauses.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <optional>

using namespace mlir;

namespace attnc {
namespace {

/// c + q*q + k*k + nq*Nq + nk*Nk.
struct Linear {
  int64_t c = 0, q = 0, k = 0, nq = 0, nk = 0;
};

std::optional<int64_t> checkedAdd(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r))
    return std::nullopt;
  return r;
}
std::optional<int64_t> checkedMul(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r))
    return std::nullopt;
  return r;
}

std::optional<Linear> combine(const Linear &a, const Linear &b, int64_t sign) {
  Linear r;
  int64_t Linear::*fields[] = {&Linear::c, &Linear::q, &Linear::k,
                               &Linear::nq, &Linear::nk};
  for (auto f : fields) {
    auto scaled = checkedMul(b.*f, sign);
    if (!scaled)
      return std::nullopt;
    auto sum = checkedAdd(a.*f, *scaled);
    if (!sum)
      return std::nullopt;
    r.*f = *sum;
  }
  return r;
}

bool isConstant(const Linear &l) {
  return l.q == 0 && l.k == 0 && l.nq == 0 && l.nk == 0;
}

/// The linear form of an i64 value, if it has one.
std::optional<Linear> linearize(Value v, int depth = 0) {
  if (depth > 64)
    return std::nullopt;
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    Linear l;
    switch (arg.getArgNumber()) {
    case 2:
      l.q = 1;
      return l;
    case 3:
      l.k = 1;
      return l;
    case 4:
      l.nq = 1;
      return l;
    case 5:
      l.nk = 1;
      return l;
    default:
      return std::nullopt; // b and h: not handled statically
    }
  }
  Operation *op = v.getDefiningOp();
  if (auto c = dyn_cast<arith::ConstantOp>(op)) {
    if (auto i = dyn_cast<IntegerAttr>(c.getValue())) {
      Linear l;
      l.c = i.getValue().getSExtValue();
      return l;
    }
    return std::nullopt;
  }
  if (isa<arith::AddIOp, arith::SubIOp, arith::MulIOp>(op)) {
    auto a = linearize(op->getOperand(0), depth + 1);
    auto b = linearize(op->getOperand(1), depth + 1);
    if (!a || !b)
      return std::nullopt;
    if (isa<arith::AddIOp>(op))
      return combine(*a, *b, 1);
    if (isa<arith::SubIOp>(op))
      return combine(*a, *b, -1);
    if (!isConstant(*a) && !isConstant(*b))
      return std::nullopt;
    const Linear &scale = isConstant(*a) ? *a : *b;
    const Linear &form = isConstant(*a) ? *b : *a;
    return combine(Linear{}, form, scale.c);
  }
  return std::nullopt;
}

/// An atom of the DNF: a bound on k, or something the analysis cannot use.
struct Atom {
  enum Kind { Lower, Upper, Opaque, False } kind;
  LinearBound bound;
};
using Conjunction = std::vector<Atom>;
/// std::nullopt as a DNF means "too big": handled as one opaque clause.
using Dnf = std::optional<std::vector<Conjunction>>;

Dnf atom(Atom a) { return std::vector<Conjunction>{{a}}; }
Dnf opaque() { return atom({Atom::Opaque, {}}); }
Dnf constant(bool value) {
  if (value)
    return std::vector<Conjunction>{{}};
  return std::vector<Conjunction>{};
}

Dnf disjoin(Dnf a, Dnf b) {
  if (!a || !b)
    return std::nullopt;
  a->insert(a->end(), b->begin(), b->end());
  if (a->size() > kMaxMaskClauses)
    return std::nullopt;
  return a;
}

Dnf conjoin(const Dnf &a, const Dnf &b) {
  if (!a || !b)
    return std::nullopt;
  std::vector<Conjunction> out;
  for (const Conjunction &x : *a)
    for (const Conjunction &y : *b) {
      if (out.size() >= kMaxMaskClauses)
        return std::nullopt;
      Conjunction c = x;
      c.insert(c.end(), y.begin(), y.end());
      out.push_back(std::move(c));
    }
  return out;
}

LinearBound boundOf(const Linear &l, int64_t sign, int64_t shift) {
  // k  = sign * (l without k) + shift, as a bound in q, Nq, Nk.
  return {sign * l.c + shift, sign * l.q, sign * l.nq, sign * l.nk};
}

/// `lhs pred rhs` as DNF over bounds on k.
Dnf compare(arith::CmpIPredicate pred, Value lhs, Value rhs, bool negate) {
  using P = arith::CmpIPredicate;
  if (negate) {
    switch (pred) {
    case P::slt:
      pred = P::sge;
      break;
    case P::sle:
      pred = P::sgt;
      break;
    case P::sgt:
      pred = P::sle;
      break;
    case P::sge:
      pred = P::slt;
      break;
    case P::eq:
      pred = P::ne;
      break;
    case P::ne:
      pred = P::eq;
      break;
    default:
      return opaque();
    }
  }
  auto a = linearize(lhs), b = linearize(rhs);
  if (!a || !b)
    return opaque();
  auto d = combine(*a, *b, -1); // d = lhs - rhs; the atom is `d pred 0`
  if (!d || (d->k != 1 && d->k != -1))
    return opaque();
  // Normalize to k + r pred' 0 by multiplying by d.k (flips for -1).
  Linear r = *d;
  r.k = 0;
  if (d->k == -1) {
    r = *combine(Linear{}, r, -1);
    switch (pred) {
    case P::slt:
      pred = P::sgt;
      break;
    case P::sle:
      pred = P::sge;
      break;
    case P::sgt:
      pred = P::slt;
      break;
    case P::sge:
      pred = P::sle;
      break;
    default:
      break;
    }
  }
  // Now: k + r pred 0, i.e. k pred -r.
  switch (pred) {
  case P::slt:
    return atom({Atom::Upper, boundOf(r, -1, -1)});
  case P::sle:
    return atom({Atom::Upper, boundOf(r, -1, 0)});
  case P::sgt:
    return atom({Atom::Lower, boundOf(r, -1, 1)});
  case P::sge:
    return atom({Atom::Lower, boundOf(r, -1, 0)});
  case P::eq:
    return conjoin(atom({Atom::Lower, boundOf(r, -1, 0)}),
                   atom({Atom::Upper, boundOf(r, -1, 0)}));
  case P::ne:
    return disjoin(atom({Atom::Upper, boundOf(r, -1, -1)}),
                   atom({Atom::Lower, boundOf(r, -1, 1)}));
  default:
    return opaque();
  }
}

bool isTrueConstant(Value v) {
  auto c = v.getDefiningOp<arith::ConstantOp>();
  auto b = c ? dyn_cast<BoolAttr>(c.getValue()) : BoolAttr();
  if (b)
    return b.getValue();
  auto i = c ? dyn_cast<IntegerAttr>(c.getValue()) : IntegerAttr();
  return i && i.getType().isInteger(1) && i.getValue().getBoolValue();
}

/// The DNF of an i1 value (negated when `negate`).
Dnf toDnf(Value v, bool negate, int depth = 0) {
  if (depth > 64)
    return opaque();
  Operation *op = v.getDefiningOp();
  if (!op)
    return opaque();
  if (auto c = dyn_cast<arith::ConstantOp>(op)) {
    if (auto i = dyn_cast<IntegerAttr>(c.getValue()))
      return constant(i.getValue().getBoolValue() != negate);
    if (auto b = dyn_cast<BoolAttr>(c.getValue()))
      return constant(b.getValue() != negate);
    return opaque();
  }
  if (isa<arith::AndIOp, arith::OrIOp>(op)) {
    Dnf a = toDnf(op->getOperand(0), negate, depth + 1);
    Dnf b = toDnf(op->getOperand(1), negate, depth + 1);
    bool isAnd = isa<arith::AndIOp>(op) != negate; // De Morgan
    return isAnd ? conjoin(a, b) : disjoin(std::move(a), std::move(b));
  }
  if (auto x = dyn_cast<arith::XOrIOp>(op)) {
    if (isTrueConstant(x.getRhs()))
      return toDnf(x.getLhs(), !negate, depth + 1);
    if (isTrueConstant(x.getLhs()))
      return toDnf(x.getRhs(), !negate, depth + 1);
    return opaque();
  }
  if (auto cmp = dyn_cast<arith::CmpIOp>(op)) {
    if (!cmp.getLhs().getType().isInteger(64))
      return opaque();
    return compare(cmp.getPredicate(), cmp.getLhs(), cmp.getRhs(), negate);
  }
  return opaque();
}

} // namespace

std::vector<MaskClause> analyzeMask(attn::AttentionOp op) {
  return analyzeMaskRegion(op.getMask());
}

std::vector<MaskClause> analyzeMaskRegion(Region &region) {
  auto yield = cast<attn::YieldOp>(region.front().getTerminator());
  Dnf dnf = toDnf(yield.getValue(), /*negate=*/false);
  if (!dnf)
    return {MaskClause{{}, {}, /*exact=*/false}};
  std::vector<MaskClause> clauses;
  for (const Conjunction &conj : *dnf) {
    MaskClause clause;
    for (const Atom &a : conj) {
      if (a.kind == Atom::Lower)
        clause.lower.push_back(a.bound);
      else if (a.kind == Atom::Upper)
        clause.upper.push_back(a.bound);
      else
        clause.exact = false;
    }
    clauses.push_back(std::move(clause));
  }
  return clauses;
}

ArrayAttr clausesToAttr(MLIRContext *ctx,
                        const std::vector<MaskClause> &clauses) {
  auto bounds = [&](const std::vector<LinearBound> &in) {
    SmallVector<attn::BoundAttr> out;
    for (const LinearBound &b : in)
      out.push_back(attn::BoundAttr::get(ctx, b.c, b.q, b.nq, b.nk));
    return out;
  };
  SmallVector<Attribute> attrs;
  for (const MaskClause &c : clauses)
    attrs.push_back(attn::ClauseAttr::get(ctx, bounds(c.lower),
                                          bounds(c.upper), c.exact));
  return ArrayAttr::get(ctx, attrs);
}

std::vector<MaskClause> clausesFromAttr(ArrayAttr attr) {
  std::vector<MaskClause> clauses;
  auto bounds = [](ArrayRef<attn::BoundAttr> in) {
    std::vector<LinearBound> out;
    for (attn::BoundAttr b : in)
      out.push_back({b.getC(), b.getQ(), b.getNq(), b.getNk()});
    return out;
  };
  for (auto c : attr.getAsRange<attn::ClauseAttr>())
    clauses.push_back({bounds(c.getLower()), bounds(c.getUpper()),
                       c.getExact()});
  return clauses;
}

} // namespace attnc
