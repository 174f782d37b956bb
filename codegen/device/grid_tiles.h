// ==== codegen/device/grid_tiles.h: a token grid tiled in boxes (CPU and CUDA) ====
// Embedded into the softmax kernels of a spec whose plan tiles its token grid in boxes
// (docs/language.md §3c), after what codegen/GridTilesEmitter.cpp prints for the plan:
// ATTNC_GRID_FN (the functions' qualifiers on this target), kGridBoxCount, AttncGridPlan,
// attnc_grid_token (tile-space index -> token, -1 for padding), attnc_grid_plan (a query box's
// rows of the per-axis class tables) and attnc_grid_class (0 hidden, 1 partial, 2 full: the
// product of the axes' classes, lib/Analysis/GridTiles.h).
// Tile space: box b (row-major over the grid of boxes) holds tile indices b * BQ ... b * BQ + BQ - 1,
// its tokens in row-major order inside the box; boxes at the far borders hold padding.

// The walk of the flat plan (attnc_plan_next / attnc_plan_full), over boxes: the next visited
// key box after kb (-1: the first), or -1 when none is left.
ATTNC_GRID_FN long long attnc_plan_next(const AttncGridPlan &p, long long kb) {
  for (++kb; kb < kGridBoxCount; ++kb)
    if (attnc_grid_class(p, kb) != 0) return kb;
  return -1;
}

ATTNC_GRID_FN bool attnc_plan_full(const AttncGridPlan &p, long long kb) {
  return attnc_grid_class(p, kb) == 2;
}
