//===- ChooseSchedule.cpp - Complete and verify the schedule --------------===//
//
// This file implements attn-choose-schedule: the spec's tile and chunk hints
// are kept, missing fields get defaults, and hints the kernels cannot honour
// are reported at the clause that gave them (attn::clauseLoc).
//
//===----------------------------------------------------------------------===//

#include "dialect/AttnPasses.h"

#define DEBUG_TYPE "attn-choose-schedule"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNCHOOSESCHEDULEPASS
#include "dialect/AttnPasses.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Defaults for the tensor-core path: each warp owns 16 query rows of an
/// m16n8k16 fragment; block_k bounds the register footprint of S and P.
ScheduleAttr softmaxSchedule(AttentionOp op, ScheduleAttr hints) {
  int64_t warps = hints && hints.getWarps() ? hints.getWarps() : 4;
  int64_t blockQ = hints && hints.getBlockQ() ? hints.getBlockQ() : 16 * warps;
  int64_t blockK = hints && hints.getBlockK()
                       ? hints.getBlockK()
                       : (op.getHeadDim() > 128 || op.getValueDim() > 128 ? 32
                                                                          : 64);
  int64_t stages = hints && hints.getStages() ? hints.getStages() : 2;
  return ScheduleAttr::get(op.getContext(), blockQ, blockK, warps, stages, 0);
}

LogicalResult verifySoftmaxSchedule(AttentionOp op, ScheduleAttr s) {
  if (s.getBlockQ() % (16 * s.getWarps()) != 0)
    return emitError(clauseLoc(op, "tile"))
           << "expected tile q to be a multiple of 16 * warps ("
                          << 16 * s.getWarps() << "), got " << s.getBlockQ();
  if (s.getBlockK() % 16 != 0)
    return emitError(clauseLoc(op, "tile"))
           << "expected tile k to be a multiple of 16, got "
                          << s.getBlockK();
  if (s.getStages() > 4)
    return emitError(clauseLoc(op, "tile"))
           << "expected at most 4 pipeline stages, got "
                          << s.getStages();
  return success();
}

LogicalResult scheduleLinear(LinearAttentionOp op) {
  ScheduleAttr hints = op.getScheduleAttr();
  int64_t chunk = hints && hints.getChunk() ? hints.getChunk() : 64;
  if (chunk < 16 || chunk > 256 || (chunk & (chunk - 1)) != 0)
    return emitError(clauseLoc(op, "chunk"))
           << "expected chunk to be a power of two in [16, 256], got "
                          << chunk;
  int64_t warps = hints && hints.getWarps() ? hints.getWarps() : 4;
  int64_t stages = hints && hints.getStages() ? hints.getStages() : 2;
  op.setScheduleAttr(
      ScheduleAttr::get(op.getContext(), 0, 0, warps, stages, chunk));
  return success();
}

struct ChooseSchedule
    : public attn::impl::AttnChooseSchedulePassBase<ChooseSchedule> {
  void runOnOperation() override {
    bool failed = false;
    getOperation().walk([&](Operation *op) {
      if (auto softmax = dyn_cast<AttentionOp>(op)) {
        ScheduleAttr s = softmaxSchedule(softmax, softmax.getScheduleAttr());
        if (mlir::failed(verifySoftmaxSchedule(softmax, s)))
          failed = true;
        else
          softmax.setScheduleAttr(s);
      } else if (auto linear = dyn_cast<LinearAttentionOp>(op)) {
        failed |= mlir::failed(scheduleLinear(linear));
      }
    });
    if (failed)
      signalPassFailure();
  }
};

} // namespace
