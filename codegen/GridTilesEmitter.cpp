//===- GridTilesEmitter.cpp - A grid's box tables as C++ ------------------===//
//
// The classes are computed once here, at compile time, from the same
// analysis `attnc explain` counts with, and printed as per-axis tables: a
// 64 x 64 grid in 8 x 8 boxes needs two tables of 8 x 8 bytes, not a map
// of its 4096 tiles. The geometry is printed as one #define per axis and
// quantity, so that the walk in codegen/device/grid_tiles.cuh divides by
// constants on both targets.
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
  os << "\n};\n";
  // The geometry, one line per axis, for the box walk.
  os << "#define GRID_AXES " << n << "\n#define GRID_EXACT "
     << (tiles.exact ? 1 : 0) << "\n";
  for (size_t a = 0; a < n; ++a) {
    const GridAxisTiles &t = tiles.axes[a];
    os << "#define GRID_SIZE_" << a << " " << t.size << "LL\n"
       << "#define GRID_STRIDE_" << a << " " << tokenStride[a] << "LL\n"
       << "#define GRID_BOX_" << a << " " << t.box << "LL\n"
       << "#define GRID_BOXES_" << a << " " << t.boxes << "LL\n"
       << "#define GRID_BOX_STRIDE_" << a << " " << boxStride[a] << "LL\n"
       << "#define GRID_INNER_STRIDE_" << a << " " << innerStride[a] << "LL\n"
       << "#define GRID_CLASS_AT_" << a << " " << offset[a] << "\n";
  }
  os << kGridTiles << "\n";
}

} // namespace attnc
