//===- PlanChunks.cpp - The chunk structure of linear ops -----------------===//
//
// This file implements attn-plan-chunks: from a scheduled linear op's gate,
// update rule and direction it derives the chunk plan the kernels follow
// (intra-chunk product, inter-chunk state rule, sub-chunks, kernel forms)
// and attaches it as `chunk_plan`. The emitters read the plan instead of
// re-deriving the algorithm, so `attnc --emit=blocked` shows what runs.
//
//===----------------------------------------------------------------------===//

#include "dialect/AttnPasses.h"

#define DEBUG_TYPE "attn-plan-chunks"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNPLANCHUNKSPASS
#include "dialect/AttnPasses.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Rows per sub-chunk of a per-channel gate: the diagonal sub-blocks take
/// one exponential per (row, key, channel), the rest factor through the
/// sub-chunk start; 16 keeps both the exp count and the rescaled-row
/// products small (GLA's secondary chunking).
constexpr int64_t kSubChunk = 16;

LogicalResult planLinear(LinearAttentionOp op) {
  ScheduleAttr schedule = op.getScheduleAttr();
  if (!schedule || schedule.getChunk() <= 0)
    return op.emitError() << "expected a schedule with a chunk length (run "
                             "attn-choose-schedule first)";
  const int64_t chunk = schedule.getChunk();
  const bool vector = op.hasVectorDecay();
  const bool unit = !vector && op.hasUnitDecay();
  const bool delta = op.getUpdate() == Update::delta;
  const bool bidirectional = op.getBidirectional();

  Intra intra;
  Inter inter;
  if (delta) {
    inter = vector ? Inter::vector_gated_delta_wy
            : unit ? Inter::delta_wy
                   : Inter::gated_delta_wy;
    intra = vector ? Intra::channel_pair_masked
            : unit ? Intra::masked
                   : Intra::decay_masked;
  } else {
    inter = vector ? Inter::vector_decay
            : unit ? Inter::state_add
                   : Inter::scalar_decay;
    intra = bidirectional ? Intra::none
            : vector      ? Intra::channel_decay_masked
            : unit        ? Intra::masked
                          : Intra::decay_masked;
  }
  const int64_t subChunk =
      intra == Intra::channel_decay_masked ? std::min(kSubChunk, chunk) : 0;

  // Chunk-parallel composes chunk states by an affine carry: a decay for
  // update add, an F x F transition for the delta rule. Bidirectional ops
  // have no carried state to scan (not implemented).
  const bool parallelOk = !bidirectional;
  SmallVector<ChunkForm> forms;
  std::optional<ChunkForm> forced = op.getChunkForm();
  if (forced == ChunkForm::chunk_parallel && !parallelOk)
    return emitError(clauseLoc(op, "chunk"))
           << "the chunk-parallel form is not implemented for a "
              "bidirectional op; expected 'chunk "
           << chunk << " sequential' or no form";
  if (forced != ChunkForm::chunk_parallel)
    forms.push_back(ChunkForm::sequential);
  if (parallelOk && forced != ChunkForm::sequential)
    forms.push_back(ChunkForm::chunk_parallel);
  if (!bidirectional)
    forms.push_back(ChunkForm::recurrent_step);

  auto emitError = [&] { return op.emitError(); };
  ChunkPlanAttr plan = ChunkPlanAttr::getChecked(
      emitError, op.getContext(), chunk, intra, inter, subChunk,
      ArrayRef<ChunkForm>(forms));
  if (!plan)
    return failure();
  op.setChunkPlanAttr(plan);
  return success();
}

struct PlanChunks : public attn::impl::AttnPlanChunksPassBase<PlanChunks> {
  void runOnOperation() override {
    bool failed = false;
    getOperation().walk([&](LinearAttentionOp op) {
      failed |= mlir::failed(planLinear(op));
    });
    if (failed)
      signalPassFailure();
  }
};

} // namespace
