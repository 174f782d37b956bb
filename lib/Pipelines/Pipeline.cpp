//===- Pipeline.cpp - The default attnc pass pipeline ---------------------===//
//
// One place for the pass order: attnc's CLI and `attnc-opt --attnc-pipeline`
// both build it here, so lit tests reproduce exactly what users get.
//
//===----------------------------------------------------------------------===//

#include "dialect/AttnPasses.h"

#include "mlir/Pass/PassRegistry.h"

namespace mlir::attn {

void buildAttncPipeline(OpPassManager &pm, PipelineStage upTo,
                        bool backward) {
  // The backward's derivative regions first: every later pass keeps them.
  // A file's blocks without a backward (linear, hybrid) get a warning; the
  // caller reports the block it needed (attnc compile/run --backward).
  if (backward)
    pm.addPass(createAttnDifferentiatePass({/*allowUnsupported=*/true}));
  pm.addPass(createAttnChooseSchedulePass());
  if (upTo == PipelineStage::Scheduled)
    return;
  // Blocked: the softmax family's block maps, the linear family's chunk
  // plans (both read only the schedule), then the per-target kernel plans.
  pm.addPass(createAttnClassifyBlocksPass());
  pm.addPass(createAttnPlanChunksPass());
  // Everything about how each target runs each op, read by every emitter.
  pm.addPass(createAttnPlanKernelPass());
  if (upTo == PipelineStage::Blocked)
    return;
  // Kernel: each planned op written out per target (lib/Conversion).
  pm.addPass(createAttnConvertSoftmaxToKernelPass());
  pm.addPass(createAttnConvertLinearToKernelPass());
  if (backward)
    pm.addPass(createAttnConvertSoftmaxBackwardToKernelPass());
}

void buildBackwardPipeline(OpPassManager &pm) {
  pm.addPass(createAttnDifferentiatePass());
}

void registerAttncPasses() {
  registerAttnPasses();
  PassPipelineRegistration<>(
      "attnc-pipeline", "the default attnc pipeline (what `attnc` runs)",
      [](OpPassManager &pm) { buildAttncPipeline(pm); });
  PassPipelineRegistration<>(
      "attnc-backward-pipeline",
      "the attnc pipeline with the backward kernels (`attnc compile "
      "--backward`)",
      [](OpPassManager &pm) {
        buildAttncPipeline(pm, PipelineStage::Kernel, /*backward=*/true);
      });
}

} // namespace mlir::attn
