//===- Explain.cpp - `attnc explain`: what the mask analysis found --------===//
//
// This file implements the explain report and its SVG tile map, both from
// the same planQBlock the kernels mirror.
//
//===----------------------------------------------------------------------===//

#include "lib/Driver/Explain.h"
#include "runtime/include/attnc/kv_splits.h"

#include "lib/Analysis/GridTiles.h"

#include "codegen/CpuEmitter.h"

#include "dialect/AttnOps.h"
#include "lib/Analysis/MaskClauses.h"

#include "mlir/IR/Matchers.h"

#include "llvm/Support/Format.h"

using namespace mlir;

namespace attnc {
namespace {

struct Setup {
  std::vector<MaskClause> clauses;
  int64_t bq, bk;
};

FailureOr<Setup> setupOf(Operation *op) {
  auto attention = dyn_cast<attn::AttentionOp>(op);
  if (!attention)
    return op->emitError() << "the tile map (--svg) is the softmax family's; "
                              "this is a linear-family spec";
  if (!attention.getBlockMapAttr() || !attention.getScheduleAttr())
    return op->emitError() << "explain needs a scheduled, classified op";
  return Setup{clausesFromAttr(attention.getBlockMapAttr()),
               attention.getScheduleAttr().getBlockQ(),
               attention.getScheduleAttr().getBlockK()};
}

void printBound(raw_ostream &os, const LinearBound &b) {
  bool first = true;
  auto term = [&](int64_t coef, const char *name) {
    if (!coef)
      return;
    if (!first)
      os << (coef < 0 ? " - " : " + ");
    else if (coef < 0)
      os << "-";
    int64_t mag = coef < 0 ? -coef : coef;
    if (mag != 1)
      os << mag << "*";
    os << name;
    first = false;
  };
  term(b.q, "q");
  term(b.nq, "Nq");
  term(b.nk, "Nk");
  if (b.c || first) {
    if (!first)
      os << (b.c < 0 ? " - " : " + ") << (b.c < 0 ? -b.c : b.c);
    else
      os << b.c;
  }
}

/// Whether the keep region is absent or yields the constant false (the
/// default when a spec has no `keep`).
bool keepsNothing(attn::AttentionOp op) {
  if (op.getKeep().empty())
    return true;
  auto yield = cast<attn::YieldOp>(op.getKeep().front().getTerminator());
  return matchPattern(yield.getValue(), m_Zero());
}

/// The linear branch of a hybrid: which complement tiles fold into block
/// states (full in the complement, skipped by the softmax branch) and which
/// the kernel evaluates element by element (docs/codegen.md, "Hybrid
/// kernels"). Under `select` the softmax tiles are chosen at run time, so
/// the static plan's tiles stand for them.
void explainHybrid(attn::AttentionOp op, const Setup &s, int64_t nq,
                   int64_t nk, raw_ostream &os) {
  std::vector<MaskClause> complement =
      clausesFromAttr(op.getComplementMapAttr());
  const int64_t qBlocks = (nq + s.bq - 1) / s.bq;
  int64_t folded = 0, elementwise = 0, shared = 0;
  for (int64_t qb = 0; qb < qBlocks; ++qb) {
    QBlockPlan soft = planQBlock(s.clauses, s.bq, s.bk, nq, nk, qb);
    QBlockPlan lin = planQBlock(complement, s.bq, s.bk, nq, nk, qb);
    auto visited = [&](int64_t kb) {
      for (const BlockRange &r : soft.segments)
        if (r.first <= kb && kb <= r.last)
          return true;
      return false;
    };
    for (const BlockRange &r : lin.segments)
      for (int64_t kb = r.first; kb <= r.last; ++kb) {
        const bool inSoftmax = visited(kb);
        if (lin.isFull(kb) && !inSoftmax)
          ++folded;
        else
          ++elementwise;
        shared += inSoftmax;
      }
  }
  os << "linear branch (" << attn::stringifyFeature(*op.getHybridFeature())
     << " features, F = " << op.getHybridFeatureDim() << ", combine "
     << attn::stringifyCombine(*op.getCombine()) << "): ";
  if (op.getSelect()) {
    os << "at run time, complement tiles the selection skips fold into "
          "block states and the selected ones are evaluated per element\n";
    return;
  }
  os << folded
     << " complement tiles folded into block states, " << elementwise
     << " evaluated per element (" << shared
     << " of them also visited by the softmax branch)\n";
}

/// One line per target: how it runs `op` (attn-plan-kernel's plans), so
/// that what explain says is what the kernels do.
void explainTargetPlans(Operation *op, raw_ostream &os) {
  if (autoBlockMask(op))
    os << "runtime block mask"
       << (op->getAttrOfType<attn::CpuPlanAttr>("cpu_plan") &&
                   op->getAttrOfType<attn::CpuPlanAttr>("cpu_plan")
                       .getRouted()
               ? " (cuda; the cpu plan sorts by id instead)"
               : "")
       << ": built on every call that passes none (the "
          "mask reads a param, so no tile can be skipped at compile time; "
          "docs/runtime.md §3a)\n";
  auto cpu = op->getAttrOfType<attn::CpuPlanAttr>("cpu_plan");
  auto cuda = op->getAttrOfType<attn::CudaPlanAttr>("cuda_plan");
  auto printForms = [&](ArrayRef<attn::ChunkForm> forms) {
    os << ", forms";
    for (attn::ChunkForm form : forms)
      os << " " << attn::stringifyChunkForm(form);
  };
  if (cpu) {
    os << "cpu plan: ";
    if (cpu.getChunk()) {
      os << "chunk " << cpu.getChunk();
      printForms(cpu.getForms());
      if (cpu.getMemoKeys())
        os << " (chunk-parallel keeps phi(k) and v between phases)";
    } else {
      os << "tiles " << cpu.getBlockQ() << " x " << cpu.getBlockK()
         << ", one task per (b, h, q-block)";
      if (cpu.getRouted())
        os << "; tokens sorted per call by the routing clause's ids "
              "(permute): the tiles visited depend on the ids";
    }
    os << "\n";
  }
  if (auto why = op->getAttrOfType<StringAttr>("cuda_unsupported")) {
    os << "cuda plan: none (" << why.getValue() << ")\n";
    return;
  }
  if (!cuda)
    return;
  os << "cuda plan: " << attn::stringifyCudaPath(cuda.getPath()) << ", "
     << cuda.getThreads() << " threads, "
     << cuda.getSharedBytes() << " bytes of shared memory; ";
  if (cuda.getGrid() == attn::CudaGrid::value_tiles) {
    os << "grid (" << cuda.getValueTiles() << " value tiles of "
       << cuda.getValueTile() << ", heads, batch), chunk " << cuda.getChunk();
    auto chunkPlan = op->getAttrOfType<attn::ChunkPlanAttr>("chunk_plan");
    if (chunkPlan && chunkPlan.getChunk() != cuda.getChunk())
      os << " (the chunk plan's " << chunkPlan.getChunk()
         << ", halved to fit shared memory)";
    printForms(cuda.getForms());
  } else {
    os << "grid (q-blocks, heads, batch), tiles " << cuda.getBlockQ() << " x "
       << cuda.getBlockK() << ", " << cuda.getStages() << " stage"
       << (cuda.getStages() == 1 ? "" : "s");
    if (cuda.getPath() == attn::CudaPath::tensor_core)
      os << ", Q fragments in "
         << (cuda.getQInRegisters() ? "registers" : "shared memory");
  }
  os << "\n";
}

} // namespace

/// Split-KV decode (the CUDA plan's kv_splits, docs/runtime.md §3g): the
/// rule, and the splits it gives these lengths at batch 1 on an H100 SXM's
/// 132 SMs and an A100's 108 (attnc/kv_splits.h, as the runtime applies it).
void explainSplitKv(attn::AttentionOp op, int64_t nq, int64_t nk,
                    raw_ostream &os) {
  auto cuda = op.getCudaPlanAttr();
  if (!cuda || !cuda.getKvSplits())
    return;
  const int64_t qBlocks = (nq + cuda.getBlockQ() - 1) / cuda.getBlockQ();
  const int64_t tiles = (nk + cuda.getBlockK() - 1) / cuda.getBlockK();
  const int64_t blocks = op.getHeads() * qBlocks;
  os << "split-kv (cuda): at launch, when B x " << op.getHeads()
     << " heads x q-blocks < the device's SMs, each sequence's k-tiles are "
        "split (at most "
     << cuda.getKvSplits() << ", at least " << ATTNC_MIN_TILES_PER_SPLIT
     << " tiles each) and the partial results merged; B = 1 here: ";
  for (auto [name, sms] : {std::pair<const char *, int64_t>{"132 SMs", 132},
                           {"108 SMs", 108}}) {
    const long long n = attnc_choose_kv_splits(blocks, tiles, sms,
                                               cuda.getKvSplits(), 0);
    os << (sms == 132 ? "" : ", ") << n << (n == 1 ? " split" : " splits")
       << " on " << name;
  }
  os << "\n";
}

/// The linear family: the chunk plan (attn-plan-chunks) and what it means
/// for these lengths.
LogicalResult explainLinear(attn::LinearAttentionOp op, int64_t nq,
                            int64_t nk, raw_ostream &os) {
  attn::ChunkPlanAttr plan = op.getChunkPlanAttr();
  if (!plan)
    return op.emitError() << "explain needs a planned op (run the attnc "
                             "pipeline)";
  const int64_t chunks = (nk + plan.getChunk() - 1) / plan.getChunk();
  os << "linear attention '" << op.getSymName() << "': Nq " << nq << ", Nk "
     << nk << ", " << (op.getBidirectional() ? "bidirectional" : "causal")
     << ", feature " << attn::stringifyFeature(op.getFeature()) << " (F = "
     << op.getFeatureDim() << "), update "
     << attn::stringifyUpdate(op.getUpdate()) << "\n"
     << "chunks: " << chunks << " of " << plan.getChunk() << " keys; intra "
     << attn::stringifyIntra(plan.getIntra()) << ", inter "
     << attn::stringifyInter(plan.getInter());
  if (plan.getSubChunk())
    os << " (sub-chunks of " << plan.getSubChunk() << ")";
  os << "\nchunk plan forms:";
  for (attn::ChunkForm form : plan.getForms())
    os << " " << attn::stringifyChunkForm(form);
  os << "\nstate: " << op.getFeatureDim() << " x " << op.getValueDim()
     << " floats per (b, h)"
     << (op.getNormalize() == attn::Normalize::sum ? ", plus z of " +
                                                         std::to_string(
                                                             op.getFeatureDim())
                                                   : std::string())
     << "\n";
  explainTargetPlans(op, os);
  return success();
}

/// A token grid's tiles in coordinate space (lib/Analysis/GridTiles.h): the
/// CPU plan's boxes, or why there are none.
void explainGrid(attn::AttentionOp op, raw_ostream &os) {
  ArrayRef<int64_t> sizes = *op.getGrid();
  os << "grid:";
  for (auto [i, size] : llvm::enumerate(sizes))
    os << (i ? " x " : " ") << size;
  os << " tokens, row-major\n";
  auto cpu = op.getCpuPlanAttr();
  if (!cpu || cpu.getBox().empty()) {
    std::optional<std::string> why = whyNoGridBoxes(op);
    auto schedule = op.getScheduleAttr();
    if (!why && (op.getSelect() || op.getHybridFeature()))
      why = "selection and hybrids walk flat tiles";
    else if (!why && schedule && schedule.getBlockQ() != schedule.getBlockK())
      why = "a box is both the query and the key tile, and tile q != k";
    else if (!why)
      why = "no split of the tile's " +
            std::to_string(schedule ? schedule.getBlockQ() : 0) +
            " tokens into powers of two per axis fits the grid within the "
            "class tables' 16 KiB";
    os << "grid boxes: none, the kernels tile flat positions (" << *why
       << ")\n";
    return;
  }
  ArrayRef<int64_t> box = cpu.getBox();
  GridTiles tiles = classifyGridTiles(op, {box.begin(), box.end()});
  TileStats t = tiles.count();
  auto cuda = op.getCudaPlanAttr();
  os << "grid boxes ("
     << (cuda && cuda.getBox() == box ? "cpu and cuda plans" : "cpu plan")
     << "):";
  for (auto [i, side] : llvm::enumerate(box))
    os << (i ? " x " : " ") << side;
  os << " tokens per tile; tiles: " << t.total << " total, " << t.visited
     << " visited ("
     << llvm::format("%.1f%%", t.total ? 100.0 * t.visited / t.total : 0.0)
     << " of dense work), " << t.full << " full, " << t.partial
     << " partial, " << t.total - t.visited << " skipped"
     << (tiles.exact ? "" : " (clauses beyond the per-axis ones are checked "
                            "per element)")
     << "\n";
}

LogicalResult explainText(Operation *op, int64_t nq, int64_t nk,
                          raw_ostream &os) {
  if (auto linear = dyn_cast<attn::LinearAttentionOp>(op))
    return explainLinear(linear, nq, nk, os);
  FailureOr<Setup> s = setupOf(op);
  if (failed(s))
    return failure();
  os << "attention '" << SymbolTable::getSymbolName(op).getValue()
     << "': Nq " << nq << ", Nk " << nk << ", tiles " << s->bq << " x "
     << s->bk << "\n";
  os << "mask clauses (visible keys per query position q):\n";
  for (const MaskClause &c : s->clauses) {
    os << "  max(0";
    for (const LinearBound &b : c.lower) {
      os << ", ";
      printBound(os, b);
    }
    os << ") <= k <= min(Nk - 1";
    for (const LinearBound &b : c.upper) {
      os << ", ";
      printBound(os, b);
    }
    os << ")" << (c.exact ? "" : "  [plus conditions checked per element]")
       << "\n";
  }
  TileStats t = countTiles(s->clauses, s->bq, s->bk, nq, nk);
  auto pct = [&](int64_t n) {
    return llvm::format("%.1f%%", t.total ? 100.0 * n / t.total : 0.0);
  };
  os << "tiles: " << t.total << " total, " << t.visited << " visited ("
     << pct(t.visited) << " of dense work), " << t.full << " full, "
     << t.partial << " partial (masked per element), "
     << t.total - t.visited << " skipped\n";
  if (auto softmax = dyn_cast<attn::AttentionOp>(op);
      softmax && softmax.getGrid())
    explainGrid(softmax, os);
  if (auto softmax = dyn_cast<attn::AttentionOp>(op);
      softmax && softmax.getSelect()) {
    const double value = softmax.getSelectValue()->convertToDouble();
    os << "selection: at run time, per (b, h, q-tile), ";
    if (*softmax.getSelect() == attn::SelectRule::topk)
      os << "the " << static_cast<int64_t>(value) << " best";
    else
      os << "the best k-tiles up to softmax mass " << llvm::format("%g", value)
         << " of the";
    os << " visited k-tiles by mean(q) . mean(k)"
       << (keepsNothing(softmax) ? "" : ", plus the kept ones")
       << "; the tiles above are an upper bound\n";
  }
  if (auto softmax = dyn_cast<attn::AttentionOp>(op);
      softmax && softmax.getComplementMapAttr())
    explainHybrid(softmax, *s, nq, nk, os);
  explainTargetPlans(op, os);
  if (auto softmax = dyn_cast<attn::AttentionOp>(op))
    explainSplitKv(softmax, nq, nk, os);
  return success();
}

LogicalResult explainSvg(Operation *op, int64_t nq, int64_t nk,
                         raw_ostream &os) {
  FailureOr<Setup> s = setupOf(op);
  if (failed(s))
    return failure();
  // A token grid in boxes: the map of the boxes (tile space), from the
  // per-axis classes, while there are few enough to list per row.
  std::optional<GridTiles> grid;
  if (auto softmax = dyn_cast<attn::AttentionOp>(op); softmax && softmax.getGrid())
    if (auto cpu = softmax.getCpuPlanAttr(); cpu && !cpu.getBox().empty()) {
      ArrayRef<int64_t> box = cpu.getBox();
      GridTiles tiles = classifyGridTiles(softmax, {box.begin(), box.end()});
      if (tiles.boxCount() <= 16384)
        grid = std::move(tiles);
    }
  const int64_t qBlocks =
      grid ? grid->boxCount() : (nq + s->bq - 1) / s->bq;
  const int64_t kBlocks =
      grid ? grid->boxCount() : (nk + s->bk - 1) / s->bk;
  // A drawable map: at most kMaxCells cells a side, each cell merging
  // group x group tiles beyond that (at --len 1048576 a map of every tile
  // was 8 GB). Cells shrink for big maps so the picture stays about 800 px
  // wide.
  constexpr int64_t kMaxCells = 512;
  const int64_t group =
      std::max<int64_t>(1, (std::max(qBlocks, kBlocks) + kMaxCells - 1) /
                               kMaxCells);
  const int64_t rows = (qBlocks + group - 1) / group;
  const int64_t cols = (kBlocks + group - 1) / group;
  const int64_t cell =
      std::max<int64_t>(1, std::min<int64_t>(16, 800 / std::max<int64_t>(
                                                       cols, 1)));
  const int64_t margin = 40;
  const int64_t width = cols * cell + 2 * margin;
  const int64_t height = rows * cell + 2 * margin + 20;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width
     << "\" height=\"" << height << "\" font-family=\"sans-serif\" "
     << "font-size=\"12\">\n"
     << "<title>" << SymbolTable::getSymbolName(op).getValue()
     << " tile map</title>\n"
     << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
     << "<text x=\"" << margin << "\" y=\"20\">"
     << SymbolTable::getSymbolName(op).getValue() << ": Nq " << nq << ", Nk "
     << nk;
  if (grid) {
    os << " (rows: query boxes of";
    for (auto [i, a] : llvm::enumerate(grid->axes))
      os << (i ? " x " : " ") << a.box;
    os << " tokens, columns: key boxes";
  } else {
    os << " (rows: q-blocks of " << s->bq << ", columns: k-blocks of "
       << s->bk;
  }
  if (group > 1)
    os << "; each cell " << group << " x " << group << " tiles";
  os << "; dark full, light partial, white skipped)</text>\n";
  // Per row of cells, how many tiles of each cell are visited and full,
  // from the q-blocks' block ranges (a difference array over the cells
  // wholly inside a range, the two end cells directly): the work is linear
  // in the q-blocks and the cells, not in the tiles.
  std::vector<int64_t> visited(cols), full(cols);
  for (int64_t row = 0; row < rows; ++row) {
    std::fill(visited.begin(), visited.end(), 0);
    std::fill(full.begin(), full.end(), 0);
    std::vector<int64_t> visitedStep(cols + 1), fullStep(cols + 1);
    auto add = [&](std::vector<int64_t> &counts, std::vector<int64_t> &step,
                   const BlockRange &r) {
      if (r.empty())
        return;
      const int64_t c0 = r.first / group, c1 = r.last / group;
      if (c0 == c1) {
        counts[c0] += r.last - r.first + 1;
        return;
      }
      counts[c0] += (c0 + 1) * group - r.first;
      counts[c1] += r.last - c1 * group + 1;
      step[c0 + 1] += group;
      step[c1] -= group;
    };
    const int64_t qb0 = row * group, qb1 = std::min(qBlocks, qb0 + group);
    for (int64_t qb = qb0; qb < qb1; ++qb) {
      if (grid) {
        // Runs of visited and of full key boxes.
        BlockRange v{0, -1}, f{0, -1};
        for (int64_t kb = 0; kb <= kBlocks; ++kb) {
          const GridClass c = kb < kBlocks ? grid->tileClass(qb, kb) : kGridEmpty;
          if (c != kGridEmpty && !v.empty() && v.last == kb - 1)
            v.last = kb;
          else if (c != kGridEmpty)
            add(visited, visitedStep, v), v = {kb, kb};
          if (c == kGridFull && !f.empty() && f.last == kb - 1)
            f.last = kb;
          else if (c == kGridFull)
            add(full, fullStep, f), f = {kb, kb};
        }
        add(visited, visitedStep, v);
        add(full, fullStep, f);
        continue;
      }
      QBlockPlan plan = planQBlock(s->clauses, s->bq, s->bk, nq, nk, qb);
      for (const BlockRange &r : plan.segments)
        add(visited, visitedStep, r);
      for (const BlockRange &r : visitedFullRanges(plan))
        add(full, fullStep, r);
    }
    int64_t v = 0, f = 0;
    for (int64_t c = 0; c < cols; ++c) {
      v += visitedStep[c];
      f += fullStep[c];
      visited[c] += v;
      full[c] += f;
    }
    // One rect per run of equal cells in the row.
    auto colour = [&](int64_t c) -> const char * {
      const int64_t tiles = (qb1 - qb0) * (std::min(kBlocks, (c + 1) * group) -
                                           c * group);
      if (visited[c] == 0)
        return nullptr;
      return full[c] == tiles ? "#1f4e79" : "#9dc3e6";
    };
    for (int64_t c = 0; c < cols;) {
      const char *fill = colour(c);
      int64_t end = c + 1;
      while (end < cols && colour(end) == fill)
        ++end;
      if (fill)
        os << "<rect x=\"" << margin + c * cell << "\" y=\""
           << margin + row * cell << "\" width=\"" << (end - c) * cell
           << "\" height=\"" << cell << "\" fill=\"" << fill << "\"/>\n";
      c = end;
    }
  }
  os << "<rect x=\"" << margin << "\" y=\"" << margin << "\" width=\""
     << cols * cell << "\" height=\"" << rows * cell
     << "\" fill=\"none\" stroke=\"black\"/>\n</svg>\n";
  return success();
}

} // namespace attnc
