// ==== codegen/device/tile_walk.cuh: the k-tiles a q-block visits: runtime block mask or static plan ====
// Embedded verbatim into the emitted kernels (codegen/DeviceSources.h); configured by
// the macros the emitter defines before it (docs/codegen.md, "Device code").
// The k-tiles a q-block visits: the runtime block mask's row when the
// call has one (kernel ABI 3: ascending tiles, each flagged full or
// partial; docs/runtime.md §3a), else the static block plan. A cursor is
// (kb, i): the tile and its index in the row; the plan ignores i.
// Needs the prelude, sequence.h, the spec's block plan (AttncPlan, attnc_plan_qblock,
// attnc_plan_next, attnc_plan_full) and BQ.
// The block's sequence (attnc_sequence) and ATTNC_LSE_AT come from sequence.h.

// A token grid in boxes (ATTNC_GRID 1, grid_tiles.h before this file): tile rows are the
// tokens of box qb, ATTNC_TOKEN maps a tile-space index to its token (-1: padding), the
// grid's tile space has ATTNC_TILE_ROWS rows, and the walk is over the per-axis classes.
#ifndef ATTNC_GRID
#define ATTNC_GRID 0
#endif
#if ATTNC_GRID
#define ATTNC_TOKEN(i) attnc_grid_token(i)
#define ATTNC_TILE_ROWS(Nq) (kGridBoxCount * BQ)
#else
#define ATTNC_TOKEN(i) (i)
#define ATTNC_TILE_ROWS(Nq) (Nq)
#endif

// Split-KV decode (the plan's kv_splits, docs/runtime.md §3g): with args.kv_splits > 1 grid z is
// B x splits; a block works on sequence z % B and on split z / B of its k-tiles.
#ifndef ATTNC_SPLIT_KV
#define ATTNC_SPLIT_KV 0
#endif
__device__ __forceinline__ long long attnc_block_batch(const AttncKernelArgs &args) {
#if ATTNC_SPLIT_KV
  if (args.kv_splits > 1) return blockIdx.z % args.batch;
#else
  (void)args;
#endif
  return blockIdx.z;
}
__device__ __forceinline__ long long attnc_block_split(const AttncKernelArgs &args) {
#if ATTNC_SPLIT_KV
  if (args.kv_splits > 1) return blockIdx.z / args.batch;
#else
  (void)args;
#endif
  return 0;
}

typedef struct AttncTiles {
#if ATTNC_GRID
  AttncGridPlan plan;
#else
  AttncPlan plan;
#endif
  const int *col;            // the mask row's tiles, or null for the plan
  const unsigned char *full;
  long long n;               // tiles in the mask row
  long long lo, hi;          // the split's k-tiles [lo, hi) (split-KV; else everything)
} AttncTiles;
__device__ __forceinline__ AttncTiles attnc_tiles(const AttncKernelArgs &args, long long b, long long h,
                                                  long long qb, long long Nq, long long Nk) {
  AttncTiles t;
  t.col = 0;
  t.full = 0;
  t.n = 0;
  t.lo = 0;
  t.hi = 0x7fffffffffffffffLL;
#if ATTNC_SPLIT_KV
  // The runtime never splits a call with a block mask: the split is of the static plan's walk.
  if (args.kv_splits > 1) {
    const long long per = ((Nk + BK - 1) / BK + args.kv_splits - 1) / args.kv_splits;
    t.lo = attnc_block_split(args) * per;
    t.hi = t.lo + per;
  }
#endif
#if ATTNC_GRID
  // No block mask reaches a box kernel (the runtime refuses one).
  (void)args, (void)b, (void)h, (void)Nq, (void)Nk;
  t.plan = attnc_grid_plan(qb);
#else
  t.plan = attnc_plan_qblock(qb, Nq, Nk);
  const AttncBlockMask *bm = args.block_mask;
  if (bm) {
    // Rows over the call's (padded) q-blocks: a ragged batch's mask has rows for the longest.
    const long long row = (b * bm->heads + (bm->heads > 1 ? h : 0)) * ((args.q_len + BQ - 1) / BQ) + qb;
    t.col = bm->col + bm->row_ptr[row];
    t.full = bm->full + bm->row_ptr[row];
    t.n = bm->row_ptr[row + 1] - bm->row_ptr[row];
  }
#endif
  return t;
}
// The tile after cursor (kb, i) (kb = -1, i = -1 for the first), or -1.
__device__ __forceinline__ long long attnc_tiles_next(const AttncTiles &t, long long kb, long long i) {
  if (t.col) return i + 1 < t.n ? t.col[i + 1] : -1;
  const long long next = attnc_plan_next(t.plan, kb < t.lo - 1 ? t.lo - 1 : kb);
  return next < t.hi ? next : -1;
}
__device__ __forceinline__ bool attnc_tiles_full(const AttncTiles &t, long long kb, long long i) {
  return t.col ? t.full[i] != 0 : attnc_plan_full(t.plan, kb);
}
