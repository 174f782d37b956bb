//===- GridForms.h - Token grids: coordinates and neighborhoods -*- C++ -*-===//
//
// A spec with `grid t = 8, y = 32, x = 32` puts its tokens on a grid in
// row-major order (the last axis varies fastest). The parser turns the
// grid's forms into ordinary expressions here, so that the reference
// executor evaluates them literally and every backend computes them like
// any mask: `q.y` is a coordinate, `window(y, 7, dilation = 2)` NATTEN's
// neighborhood along one axis (docs/language.md §3c). Plain C++, like the
// rest of lib/Spec.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_SPEC_GRIDFORMS_H
#define ATTNC_LIB_SPEC_GRIDFORMS_H

#include "lib/Spec/Ast.h"

#include <optional>

namespace attnc::spec {

/// The most axes a grid may have.
constexpr size_t kMaxGridAxes = 3;
/// The most tokens a grid may hold (the index analysis' bound, 2^24).
constexpr int64_t kMaxGridTokens = int64_t(1) << 24;

/// The index of axis `name` in `grid`, or nullopt.
std::optional<size_t> findGridAxis(const std::vector<GridAxis> &grid,
                                   const std::string &name);

/// The number of tokens of `grid`.
int64_t gridTokens(const std::vector<GridAxis> &grid);

/// `var.axis` for var `q` or `k`: a Coord node over the variable.
ExprPtr makeGridCoord(const std::vector<GridAxis> &grid, size_t axis,
                      const std::string &var, SourceLoc loc);

/// `window(axis, kernel, dilation = D, stride = S[, causal])`.
struct WindowForm {
  size_t axis = 0;
  int64_t kernel = 0, dilation = 1, stride = 1;
  bool causal = false;
  SourceLoc loc;
};

/// Why `form` is not a neighborhood of `grid` (e.g. a window wider than
/// its axis), or nullopt when it is one.
std::optional<std::string> checkWindow(const std::vector<GridAxis> &grid,
                                       const WindowForm &form);

/// The bool expression of a checked window: NATTEN's neighborhood along
/// one axis, as min/max arithmetic on the coordinates.
ExprPtr expandWindow(const std::vector<GridAxis> &grid,
                     const WindowForm &form);

/// The requirement a grid implies: Nq == Nk == its number of tokens.
Requirement gridRequirement(const std::vector<GridAxis> &grid, SourceLoc loc);

} // namespace attnc::spec

#endif // ATTNC_LIB_SPEC_GRIDFORMS_H
