//===- Pipeline.cpp - The default attnc pass pipeline ---------------------===//
//
// One place for the pass order: attnc's CLI and `attnc-opt --attnc-pipeline`
// both build it here, so lit tests reproduce exactly what users get.
//
//===----------------------------------------------------------------------===//

#include "dialect/AttnPasses.h"

#include "mlir/Pass/PassRegistry.h"

namespace mlir::attn {

void buildAttncPipeline(OpPassManager &pm) {
  pm.addPass(createAttnChooseSchedulePass());
  pm.addPass(createAttnClassifyBlocksPass());
}

void registerAttncPasses() {
  registerAttnPasses();
  PassPipelineRegistration<>(
      "attnc-pipeline", "the default attnc pipeline (what `attnc` runs)",
      buildAttncPipeline);
}

} // namespace mlir::attn
