//===- ExplainBlockMask.cpp - `attnc explain --block-mask` ----------------===//

#include "tools/attnc/ExplainBlockMask.h"

#include "tools/attnc/BackendRun.h"
#include "tools/attnc/Inputs.h"

#include "dialect/AttnOps.h"
#include "lib/Driver/Package.h"
#include "lib/Reference/Reference.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"

#include <algorithm>

using namespace mlir;

namespace attnc {

namespace {

LogicalResult error(const std::string &message) {
  llvm::errs() << "attnc: error: " << message << "\n";
  return failure();
}

/// The runtime map as SVG: one cell per tile up to 512 a side, beyond that
/// one cell per G x G tiles (dark only when all of them are full), like the
/// static map of `explain --svg`.
void drawRuntimeMap(StringRef name, const RuntimeMaskRequest &r,
                    const BlockMaskMap &map, llvm::raw_ostream &os) {
  constexpr int64_t kMaxCells = 512;
  const int64_t group = std::max<int64_t>(
      1, (std::max(map.qBlocks, map.kBlocks) + kMaxCells - 1) / kMaxCells);
  const int64_t rows = (map.qBlocks + group - 1) / group;
  const int64_t cols = (map.kBlocks + group - 1) / group;
  const int64_t cell = std::max<int64_t>(
      1, std::min<int64_t>(16, 800 / std::max<int64_t>(cols, 1)));
  const int64_t margin = 40;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\""
     << cols * cell + 2 * margin << "\" height=\""
     << rows * cell + 2 * margin + 20
     << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
     << "<title>" << name << " runtime block mask</title>\n"
     << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
     << "<text x=\"" << margin << "\" y=\"20\">" << name << ": Nq " << r.nq
     << ", Nk " << r.nk << ", runtime block mask of batch 0, head 0 (seed "
     << r.seed << ")";
  if (group > 1)
    os << "; each cell " << group << " x " << group << " tiles";
  os << "; dark full, light partial, white skipped</text>\n";
  for (int64_t row = 0; row < rows; ++row) {
    for (int64_t col = 0; col < cols; ++col) {
      int64_t visited = 0, full = 0, tiles = 0;
      for (int64_t qb = row * group;
           qb < std::min<int64_t>(map.qBlocks, (row + 1) * group); ++qb)
        for (int64_t kb = col * group;
             kb < std::min<int64_t>(map.kBlocks, (col + 1) * group); ++kb) {
          uint8_t t = map.tiles[qb * map.kBlocks + kb];
          ++tiles;
          visited += t != 0;
          full += t == 2;
        }
      if (visited == 0)
        continue;
      os << "<rect x=\"" << margin + col * cell << "\" y=\""
         << margin + row * cell << "\" width=\"" << cell << "\" height=\""
         << cell << "\" fill=\"" << (full == tiles ? "#1f4e79" : "#9dc3e6")
         << "\"/>\n";
    }
  }
  os << "<rect x=\"" << margin << "\" y=\"" << margin << "\" width=\""
     << cols * cell << "\" height=\"" << rows * cell
     << "\" fill=\"none\" stroke=\"black\"/>\n</svg>\n";
}

} // namespace

LogicalResult explainRuntimeBlockMask(Operation *op, StringRef specText,
                                      const RuntimeMaskRequest &request,
                                      llvm::raw_ostream &os) {
  if (!isa<attn::AttentionOp>(op))
    return error("--block-mask: runtime block masks are the softmax "
                 "family's; this is a linear-family spec");
  reference::Inputs inputs;
  std::string shape = "1," + std::to_string(request.nq) + "," +
                      std::to_string(request.nk);
  if (std::string e = makeRandomInputs(op, shape, request.seed, false, inputs,
                                       request.meanSegment);
      !e.empty())
    return error(e);
  reference::Problem problem;
  if (std::string e = reference::checkInputs(op, inputs, problem); !e.empty())
    return error(e);
  roundToStorageDtype(op, inputs);

  std::string dir = temporaryPackageDir();
  if (dir.empty())
    return error("cannot create a temporary package directory");
  auto removeDir =
      llvm::make_scope_exit([&] { (void)llvm::sys::fs::remove_directories(dir); });
  PackageOptions options;
  options.outDir = dir;
  options.buildCuda = false;
  options.buildCpu = true;
  if (failed(writePackage(op, specText, options)))
    return failure();
  BlockMaskMap map;
  if (std::string e = buildBlockMaskOnCpu(op, dir, inputs, map); !e.empty())
    return error(e);
  const double dense = double(map.rows) * map.kBlocks;
  os << "runtime block mask (random inputs, batch 1, seed " << request.seed
     << "): " << map.nnz << " tiles visited ("
     << llvm::format("%.1f", dense > 0 ? 100.0 * map.nnz / dense : 0.0)
     << "% of dense work), " << map.full << " full, " << map.partial
     << " partial; static plan: " << map.staticTiles << " tiles ("
     << map.rows << " rows of " << map.kBlocks << " k-blocks, heads "
     << map.heads << ")\n";
  if (request.svgPath.empty())
    return success();
  std::string picture;
  llvm::raw_string_ostream svg(picture);
  drawRuntimeMap(SymbolTable::getSymbolName(op).getValue(), request, map, svg);
  std::error_code ec;
  llvm::raw_fd_ostream file(request.svgPath, ec);
  if (ec)
    return error("cannot write '" + request.svgPath + "': " + ec.message());
  file << picture;
  return success();
}

} // namespace attnc
