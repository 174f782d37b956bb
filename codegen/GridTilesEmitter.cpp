//===- GridTilesEmitter.cpp - A grid's box tables as C++ ------------------===//
//
// The classes are computed once here, at compile time, from the same
// analysis `attnc explain` counts with, and printed as per-axis tables: a
// 64 x 64 grid in 8 x 8 boxes needs two tables of 8 x 8 bytes, not a map
// of its 4096 tiles. The index arithmetic is printed unrolled, one line
// per axis with the plan's sizes as literals, so that every division is by
// a constant on both targets.
//
//===----------------------------------------------------------------------===//

#include "codegen/GridTilesEmitter.h"

#include "codegen/DeviceSources.h"
#include "lib/Analysis/GridTiles.h"

using namespace mlir;

namespace attnc {

ArrayRef<int64_t> cpuGridBox(attn::AttentionOp op) {
  attn::CpuPlanAttr plan = op.getCpuPlanAttr();
  return plan ? plan.getBox() : ArrayRef<int64_t>();
}

ArrayRef<int64_t> cudaGridBox(attn::AttentionOp op) {
  attn::CudaPlanAttr plan = op.getCudaPlanAttr();
  return plan ? plan.getBox() : ArrayRef<int64_t>();
}

void emitGridTiles(attn::AttentionOp op, ArrayRef<int64_t> box, Target target,
                   raw_ostream &os) {
  GridTiles tiles = classifyGridTiles(op, {box.begin(), box.end()});
  const size_t n = tiles.axes.size();
  // Row-major strides: of tokens over the grid, of boxes over the grid of
  // boxes, of positions inside a box.
  std::vector<int64_t> tokenStride(n, 1), boxStride(n, 1), innerStride(n, 1);
  for (size_t a = n - 1; a-- > 0;) {
    tokenStride[a] = tokenStride[a + 1] * tiles.axes[a + 1].size;
    boxStride[a] = boxStride[a + 1] * tiles.axes[a + 1].boxes;
    innerStride[a] = innerStride[a + 1] * tiles.axes[a + 1].box;
  }
  const bool cuda = target == Target::Cuda;
  os << "\n// ---- token grid in boxes (docs/language.md §3c) ----\n"
     << "#define ATTNC_GRID 1\n"
     << "#define ATTNC_GRID_FN "
     << (cuda ? "__device__ __forceinline__" : "static inline") << "\n"
     << "#define kGridBoxCount " << tiles.boxCount() << "LL\n";
  // The class tables, axis after axis: [query box][key box] of each.
  std::vector<int64_t> offset(n, 0);
  int64_t total = 0;
  for (size_t a = 0; a < n; ++a) {
    offset[a] = total;
    total += static_cast<int64_t>(tiles.axes[a].cls.size());
  }
  os << "// Per axis, [query box][key box]: 0 no pair visible, 1 some, 2 "
        "all.\n"
     << (cuda ? "__constant__ " : "static ") << "const unsigned char kGridClass["
     << total << "] = {";
  int64_t i = 0;
  for (const GridAxisTiles &a : tiles.axes)
    for (uint8_t c : a.cls)
      os << (i++ % 32 == 0 ? "\n  " : "") << int(c) << ",";
  os << "\n};\n"
     << "typedef struct AttncGridPlan {\n"
     << "  const unsigned char *cls[" << n << "];\n"
     << "} AttncGridPlan;\n";
  // Tile-space index -> token.
  os << "ATTNC_GRID_FN long long attnc_grid_token(long long i) {\n"
     << "  const long long box = i / BQ, inner = i % BQ;\n"
     << "  long long token = 0, c;\n";
  for (size_t a = 0; a < n; ++a) {
    const GridAxisTiles &t = tiles.axes[a];
    os << "  c = box / " << boxStride[a] << " % " << t.boxes << " * " << t.box
       << " + inner / " << innerStride[a] << " % " << t.box << ";\n";
    if (t.boxes * t.box != t.size)
      os << "  if (c >= " << t.size << ") return -1; // padding\n";
    os << "  token += c * " << tokenStride[a] << ";\n";
  }
  os << "  return token;\n}\n";
  // A query box's rows of the class tables.
  os << "ATTNC_GRID_FN AttncGridPlan attnc_grid_plan(long long qb) {\n"
     << "  AttncGridPlan p;\n";
  for (size_t a = 0; a < n; ++a) {
    const GridAxisTiles &t = tiles.axes[a];
    os << "  p.cls[" << a << "] = kGridClass + " << offset[a] << " + qb / "
       << boxStride[a] << " % " << t.boxes << " * " << t.boxes << ";\n";
  }
  os << "  return p;\n}\n";
  // A tile's class: the product of its axes'.
  os << "ATTNC_GRID_FN int attnc_grid_class(const AttncGridPlan &p, long long "
        "kb) {\n"
     << "  int cls = " << (tiles.exact ? 2 : 1) << ", c;\n";
  for (size_t a = 0; a < n; ++a)
    os << "  c = p.cls[" << a << "][kb / " << boxStride[a] << " % "
       << tiles.axes[a].boxes
       << "];\n  if (c == 0) return 0;\n  if (c == 1) cls = 1;\n";
  os << "  return cls;\n}\n" << kGridTiles << "\n";
}

} // namespace attnc
