//===- KernelBuilding.h - Shared pieces of the kernel conversions -*- C++ -*-===//
//
// Private to lib/Conversion: what both op families' conversions to the
// kernel level share: tile types, the kernel shell per target, and the
// rule that a source op is converted once.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_CONVERSION_KERNELBUILDING_H
#define ATTNC_LIB_CONVERSION_KERNELBUILDING_H

#include "dialect/AttnKernelOps.h"

#include "mlir/IR/PatternMatch.h"

namespace mlir::attn {

/// `!attn.tile<shape, elementType, space>`.
TileType tileType(MLIRContext *ctx, ArrayRef<int64_t> shape, Type elementType,
                  TileSpace space);

/// The storage element type of `dtype` (f32, f16, bf16).
Type storageType(MLIRContext *ctx, Dtype dtype);

/// `<source>_<target>_backward`: the backward kernel's symbol.
std::string backwardKernelName(Operation *source, Target target);

/// True when `source` already has an attn.kernel for `target`.
bool hasKernel(Operation *source, Target target);

/// Creates `attn.kernel @<source>_<target> for @source` with `plan` after
/// `source` (and after its existing kernels) and returns it; the rewriter's
/// insertion point is left at the start of its body.
KernelFuncOp createKernel(RewriterBase &rewriter, Operation *source,
                          Target target, Attribute plan);

/// The targets a planned `source` gets kernels for, with their plans: the
/// CPU always, CUDA when the op has a CUDA plan.
SmallVector<std::pair<Target, Attribute>> targetPlans(Operation *source);

/// The body of both conversion patterns: builds, with `build`, the kernel
/// of every target plan of `source` that has none yet; fails (no match)
/// when there was nothing to build, so the driver converges.
LogicalResult
buildMissingKernels(Operation *source,
                    function_ref<void(Target, Attribute)> build);

/// Applies a conversion's patterns to the module's existing ops only: the
/// kernels they build are final and never matched again.
LogicalResult applyKernelConversion(Operation *module,
                                    RewritePatternSet &&patterns);

} // namespace mlir::attn

#endif // ATTNC_LIB_CONVERSION_KERNELBUILDING_H
