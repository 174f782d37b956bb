//===- GridTiles.cpp - Exact tile classes of a mask on a token grid -------===//
//
// The mask's top-level conjunction is split into clauses; each clause's
// leaves are found by walking its def chain. A coordinate is the pair the
// grid forms lower to, `(pos floordiv stride) rem size` of q or k; Nq and
// Nk are the grid's token count. A clause whose leaves are constants and
// the coordinates of one axis is flattened by the reference executor's ExprProgram
// and evaluated on every coordinate pair of that axis.
//
//===----------------------------------------------------------------------===//

#include "lib/Analysis/GridTiles.h"

#include "lib/Reference/ExprProgram.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <climits>

using namespace mlir;

namespace attnc {

int64_t GridTiles::boxVolume() const {
  int64_t v = 1;
  for (const GridAxisTiles &a : axes)
    v *= a.box;
  return v;
}

int64_t GridTiles::boxCount() const {
  int64_t n = 1;
  for (const GridAxisTiles &a : axes)
    n *= a.boxes;
  return n;
}

GridClass GridTiles::tileClass(int64_t qb, int64_t kb) const {
  GridClass result = exact ? kGridFull : kGridPartial;
  for (size_t i = axes.size(); i-- > 0;) {
    const GridAxisTiles &a = axes[i];
    const uint8_t c = a.cls[(qb % a.boxes) * a.boxes + kb % a.boxes];
    if (c == kGridEmpty)
      return kGridEmpty;
    if (c == kGridPartial)
      result = kGridPartial;
    qb /= a.boxes;
    kb /= a.boxes;
  }
  return result;
}

TileStats GridTiles::count() const {
  // Products of per-axis counts: no loop over the (boxes^2) tiles.
  int64_t total = 1, visited = 1, full = 1;
  for (const GridAxisTiles &a : axes) {
    int64_t v = 0, f = 0;
    for (uint8_t c : a.cls) {
      v += c != kGridEmpty;
      f += c == kGridFull;
    }
    total *= a.boxes * a.boxes;
    visited *= v;
    full *= f;
  }
  TileStats s;
  s.total = total;
  s.visited = visited;
  s.full = exact ? full : 0;
  s.partial = s.visited - s.full;
  return s;
}

namespace {

constexpr unsigned kOpaque = 1u << 31;

/// The grid's geometry, and what the mask's leaves are.
struct GridShape {
  std::vector<int64_t> sizes, strides;
  int64_t tokens = 1;

  explicit GridShape(ArrayRef<int64_t> grid) : sizes(grid.begin(), grid.end()) {
    strides.assign(sizes.size(), 1);
    for (size_t i = sizes.size(); i-- > 1;)
      strides[i - 1] = strides[i] * sizes[i];
    for (int64_t s : sizes)
      tokens *= s;
  }
};

std::optional<int64_t> constantOf(Value v) {
  IntegerAttr attr;
  if (auto c = v.getDefiningOp<arith::ConstantOp>())
    if ((attr = dyn_cast<IntegerAttr>(c.getValue())))
      return attr.getValue().getSExtValue();
  return std::nullopt;
}

/// A coordinate leaf: `(q or k floordiv stride) rem size` of one axis.
struct Coord {
  bool isKey = false;
  unsigned axis = 0;
};

std::optional<Coord> coordOf(Value v, const GridShape &g) {
  auto rem = v.getDefiningOp<arith::RemSIOp>();
  if (!rem)
    return std::nullopt;
  std::optional<int64_t> size = constantOf(rem.getRhs());
  if (!size)
    return std::nullopt;
  // Canonicalization folds the last axis' division by 1 away.
  std::optional<int64_t> stride = 1;
  auto arg = dyn_cast<BlockArgument>(rem.getLhs());
  if (auto div = rem.getLhs().getDefiningOp<arith::FloorDivSIOp>()) {
    stride = constantOf(div.getRhs());
    arg = dyn_cast<BlockArgument>(div.getLhs());
  }
  if (!stride || !arg || (arg.getArgNumber() != 2 && arg.getArgNumber() != 3))
    return std::nullopt;
  for (unsigned a = 0; a < g.sizes.size(); ++a)
    if (g.sizes[a] == *size && g.strides[a] == *stride)
      return Coord{arg.getArgNumber() == 3, a};
  return std::nullopt;
}

/// Which axes' coordinates a value reads (bit a), or kOpaque when it reads
/// anything the per-axis evaluation cannot.
class Dependencies {
public:
  explicit Dependencies(const GridShape &g) : g(g) {}

