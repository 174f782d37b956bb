//===- Explain.cpp - `attnc explain`: what the mask analysis found --------===//
//
// This file implements the explain report and its SVG tile map, both from
// the same planQBlock the kernels mirror.
//
//===----------------------------------------------------------------------===//

#include "lib/Driver/Explain.h"

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
  return success();
}

LogicalResult explainSvg(Operation *op, int64_t nq, int64_t nk,
                         raw_ostream &os) {
  FailureOr<Setup> s = setupOf(op);
  if (failed(s))
    return failure();
  const int64_t qBlocks = (nq + s->bq - 1) / s->bq;
  const int64_t kBlocks = (nk + s->bk - 1) / s->bk;
  // Cells shrink for big maps so the picture stays about 800 px wide.
  const int64_t cell =
      std::max<int64_t>(1, std::min<int64_t>(16, 800 / std::max<int64_t>(
                                                       kBlocks, 1)));
  const int64_t margin = 40;
  const int64_t width = kBlocks * cell + 2 * margin;
  const int64_t height = qBlocks * cell + 2 * margin + 20;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width
     << "\" height=\"" << height << "\" font-family=\"sans-serif\" "
     << "font-size=\"12\">\n"
     << "<title>" << SymbolTable::getSymbolName(op).getValue()
     << " tile map</title>\n"
     << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
     << "<text x=\"" << margin << "\" y=\"20\">"
     << SymbolTable::getSymbolName(op).getValue() << ": Nq " << nq << ", Nk "
     << nk << " (rows: q-blocks of " << s->bq << ", columns: k-blocks of "
     << s->bk << "; dark full, light partial, white skipped)</text>\n";
  for (int64_t qb = 0; qb < qBlocks; ++qb) {
    QBlockPlan plan = planQBlock(s->clauses, s->bq, s->bk, nq, nk, qb);
    for (const BlockRange &r : plan.segments)
      for (int64_t kb = r.first; kb <= r.last; ++kb)
        os << "<rect x=\"" << margin + kb * cell << "\" y=\""
           << margin + qb * cell << "\" width=\"" << cell << "\" height=\""
           << cell << "\" fill=\"" << (plan.isFull(kb) ? "#1f4e79" : "#9dc3e6")
           << "\"/>\n";
  }
  os << "<rect x=\"" << margin << "\" y=\"" << margin << "\" width=\""
     << kBlocks * cell << "\" height=\"" << qBlocks * cell
     << "\" fill=\"none\" stroke=\"black\"/>\n</svg>\n";
  return success();
}

} // namespace attnc
