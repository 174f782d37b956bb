// ==== codegen/device/cpu_grid_tiles.h: CPU: a token grid tiled in boxes ====
// Embedded into the CPU softmax kernel of a spec whose plan tiles its token grid in boxes
// (docs/language.md §3c), after the tables codegen/GridTilesEmitter.cpp prints: GRID_AXES,
// kGridSize, kGridStride, kGridBox, kGridBoxes, kGridBoxCount, kGridClassOffset, kGridClass and
// kGridExact (lib/Analysis/GridTiles.h computes the classes).
// Tile space: box b (row-major over the grid of boxes) holds tile indices b * BQ ... b * BQ + BQ - 1,
// its tokens in row-major order inside the box; boxes at the far borders hold padding.

// The token (row-major position) at tile-space index i, or -1 for padding past the grid's end.
static inline long long attnc_grid_token(long long i) {
  long long box = i / BQ, within = i % BQ, token = 0;
  for (int a = GRID_AXES - 1; a >= 0; --a) {
    const long long c = (box % kGridBoxes[a]) * kGridBox[a] + within % kGridBox[a];
    if (c >= kGridSize[a]) return -1;
    token += c * kGridStride[a];
    box /= kGridBoxes[a];
    within /= kGridBox[a];
  }
  return token;
}

// The key boxes of one query box: per axis, the row of that axis' classes (0 no pair visible,
// 1 some, 2 all) for the query box's coordinate along it.
struct AttncGridPlan {
  const unsigned char *cls[GRID_AXES];
};

static inline AttncGridPlan attnc_grid_plan(long long qb) {
  AttncGridPlan p;
  for (int a = GRID_AXES - 1; a >= 0; --a) {
    p.cls[a] = kGridClass + kGridClassOffset[a] + (qb % kGridBoxes[a]) * kGridBoxes[a];
    qb /= kGridBoxes[a];
  }
  return p;
}

// A tile's class is the product of its axes': none visible on one axis hides it; full needs
// every axis full and a mask made of per-axis clauses only (kGridExact).
static inline int attnc_grid_class(const AttncGridPlan &p, long long kb) {
  int cls = kGridExact ? 2 : 1;
  for (int a = GRID_AXES - 1; a >= 0; --a) {
    const int c = p.cls[a][kb % kGridBoxes[a]];
    if (c == 0) return 0;
    if (c == 1) cls = 1;
    kb /= kGridBoxes[a];
  }
  return cls;
}

// The walk of the flat plan (attnc_plan_next / attnc_plan_full), over boxes: the next visited
// key box after kb (-1: the first), or -1 when none is left.
static inline long long attnc_plan_next(const AttncGridPlan &p, long long kb) {
  for (++kb; kb < kGridBoxCount; ++kb)
    if (attnc_grid_class(p, kb) != 0) return kb;
  return -1;
}

static inline bool attnc_plan_full(const AttncGridPlan &p, long long kb) {
  return attnc_grid_class(p, kb) == 2;
}