  unsigned of(Value v) {
    if (auto it = memo.find(v); it != memo.end())
      return it->second;
    unsigned d = compute(v);
    memo[v] = d;
    return d;
  }

private:
  unsigned compute(Value v) {
    if (std::optional<Coord> c = coordOf(v, g))
      return 1u << c->axis;
    if (auto arg = dyn_cast<BlockArgument>(v))
      return arg.getArgNumber() >= 4 ? 0 : kOpaque; // Nq, Nk are fixed
    Operation *op = v.getDefiningOp();
    if (!isa<arith::ConstantOp, arith::AddIOp, arith::SubIOp, arith::MulIOp,
             arith::FloorDivSIOp, arith::RemSIOp,
             arith::MinSIOp, arith::MaxSIOp, arith::CmpIOp, arith::AndIOp,
             arith::OrIOp, arith::XOrIOp, arith::SelectOp, math::AbsIOp>(op))
      return kOpaque;
    if (auto c = dyn_cast<arith::ConstantOp>(op))
      return isa<IntegerAttr>(c.getValue()) ? 0 : kOpaque;
    unsigned d = 0;
    for (Value operand : op->getOperands())
      d |= of(operand);
    return d;
  }

  const GridShape &g;
  llvm::DenseMap<Value, unsigned> memo;
};

void splitConjunction(Value v, std::vector<Value> &out) {
  if (auto a = v.getDefiningOp<arith::AndIOp>()) {
    splitConjunction(a.getLhs(), out);
    splitConjunction(a.getRhs(), out);
    return;
  }
  out.push_back(v);
}

struct Clauses {
  /// Per axis, the clauses that read only its coordinates.
  std::vector<std::vector<Value>> perAxis;
  /// Clauses that read no coordinate (constants) or more than one axis or
  /// anything else.
  bool opaque = false;
};

Clauses splitMask(attn::AttentionOp op, const GridShape &g) {
  Clauses c;
  c.perAxis.resize(g.sizes.size());
  Value result = op.getMask().front().getTerminator()->getOperand(0);
  std::vector<Value> conjuncts;
  splitConjunction(result, conjuncts);
  Dependencies deps(g);
  for (Value v : conjuncts) {
    const unsigned d = deps.of(v);
    if (d != 0 && !(d & kOpaque) && (d & (d - 1)) == 0)
      c.perAxis[__builtin_ctz(d)].push_back(v);
    else if (std::optional<int64_t> k = constantOf(v); k && *k != 0)
      continue; // `true`
    else
      c.opaque = true;
  }
  return c;
}

} // namespace

std::optional<std::string> whyNoGridBoxes(attn::AttentionOp op) {
  std::optional<ArrayRef<int64_t>> grid = op.getGrid();
  if (!grid)
    return std::string("the spec declares no grid");
  GridShape g(*grid);
  for (int64_t size : g.sizes)
    if (size > kMaxGridAxisForTiles)
      return "a grid axis of " + std::to_string(size) +
             " tokens is longer than the per-axis analysis takes (" +
             std::to_string(kMaxGridAxisForTiles) + ")";
  Clauses c = splitMask(op, g);
  for (const std::vector<Value> &clauses : c.perAxis)
    if (!clauses.empty())
      return std::nullopt;
  return std::string("no clause of the mask's conjunction reads the "
                     "coordinates of one axis only");
}

namespace {

/// Every coordinate pair of every axis, visible (1) or not: the part of the
/// analysis that does not depend on the boxes.
struct Visibility {
  std::vector<int64_t> sizes;
  std::vector<std::vector<uint8_t>> pairs; ///< per axis, [qc * size + kc]
  bool exact = true;
};

Visibility visibilityOf(attn::AttentionOp op) {
  GridShape g(*op.getGrid());
  Clauses c = splitMask(op, g);
  Visibility v;
  v.sizes = g.sizes;
  v.exact = !c.opaque;
  Block &mask = op.getMask().front();
  for (size_t axis = 0; axis < g.sizes.size(); ++axis) {
    const int64_t L = g.sizes[axis], stride = g.strides[axis];
    // The axis' clauses read only its coordinates: evaluate them at
    // positions whose other coordinates are 0 (args b, h, q, k, Nq, Nk).
    FailureOr<reference::ExprProgram> program =
        reference::ExprProgram::compileConjunction(mask, c.perAxis[axis]);
    std::vector<uint8_t> pairs(L * L, 1);
    if (succeeded(program)) {
      reference::Scalar args[6];
      args[0].i = args[1].i = 0;
      args[4].i = args[5].i = g.tokens;
      std::string error;
      for (int64_t qc = 0; qc < L; ++qc)
        for (int64_t kc = 0; kc < L; ++kc) {
          args[2].i = qc * stride;
          args[3].i = kc * stride;
          pairs[qc * L + kc] = program->run(args, error).i != 0;
        }
    } else {
      v.exact = false; // Dependencies admits only ops the program knows
    }
    v.pairs.push_back(std::move(pairs));
  }
  return v;
}

/// The classes of one axis for boxes of side `box`; padding pairs past the
/// axis' end are never visible.
GridAxisTiles axisTiles(const Visibility &v, size_t axis, int64_t box) {
  GridAxisTiles t;
  t.size = v.sizes[axis];
  t.box = box;
  t.boxes = (t.size + box - 1) / box;
  std::vector<int64_t> visible(t.boxes * t.boxes, 0);
  for (int64_t qc = 0; qc < t.size; ++qc)
    for (int64_t kc = 0; kc < t.size; ++kc)
      visible[(qc / box) * t.boxes + kc / box] += v.pairs[axis][qc * t.size + kc];
  t.cls.resize(visible.size());
  for (size_t i = 0; i < visible.size(); ++i)
    t.cls[i] = visible[i] == 0          ? kGridEmpty
               : visible[i] == box * box ? kGridFull
                                         : kGridPartial;
  return t;
}

GridTiles tilesOf(const Visibility &v, const std::vector<int64_t> &box) {
  GridTiles tiles;
  tiles.exact = v.exact;
  for (size_t axis = 0; axis < v.sizes.size(); ++axis)
    tiles.axes.push_back(axisTiles(v, axis, box[axis]));
  return tiles;
}

/// Every way to split 2^bits over the axes in powers of two, no side wider
/// than its axis rounded up to a power of two.
void boxCandidates(const std::vector<int64_t> &sizes, size_t axis, int bits,
                   std::vector<int64_t> &box,
                   std::vector<std::vector<int64_t>> &out) {
  if (axis + 1 == sizes.size()) {
    const int64_t side = int64_t(1) << bits;
    if (side / 2 < sizes[axis]) {
      box[axis] = side;
      out.push_back(box);
    }
    return;
  }
  for (int b = 0; b <= bits; ++b) {
    const int64_t side = int64_t(1) << b;
    if (side / 2 >= sizes[axis])
      break;
    box[axis] = side;
    boxCandidates(sizes, axis + 1, bits - b, box, out);
  }
}

} // namespace

GridTiles classifyGridTiles(attn::AttentionOp op,
                            const std::vector<int64_t> &box) {
  return tilesOf(visibilityOf(op), box);
}

std::optional<std::vector<int64_t>> chooseGridBox(attn::AttentionOp op,
                                                  int64_t volume) {
  if (volume < 1 || (volume & (volume - 1)) != 0)
    return std::nullopt;
  const Visibility v = visibilityOf(op);
  std::vector<std::vector<int64_t>> candidates;
  std::vector<int64_t> box(v.sizes.size(), 1);
  boxCandidates(v.sizes, 0, __builtin_ctzll(volume), box, candidates);
  // The cheapest tiling: a visited tile costs its products, a partial one
  // also the mask of each element (counted as half a tile). Ties keep the
  // balanced box (listed last among equals: later axes widest).
  std::optional<std::vector<int64_t>> best;
  double bestCost = 0;
  auto balance = [](const std::vector<int64_t> &b) {
    int64_t widest = 0;
    for (int64_t side : b)
      widest = std::max(widest, side);
    return widest;
  };
  for (const std::vector<int64_t> &candidate : candidates) {
    // The kernels embed one boxes x boxes table per axis (CUDA: in
    // __constant__ memory, 64 KiB): thin boxes on a long axis do not fit.
    int64_t tableBytes = 0;
    for (size_t a = 0; a < candidate.size(); ++a) {
      const int64_t boxes = (v.sizes[a] + candidate[a] - 1) / candidate[a];
      tableBytes += boxes * boxes;
    }
    if (tableBytes > kMaxGridTableBytes)
      continue;
    TileStats t = tilesOf(v, candidate).count();
    const double cost = double(t.visited) + 0.5 * double(t.partial);
    if (!best || cost < bestCost ||
        (cost == bestCost && balance(candidate) <= balance(*best))) {
      best = candidate;
      bestCost = cost;
    }
  }
  return best;
}

} // namespace attnc
