//===- IndexRanges.cpp - Integer overflow in index expressions ------------===//
//
// This file implements checkIndexOverflow: one forward walk over each
// region's ops computing an interval per i64 value (in 128-bit arithmetic,
// so that the intervals themselves cannot overflow). Values of ops it does
// not model have no interval and never cause an error: the check only
// reports what it can prove.
//
//===----------------------------------------------------------------------===//

#include "lib/Analysis/IndexRanges.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"

#include "llvm/ADT/DenseMap.h"

#include <algorithm>
#include <optional>
#include <string>

using namespace mlir;

namespace attnc {
namespace {

using Wide = __int128;

struct Interval {
  Wide lo, hi;
};

constexpr Wide kMin = std::numeric_limits<int64_t>::min();
constexpr Wide kMax = std::numeric_limits<int64_t>::max();

std::string toString(Wide v) {
  if (v == 0)
    return "0";
  bool negative = v < 0;
  unsigned __int128 u = negative ? -(unsigned __int128)v : (unsigned __int128)v;
  std::string s;
  while (u) {
    s.insert(s.begin(), char('0' + int(u % 10)));
    u /= 10;
  }
  return negative ? "-" + s : s;
}

Wide magnitude(const Interval &i) { return std::max(-i.lo, i.hi); }

class RangeWalk {
public:
  LogicalResult run(Region &region) {
    bool ok = true;
    for (Block &block : region) {
      for (BlockArgument arg : block.getArguments())
        if (arg.getType().isInteger(64))
          ranges[arg] = {-Wide(kIndexRangeBound), Wide(kIndexRangeBound)};
      for (Operation &op : block) {
        for (Region &nested : op.getRegions())
          ok &= succeeded(run(nested));
        ok &= succeeded(visit(op));
      }
    }
    return success(ok);
  }

private:
  std::optional<Interval> of(Value v) {
    auto it = ranges.find(v);
    if (it == ranges.end())
      return std::nullopt;
    return it->second;
  }

  LogicalResult visit(Operation &op) {
    if (op.getNumResults() != 1)
      return success();
    Value result = op.getResult(0);
    if (auto c = dyn_cast<arith::ConstantOp>(op)) {
      if (auto i = dyn_cast<IntegerAttr>(c.getValue());
          i && c.getType().isInteger(64))
        ranges[result] = {i.getValue().getSExtValue(),
                          i.getValue().getSExtValue()};
      return success();
    }
    if (auto ext = dyn_cast<arith::ExtSIOp>(op)) {
      unsigned width = ext.getIn().getType().getIntOrFloatBitWidth();
      if (width > 1 && width < 64)
        ranges[result] = {-(Wide(1) << (width - 1)),
                          (Wide(1) << (width - 1)) - 1};
      return success();
    }
    if (!result.getType().isInteger(64))
      return success();
    std::optional<Interval> a = op.getNumOperands() > 0
                                    ? of(op.getOperand(0))
                                    : std::nullopt;
    std::optional<Interval> b = op.getNumOperands() > 1
                                    ? of(op.getOperand(1))
                                    : std::nullopt;
    std::optional<Interval> r;
    const char *symbol = nullptr;
    if (isa<arith::AddIOp>(op) && a && b) {
      r = Interval{a->lo + b->lo, a->hi + b->hi};
      symbol = "+";
    } else if (isa<arith::SubIOp>(op) && a && b) {
      r = Interval{a->lo - b->hi, a->hi - b->lo};
      symbol = "-";
    } else if (isa<arith::MulIOp>(op) && a && b) {
      Wide p[] = {a->lo * b->lo, a->lo * b->hi, a->hi * b->lo, a->hi * b->hi};
      r = Interval{*std::min_element(p, p + 4), *std::max_element(p, p + 4)};
      symbol = "*";
    } else if (isa<math::AbsIOp>(op) && a) {
      r = Interval{a->lo > 0 ? a->lo : a->hi < 0 ? -a->hi : 0, magnitude(*a)};
      symbol = "abs";
    } else if (isa<arith::FloorDivSIOp>(op) && a) {
      // |a / b| <= |a| (and a division by zero or of INT64_MIN by -1 is 0).
      r = Interval{-magnitude(*a), magnitude(*a)};
    } else if (isa<arith::RemSIOp>(op) && a) {
      Wide m = b ? std::min(magnitude(*a), magnitude(*b)) : magnitude(*a);
      r = Interval{-m, m};
    } else if (isa<arith::MinSIOp>(op) && a && b) {
      r = Interval{std::min(a->lo, b->lo), std::min(a->hi, b->hi)};
    } else if (isa<arith::MaxSIOp>(op) && a && b) {
      r = Interval{std::max(a->lo, b->lo), std::max(a->hi, b->hi)};
    } else if (auto select = dyn_cast<arith::SelectOp>(op)) {
      auto x = of(select.getTrueValue()), y = of(select.getFalseValue());
      if (x && y)
        r = Interval{std::min(x->lo, y->lo), std::max(x->hi, y->hi)};
    }
    if (!r)
      return success();
    if (symbol && (r->lo < kMin || r->hi > kMax)) {
      Wide worst = r->hi > kMax ? r->hi : r->lo;
      op.emitError() << "integer overflow: '" << symbol
                     << "' can reach " << toString(worst)
                     << ", outside the 64-bit range, for positions and "
                        "lengths up to 2^24";
      // Keep going with the clamped range: one error per overflowing op.
      r = Interval{std::max(r->lo, kMin), std::min(r->hi, kMax)};
      ranges[result] = *r;
      return failure();
    }
    ranges[result] = *r;
    return success();
  }

  llvm::DenseMap<Value, Interval> ranges;
};

} // namespace

LogicalResult checkIndexOverflow(Operation *op) {
  bool ok = true;
  for (Region &region : op->getRegions())
    ok &= succeeded(RangeWalk().run(region));
  return success(ok);
}

} // namespace attnc
