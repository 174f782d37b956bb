//===- ClassifyBlocks.cpp - Static mask analysis into a block map ---------===//
//
// This file implements attn-classify-blocks (attach the symbolic block map)
// and its test companion attn-test-block-ranges (evaluate it for concrete
// lengths so lit tests can pin tile counts and ranges).
//
//===----------------------------------------------------------------------===//

#include "dialect/AttnPasses.h"
#include "lib/Analysis/MaskClauses.h"

#define DEBUG_TYPE "attn-classify-blocks"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNCLASSIFYBLOCKSPASS
#define GEN_PASS_DEF_ATTNTESTBLOCKRANGESPASS
#include "dialect/AttnPasses.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

struct ClassifyBlocks
    : public attn::impl::AttnClassifyBlocksPassBase<ClassifyBlocks> {
  void runOnOperation() override {
    bool failed = false;
    getOperation().walk([&](AttentionOp op) {
      if (!op.getScheduleAttr()) {
        op.emitError() << "attn-classify-blocks needs a schedule; run "
                          "attn-choose-schedule first";
        failed = true;
        return;
      }
      op.setBlockMapAttr(
          attnc::clausesToAttr(op.getContext(), attnc::analyzeMask(op)));
      // A hybrid's complement gets its own map: its full tiles are the ones
      // a kernel may fold into per-block linear states.
      if (!op.getComplement().empty())
        op.setComplementMapAttr(attnc::clausesToAttr(
            op.getContext(), attnc::analyzeMaskRegion(op.getComplement())));
    });
    if (failed)
      signalPassFailure();
  }
};

struct TestBlockRanges
    : public attn::impl::AttnTestBlockRangesPassBase<TestBlockRanges> {
  using AttnTestBlockRangesPassBase::AttnTestBlockRangesPassBase;

  void runOnOperation() override {
    getOperation().walk([&](AttentionOp op) {
      if (!op.getBlockMapAttr() || !op.getScheduleAttr())
        return;
      auto clauses = attnc::clausesFromAttr(op.getBlockMapAttr());
      ScheduleAttr s = op.getScheduleAttr();
      Builder b(op.getContext());
      attnc::TileStats stats =
          attnc::countTiles(clauses, s.getBlockQ(), s.getBlockK(), nq, nk);
      op->setAttr("test.tiles",
                  b.getI64ArrayAttr({stats.total, stats.visited, stats.full,
                                     stats.partial}));
      int64_t qBlocks = (nq + s.getBlockQ() - 1) / s.getBlockQ();
      for (int64_t qb = 0; qb < std::min<int64_t>(qBlocks, showBlocks);
           ++qb) {
        attnc::QBlockPlan plan = attnc::planQBlock(
            clauses, s.getBlockQ(), s.getBlockK(), nq, nk, qb);
        SmallVector<Attribute> segments;
        for (const attnc::BlockRange &r : plan.segments) {
          // [first, last, full blocks in the segment]
          int64_t full = 0;
          for (int64_t kb = r.first; kb <= r.last; ++kb)
            full += plan.isFull(kb);
          segments.push_back(b.getI64ArrayAttr({r.first, r.last, full}));
        }
        op->setAttr("test.qblock" + std::to_string(qb),
                    b.getArrayAttr(segments));
      }
    });
  }
};

} // namespace
