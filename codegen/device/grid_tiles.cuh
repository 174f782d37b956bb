// ==== codegen/device/grid_tiles.cuh: a token grid tiled in boxes (CPU and CUDA) ====
// Embedded into the softmax kernels of a spec whose plan tiles its token grid in boxes
// (docs/language.md §3c), after the constants codegen/GridTilesEmitter.cpp prints for the plan:
// ATTNC_GRID_FN (the functions' qualifiers on this target), GRID_AXES (1 to 3), GRID_EXACT, BQ,
// kGridBoxCount and, per axis a: GRID_SIZE_a (tokens), GRID_STRIDE_a (token stride),
// GRID_BOX_a (box side), GRID_BOXES_a (boxes along it), GRID_BOX_STRIDE_a (stride over the grid of
// boxes), GRID_INNER_STRIDE_a (stride inside a box), GRID_CLASS_AT_a (its table's offset), and
// the tables kGridClass (per axis, [query box][key box]: 0 no pair visible, 1 some, 2 all; the
// classes of lib/Analysis/GridTiles.h).
// Tile space: box b (row-major over the grid of boxes) holds tile indices b * BQ ... b * BQ + BQ - 1,
// its tokens in row-major order inside the box; boxes at the far borders hold padding.

typedef struct AttncGridPlan {
  const unsigned char *cls[GRID_AXES];
} AttncGridPlan;

// Axis a's coordinate of tile-space index (box, inner).
#define ATTNC_GRID_COORD(a, box, inner) \
  ((box) / GRID_BOX_STRIDE_##a % GRID_BOXES_##a * GRID_BOX_##a + (inner) / GRID_INNER_STRIDE_##a % GRID_BOX_##a)

// The token (row-major position) at tile-space index i, or -1 for padding past the grid's end.
ATTNC_GRID_FN long long attnc_grid_token(long long i) {
  const long long box = i / BQ, inner = i % BQ;
  long long c, token = 0;
  c = ATTNC_GRID_COORD(0, box, inner);
  if (c >= GRID_SIZE_0) return -1;
  token += c * GRID_STRIDE_0;
#if GRID_AXES > 1
  c = ATTNC_GRID_COORD(1, box, inner);
  if (c >= GRID_SIZE_1) return -1;
  token += c * GRID_STRIDE_1;
#endif
#if GRID_AXES > 2
  c = ATTNC_GRID_COORD(2, box, inner);
  if (c >= GRID_SIZE_2) return -1;
  token += c * GRID_STRIDE_2;
#endif
  return token;
}

// A query box's rows of the class tables, one per axis.
ATTNC_GRID_FN AttncGridPlan attnc_grid_plan(long long qb) {
  AttncGridPlan p;
  p.cls[0] = kGridClass + GRID_CLASS_AT_0 + qb / GRID_BOX_STRIDE_0 % GRID_BOXES_0 * GRID_BOXES_0;
#if GRID_AXES > 1
  p.cls[1] = kGridClass + GRID_CLASS_AT_1 + qb / GRID_BOX_STRIDE_1 % GRID_BOXES_1 * GRID_BOXES_1;
#endif
#if GRID_AXES > 2
  p.cls[2] = kGridClass + GRID_CLASS_AT_2 + qb / GRID_BOX_STRIDE_2 % GRID_BOXES_2 * GRID_BOXES_2;
#endif
  return p;
}

// A tile's class is the product of its axes': none visible on one axis hides it; full needs
// every axis full and a mask made of per-axis clauses only (GRID_EXACT).
ATTNC_GRID_FN int attnc_grid_class(const AttncGridPlan &p, long long kb) {
  int cls = GRID_EXACT ? 2 : 1, c;
  c = p.cls[0][kb / GRID_BOX_STRIDE_0 % GRID_BOXES_0];
  if (c == 0) return 0;
  if (c == 1) cls = 1;
#if GRID_AXES > 1
  c = p.cls[1][kb / GRID_BOX_STRIDE_1 % GRID_BOXES_1];
  if (c == 0) return 0;
  if (c == 1) cls = 1;
#endif
#if GRID_AXES > 2
  c = p.cls[2][kb / GRID_BOX_STRIDE_2 % GRID_BOXES_2];
  if (c == 0) return 0;
  if (c == 1) cls = 1;
#endif
  return cls;
}

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
