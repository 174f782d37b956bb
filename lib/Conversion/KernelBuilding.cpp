//===- KernelBuilding.cpp - Shared pieces of the kernel conversions -------===//
//
// This file implements the helpers both conversions to the kernel level
// use (lib/Conversion/KernelBuilding.h).
//
//===----------------------------------------------------------------------===//

#include "lib/Conversion/KernelBuilding.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {

TileType tileType(MLIRContext *ctx, ArrayRef<int64_t> shape, Type elementType,
                  TileSpace space) {
  return TileType::get(ctx, shape, elementType, space);
}

Type storageType(MLIRContext *ctx, Dtype dtype) {
  Builder b(ctx);
  switch (dtype) {
  case Dtype::f32:
    return b.getF32Type();
  case Dtype::f16:
    return b.getF16Type();
  case Dtype::bf16:
    return b.getBF16Type();
  }
  return b.getF32Type();
}

static std::string kernelName(Operation *source, Target target) {
  return (SymbolTable::getSymbolName(source).getValue() + "_" +
          stringifyTarget(target))
      .str();
}

std::string backwardKernelName(Operation *source, Target target) {
  return kernelName(source, target) + "_backward";
}

bool hasKernel(Operation *source, Target target) {
  return SymbolTable::lookupNearestSymbolFrom(
             source, StringAttr::get(source->getContext(),
                                     kernelName(source, target))) != nullptr;
}

KernelFuncOp createKernel(RewriterBase &rewriter, Operation *source,
                          Target target, Attribute plan) {
  MLIRContext *ctx = source->getContext();
  // Kernels follow their source op, CPU before CUDA: byte-stable output.
  Operation *after = source;
  while (auto next = dyn_cast_or_null<KernelFuncOp>(after->getNextNode()))
    if (next.getSourceAttr().getValue() ==
        SymbolTable::getSymbolName(source).getValue())
      after = next;
    else
      break;
  rewriter.setInsertionPointAfter(after);
  auto kernel = rewriter.create<KernelFuncOp>(
      source->getLoc(), StringAttr::get(ctx, kernelName(source, target)),
      FlatSymbolRefAttr::get(SymbolTable::getSymbolName(source)),
      TargetAttr::get(ctx, target), plan);
  Block *body = rewriter.createBlock(&kernel.getBody());
  rewriter.setInsertionPointToStart(body);
  return kernel;
}

SmallVector<std::pair<Target, Attribute>> targetPlans(Operation *source) {
  SmallVector<std::pair<Target, Attribute>> plans;
  if (Attribute cpu = source->getAttr("cpu_plan"))
    plans.push_back({Target::cpu, cpu});
  if (Attribute cuda = source->getAttr("cuda_plan"))
    plans.push_back({Target::cuda, cuda});
  return plans;
}

LogicalResult
buildMissingKernels(Operation *source,
                    function_ref<void(Target, Attribute)> build) {
  bool built = false;
  for (auto [target, plan] : targetPlans(source)) {
    if (hasKernel(source, target))
      continue;
    build(target, plan);
    built = true;
  }
  return success(built);
}

LogicalResult applyKernelConversion(Operation *module,
                                    RewritePatternSet &&patterns) {
  GreedyRewriteConfig config;
  config.strictMode = GreedyRewriteStrictness::ExistingOps;
  config.enableRegionSimplification = GreedySimplifyRegionLevel::Disabled;
  return applyPatternsAndFoldGreedily(module, std::move(patterns), config);
}

} // namespace mlir::attn
