//===- GridForms.cpp - Token grids: coordinates and neighborhoods ---------===//
//
// The expressions are written so that the block analysis can read them
// back: every coordinate is one Coord node (lowered to floordiv then rem by
// constants), and a window's clause mentions the coordinates of one axis
// only, so that a mask made of windows factors per axis
// (lib/Analysis/GridTiles.h).
//
//===----------------------------------------------------------------------===//

#include "lib/Spec/GridForms.h"

namespace attnc::spec {

std::optional<size_t> findGridAxis(const std::vector<GridAxis> &grid,
                                   const std::string &name) {
  for (size_t i = 0; i < grid.size(); ++i)
    if (grid[i].name == name)
      return i;
  return std::nullopt;
}

int64_t gridTokens(const std::vector<GridAxis> &grid) {
  int64_t n = 1;
  for (const GridAxis &a : grid)
    n *= a.size;
  return n;
}

namespace {

/// Small builders for the expansion; every node carries the form's
/// location, so that an error inside points at the form.
struct Build {
  SourceLoc loc;

  ExprPtr node(Expr::Kind kind) const {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->loc = loc;
    return e;
  }
  ExprPtr lit(int64_t v) const {
    ExprPtr e = node(Expr::Kind::IntLit);
    e->intValue = v;
    return e;
  }
  ExprPtr bin(const char *op, ExprPtr a, ExprPtr b) const {
    ExprPtr e = node(Expr::Kind::Binary);
    e->op = op;
    e->operands.push_back(std::move(a));
    e->operands.push_back(std::move(b));
    return e;
  }
  ExprPtr call(const char *name, ExprPtr a, ExprPtr b) const {
    ExprPtr e = node(Expr::Kind::Call);
    e->name = name;
    e->operands.push_back(std::move(a));
    e->operands.push_back(std::move(b));
    return e;
  }
};

ExprPtr clone(const Expr &e) {
  auto c = std::make_unique<Expr>();
  c->kind = e.kind;
  c->loc = e.loc;
  c->intValue = e.intValue;
  c->floatValue = e.floatValue;
  c->name = e.name;
  c->op = e.op;
  c->extent = e.extent;
  for (const ExprPtr &o : e.operands)
    c->operands.push_back(clone(*o));
  return c;
}

} // namespace

ExprPtr makeGridCoord(const std::vector<GridAxis> &grid, size_t axis,
                      const std::string &var, SourceLoc loc) {
  Build b{loc};
  ExprPtr e = b.node(Expr::Kind::Coord);
  e->name = grid[axis].name;
  int64_t stride = 1;
  for (size_t i = axis + 1; i < grid.size(); ++i)
    stride *= grid[i].size;
  e->intValue = stride;
  e->extent = grid[axis].size;
  ExprPtr v = b.node(Expr::Kind::Var);
  v->name = var;
  e->operands.push_back(std::move(v));
  return e;
}

std::optional<std::string> checkWindow(const std::vector<GridAxis> &grid,
                                       const WindowForm &form) {
  const GridAxis &axis = grid[form.axis];
  if (form.kernel < 1)
    return "expected a window size of at least 1, got " +
           std::to_string(form.kernel);
  if (form.dilation < 1)
    return "expected a dilation of at least 1, got " +
           std::to_string(form.dilation);
  if (form.stride < 1 || form.stride > form.kernel)
    return "expected a stride in [1, " + std::to_string(form.kernel) +
           "] (at most the window), got " + std::to_string(form.stride);
  // Every dilation group must hold a whole window (NATTEN's requirement
  // kernel * dilation <= length), so that windows shift at the borders
  // instead of shrinking.
  if (form.kernel > axis.size / form.dilation)
    return "a window of " + std::to_string(form.kernel) + " with dilation " +
           std::to_string(form.dilation) + " needs " +
           std::to_string(form.kernel * form.dilation) +
           " tokens along axis '" + axis.name + "', which has " +
           std::to_string(axis.size);
  return std::nullopt;
}

ExprPtr expandWindow(const std::vector<GridAxis> &grid,
                     const WindowForm &form) {
  Build b{form.loc};
  const int64_t L = grid[form.axis].size, K = form.kernel,
                D = form.dilation, S = form.stride;
  ExprPtr qc = makeGridCoord(grid, form.axis, "q", form.loc);
  ExprPtr kc = makeGridCoord(grid, form.axis, "k", form.loc);
  // Dilation: a token sees only its own group (equal coordinate mod D),
  // in which p = coordinate / D counts positions; the group of residue r
  // holds ceil((L - r) / D) of them.
  ExprPtr sameGroup;
  ExprPtr p, pk, groupLen;
  if (D > 1) {
    sameGroup = b.bin("==", b.bin("%", clone(*qc), b.lit(D)),
                      b.bin("%", clone(*kc), b.lit(D)));
    p = b.bin("/", clone(*qc), b.lit(D));
    pk = b.bin("/", clone(*kc), b.lit(D));
    groupLen = L % D == 0
                   ? b.lit(L / D)
                   : b.bin("/",
                           b.bin("-", b.lit(L + D - 1),
                                 b.bin("%", clone(*qc), b.lit(D))),
                           b.lit(D));
  } else {
    p = clone(*qc);
    pk = clone(*kc);
    groupLen = b.lit(L);
  }
  // Stride (GNA): the queries of a stride group share the window of its
  // leader: the group's middle position, or with causal windows its last
  // (NATTEN's choice), clamped to the group's end.
  ExprPtr leader =
      S > 1 ? b.call("min",
                     b.bin("+", b.bin("*", b.bin("/", clone(*p), b.lit(S)),
                                      b.lit(S)),
                           b.lit(form.causal ? S - 1 : S / 2)),
                     b.bin("-", clone(*groupLen), b.lit(1)))
            : clone(*p);
  ExprPtr visible;
  if (form.causal) {
    // The K positions ending at the leader, never after the query itself.
    visible = b.bin("&&", b.bin("<=", clone(*pk), clone(*p)),
                    b.bin("<", b.bin("-", clone(*leader), clone(*pk)),
                          b.lit(K)));
  } else {
    // K positions centred on the leader, shifted inwards at the borders.
    ExprPtr start = b.call(
        "min", b.call("max", b.bin("-", clone(*leader), b.lit(K / 2)),
                      b.lit(0)),
        b.bin("-", clone(*groupLen), b.lit(K)));
    ExprPtr atLeast = b.bin(">=", clone(*pk), clone(*start));
    ExprPtr below =
        b.bin("<", clone(*pk), b.bin("+", std::move(start), b.lit(K)));
    visible = b.bin("&&", std::move(atLeast), std::move(below));
  }
  return sameGroup ? b.bin("&&", std::move(sameGroup), std::move(visible))
                   : std::move(visible);
}

Requirement gridRequirement(const std::vector<GridAxis> &grid,
                            SourceLoc loc) {
  Build b{loc};
  const int64_t n = gridTokens(grid);
  auto var = [&](const char *name) {
    ExprPtr v = b.node(Expr::Kind::Var);
    v->name = name;
    return v;
  };
  Requirement r;
  r.loc = loc;
  r.expr = b.bin("&&", b.bin("==", var("Nq"), b.lit(n)),
                 b.bin("==", var("Nk"), b.lit(n)));
  std::string axes;
  for (const GridAxis &a : grid)
    axes += (axes.empty() ? "" : ", ") + a.name + " = " + std::to_string(a.size);
  r.text = "Nq == Nk == " + std::to_string(n) + " (grid " + axes + ")";
  return r;
}

} // namespace attnc::spec
