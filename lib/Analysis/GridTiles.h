//===- GridTiles.h - Exact tile classes of a mask on a token grid -*- C++ -*-===//
//
// A spec with a token grid (docs/language.md §3c) can tile its tokens in
// boxes of the grid instead of runs of positions: a box of 8 x 8 tokens is
// where a 7 x 7 neighborhood's keys live, while 64 consecutive positions
// of a row-major grid are a thin strip that crosses many neighborhoods.
//
// When the mask is a conjunction whose clauses each read the coordinates
// of one axis (windows, per-axis causality, hand-written per-axis bounds),
// a (query box, key box) tile is visible exactly where every axis is: the
// analysis evaluates each axis' clauses on every coordinate pair of that
// axis and keeps, per pair of boxes along the axis, whether none, some or
// all of its pairs are visible. A tile's class is the product. Clauses that
// read anything else (flat positions, heads, parameters) are checked per
// element in every visited tile: the classes stay a sound superset.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_ANALYSIS_GRIDTILES_H
#define ATTNC_LIB_ANALYSIS_GRIDTILES_H

#include "dialect/AttnOps.h"
#include "lib/Analysis/BlockPlan.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace attnc {

/// Tile classes along one axis.
enum GridClass : uint8_t { kGridEmpty = 0, kGridPartial = 1, kGridFull = 2 };

struct GridAxisTiles {
  int64_t size = 0;  ///< the axis' length
  int64_t box = 0;   ///< the box side along it
  int64_t boxes = 0; ///< ceil(size / box); the last box may hold padding
  /// [query box * boxes + key box]: a GridClass. Padding coordinates past
  /// the axis' end count as hidden, so a box with padding is never full.
  std::vector<uint8_t> cls;
};

/// The box tiling of a grid and its exact per-axis classes.
struct GridTiles {
  std::vector<GridAxisTiles> axes;
  /// False when some mask clause is not per-axis: no tile is full.
  bool exact = true;

  int64_t boxVolume() const;
  int64_t boxCount() const;
  /// The class of tile (query box qb, key box kb); boxes are numbered in
  /// row-major order over the box grid.
  GridClass tileClass(int64_t qb, int64_t kb) const;
  TileStats count() const;
};

/// The largest axis the analysis evaluates pair by pair (4M pairs).
constexpr int64_t kMaxGridAxisForTiles = 2048;
/// The most bytes of class tables a box choice may need (one boxes x
/// boxes byte table per axis; CUDA keeps them in 64 KiB of __constant__).
constexpr int64_t kMaxGridTableBytes = 16 * 1024;

/// Box sides of total volume `volume` (a power of two) for the grid of
/// `op`: of every split into powers of two per axis, the one that visits
/// the fewest tiles, partial tiles counting extra (they evaluate the mask
/// per element). nullopt when the grid is too small to fill one box.
std::optional<std::vector<int64_t>> chooseGridBox(mlir::attn::AttentionOp op,
                                                  int64_t volume);

/// Why the mask of `op` (which has a grid) does not gain from boxes, or
/// nullopt when some clause of its top-level conjunction is per-axis and
/// every axis is small enough to analyze.
std::optional<std::string> whyNoGridBoxes(mlir::attn::AttentionOp op);

/// The classes of `op`'s mask for boxes of sides `box`.
GridTiles classifyGridTiles(mlir::attn::AttentionOp op,
                            const std::vector<int64_t> &box);

} // namespace attnc

#endif // ATTNC_LIB_ANALYSIS_GRIDTILES_H
