//===- GridTilesEmitter.cpp - A grid's box tables as C++ ------------------===//
//
// The classes are computed once here, at compile time, from the same
// analysis `attnc explain` counts with, and printed as per-axis tables: a
// 64 x 64 grid in 8 x 8 boxes needs two tables of 8 x 8 bytes, not a map
// of its 4096 tiles.
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

void emitGridTiles(attn::AttentionOp op, raw_ostream &os) {
  ArrayRef<int64_t> box = cpuGridBox(op);
  GridTiles tiles = classifyGridTiles(op, {box.begin(), box.end()});
  auto list = [&](auto field) {
    std::string out;
    for (const GridAxisTiles &a : tiles.axes)
      out += (out.empty() ? "" : ", ") + std::to_string(field(a)) + "LL";
    return out;
  };
  ArrayRef<int64_t> sizes = *op.getGrid();
  std::string strides;
  int64_t stride = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    strides = std::to_string(stride) + "LL" + (strides.empty() ? "" : ", ") +
              strides;
    stride *= sizes[i];
  }
  os << "\n// ---- token grid in boxes (docs/language.md §3c) ----\n"
     << "#define GRID_AXES " << tiles.axes.size() << "\n"
     << "static const long long kGridSize[GRID_AXES] = {"
     << list([](const GridAxisTiles &a) { return a.size; }) << "};\n"
     << "static const long long kGridStride[GRID_AXES] = {" << strides
     << "};\n"
     << "static const long long kGridBox[GRID_AXES] = {"
     << list([](const GridAxisTiles &a) { return a.box; }) << "};\n"
     << "static const long long kGridBoxes[GRID_AXES] = {"
     << list([](const GridAxisTiles &a) { return a.boxes; }) << "};\n"
     << "static const long long kGridBoxCount = " << tiles.boxCount()
     << ";\n"
     << "static const bool kGridExact = " << (tiles.exact ? "true" : "false")
     << ";\n";
  std::string offsets;
  int64_t offset = 0;
  for (const GridAxisTiles &a : tiles.axes) {
    offsets += (offsets.empty() ? "" : ", ") + std::to_string(offset);
    offset += static_cast<int64_t>(a.cls.size());
  }
  os << "static const long long kGridClassOffset[GRID_AXES] = {" << offsets
     << "};\n"
     << "// Per axis, [query box][key box]: 0 no pair visible, 1 some, 2 "
        "all.\n"
     << "static const unsigned char kGridClass[" << offset << "] = {";
  int64_t n = 0;
  for (const GridAxisTiles &a : tiles.axes)
    for (uint8_t c : a.cls)
      os << (n++ % 32 == 0 ? "\n  " : "") << int(c) << ",";
  os << "\n};\n" << kCpuGridTiles << "\n";
}

} // namespace attnc
