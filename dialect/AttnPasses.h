//===- AttnPasses.h - attn passes -------------------------------*- C++ -*-===//
//
// Declares the attn passes (generated from AttnPasses.td) and the default
// pipeline.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECT_ATTNPASSES_H
#define ATTNC_DIALECT_ATTNPASSES_H

#include "dialect/AttnOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace mlir::attn {

#define GEN_PASS_DECL
#include "dialect/AttnPasses.h.inc"

#define GEN_PASS_REGISTRATION
#include "dialect/AttnPasses.h.inc"

/// The levels the default pipeline can stop at (`attnc --emit=`).
enum class PipelineStage {
  Scheduled, ///< after attn-choose-schedule
  Blocked,   ///< block maps, chunk plans and the per-target kernel plans
  Kernel,    ///< plus one attn.kernel per target: what the emitters consume
};

/// The default pass order from attn IR to the kernel level the emitters
/// consume, or up to `upTo`. `attnc` and `attnc-opt --attnc-pipeline` (the
/// whole of it) both use it.
/// With `backward`, attn-differentiate runs first and the kernel level
/// also holds the backward kernels (attn-convert-softmax-backward-to-kernel).
void buildAttncPipeline(OpPassManager &pm,
                        PipelineStage upTo = PipelineStage::Kernel,
                        bool backward = false);

/// attn-differentiate: the derivative regions the backward pass evaluates
/// (`attnc --emit=backward`, `attnc run --backward`). Not part of the
/// forward pipeline.
void buildBackwardPipeline(OpPassManager &pm);

/// Registers every attn pass and the `attnc-pipeline` pipeline.
void registerAttncPasses();

} // namespace mlir::attn

#endif // ATTNC_DIALECT_ATTNPASSES_H
