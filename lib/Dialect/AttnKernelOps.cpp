//===- AttnKernelOps.cpp - attn kernel-level ops and types -----------------===//
//
// This file implements the kernel level of the attn dialect: the tile type,
// the registration of its ops, and the verifiers that keep a kernel
// consistent (matmul shapes, loop-carried types, a kernel's plan and
// source).
//
//===----------------------------------------------------------------------===//

#include "dialect/AttnKernelOps.h"
#include "dialect/CudaBudget.h"

#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::attn;

#define GET_TYPEDEF_CLASSES
#include "dialect/AttnTypes.cpp.inc"

#define GET_OP_CLASSES
#include "dialect/AttnKernelOps.cpp.inc"

void AttnDialect::registerKernelLevel() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialect/AttnTypes.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "dialect/AttnKernelOps.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// TileType
//===----------------------------------------------------------------------===//

LogicalResult TileType::verify(function_ref<InFlightDiagnostic()> emitError,
                               ArrayRef<int64_t> shape, Type elementType,
                               TileSpace space) {
  if (shape.empty() || shape.size() > 2)
    return emitError() << "expected a tile of 1 or 2 dimensions, got "
                       << shape.size();
  for (int64_t d : shape)
    if (d <= 0)
      return emitError() << "expected positive tile dimensions, got " << d;
  if (!elementType.isF32() && !elementType.isF16() && !elementType.isBF16() &&
      !elementType.isF64())
    return emitError() << "expected a tile of f32, f16, bf16 or f64, got "
                       << elementType;
  return success();
}

//===----------------------------------------------------------------------===//
// KernelFuncOp
//===----------------------------------------------------------------------===//

Operation *KernelFuncOp::getSourceOp() {
  return SymbolTable::lookupNearestSymbolFrom(*this, getSourceAttr());
}

LogicalResult KernelFuncOp::verify() {
  Operation *source = getSourceOp();
  if (!source || !isa<AttentionOp, LinearAttentionOp>(source))
    return emitOpError() << "expected '" << getSource()
                         << "' to name an attn.attention or "
                            "attn.linear_attention";
  const bool cuda = getTarget() == Target::cuda;
  if (cuda != isa<CudaPlanAttr>(getPlan()))
    return emitOpError() << "expected a " << (cuda ? "#attn.cuda_plan" : "#attn.cpu_plan")
                         << " for target '" << stringifyTarget(getTarget())
                         << "'";
  // The CUDA backward's plan is its own (tiles that fit its kernels) and
  // lives on the kernel alone; its path says so.
  if (auto plan = dyn_cast<CudaPlanAttr>(getPlan());
      plan && isBackwardPath(plan.getPath())) {
    if (!isa<AttentionOp>(source) || getBody().empty() ||
        getBody().front().empty() ||
        !isa<BackwardRowStatsOp>(getBody().front().front()))
      return emitOpError() << "a " << stringifyCudaPath(plan.getPath())
                           << " plan is for the softmax family's backward "
                              "kernels";
    return success();
  }
  // The kernel prints the plan it is built with: it must be the source's.
  Attribute sourcePlan = source->getAttr(cuda ? "cuda_plan" : "cpu_plan");
  if (sourcePlan != getPlan())
    return emitOpError() << "expected the plan of '" << getSource()
                         << "' for target '" << stringifyTarget(getTarget())
                         << "'";
  return success();
}

//===----------------------------------------------------------------------===//
// Tiles
//===----------------------------------------------------------------------===//

LogicalResult LoadTileOp::verify() {
  if (getRole() == TensorRole::o || getRole() == TensorRole::dq ||
      getRole() == TensorRole::dk || getRole() == TensorRole::dv)
    return emitOpError() << "cannot load an output";
  if ((getRole() == TensorRole::k || getRole() == TensorRole::v) && !getIndex())
    return emitOpError() << "expected a k-block or chunk index for a k or v "
                            "tile";
  if (getResult().getType().getShape().size() != 2)
    return emitOpError() << "expected a 2-d tile";
  return success();
}

LogicalResult TileMatmulOp::verify() {
  TileType lhs = getLhs().getType(), rhs = getRhs().getType();
  TileType result = getResult().getType();
  if (lhs.getShape().size() != 2 || rhs.getShape().size() != 2 ||
      result.getShape().size() != 2)
    return emitOpError() << "expected 2-d tiles";
  const int64_t m = getTransposeLhs() ? lhs.getCols() : lhs.getRows();
  const int64_t k = getTransposeLhs() ? lhs.getRows() : lhs.getCols();
  const int64_t rk = getTransposeRhs() ? rhs.getCols() : rhs.getRows();
  const int64_t n = getTransposeRhs() ? rhs.getRows() : rhs.getCols();
  if (k != rk)
    return emitOpError() << "expected the contracted dimensions to agree, got "
                         << k << " and " << rk;
  if (result.getRows() != m || result.getCols() != n)
    return emitOpError() << "expected a [" << m << ", " << n
                         << "] result, got [" << result.getRows() << ", "
                         << result.getCols() << "]";
  if (!result.getElementType().isF32())
    return emitOpError() << "expected an f32 result";
  if (getAcc() && getAcc().getType() != result)
    return emitOpError() << "expected the accumulator to have the result's "
                            "type";
  return success();
}

//===----------------------------------------------------------------------===//
// Loops
//===----------------------------------------------------------------------===//

/// A loop's block takes `leading` index-like arguments and then the carried
/// tiles; the results and the yield have the carried tiles' types.
static LogicalResult verifyLoop(Operation *op, Region &body,
                                TypeRange leading, ValueRange inits,
                                TypeRange results) {
  Block &block = body.front();
  SmallVector<Type> expected(leading.begin(), leading.end());
  llvm::append_range(expected, inits.getTypes());
  if (block.getArgumentTypes() != TypeRange(expected))
    return op->emitOpError() << "expected the body's arguments to be "
                             << leading.size()
                             << " loop indices and the carried tiles";
  if (TypeRange(inits.getTypes()) != results)
    return op->emitOpError() << "expected the results to have the carried "
                                "tiles' types";
  auto yield = cast<KernelYieldOp>(block.getTerminator());
  if (TypeRange(yield.getValues().getTypes()) != results)
    return op->emitOpError() << "expected attn.kernel_yield to yield the "
                                "carried tiles' types";
  return success();
}

void KBlockLoopOp::getAsmBlockArgumentNames(Region &region,
                                            OpAsmSetValueNameFn setNameFn) {
  static const char *const kNames[] = {"kb", "full", "acc", "row_max",
                                       "row_sum"};
  for (auto [i, arg] : llvm::enumerate(region.getArguments()))
    setNameFn(arg, i < 5 ? kNames[i] : "carried");
}

void QBlockLoopOp::getAsmBlockArgumentNames(Region &region,
                                            OpAsmSetValueNameFn setNameFn) {
  static const char *const kNames[] = {"qb", "full"};
  for (auto [i, arg] : llvm::enumerate(region.getArguments()))
    setNameFn(arg, i < 2 ? kNames[i] : "carried");
}

LogicalResult QBlockLoopOp::verify() {
  auto pass = (*this)->getParentOfType<BackwardPassOp>();
  if (!pass || pass.getPass() != BackwardPass::key_major)
    return emitOpError() << "expected to be in a key_major backward pass";
  Builder b(getContext());
  return verifyLoop(*this, getBody(), {b.getIndexType(), b.getI1Type()},
                    getInits(), getResults().getTypes());
}

void ChunkLoopOp::getAsmBlockArgumentNames(Region &region,
                                           OpAsmSetValueNameFn setNameFn) {
  static const char *const kNames[] = {"c", "S", "z"};
  for (auto [i, arg] : llvm::enumerate(region.getArguments()))
    setNameFn(arg, i < 3 ? kNames[i] : "carried");
}

LogicalResult KBlockLoopOp::verify() {
  if (getStages() < 1 || getStages() > 2)
    return emitOpError() << "expected 1 or 2 stages, got " << getStages();
  // The loop pipelines what its kernel's plan says: the CUDA plan's stages,
  // one on the CPU.
  if (auto kernel = (*this)->getParentOfType<KernelFuncOp>()) {
    auto cuda = dyn_cast<CudaPlanAttr>(kernel.getPlan());
    const int64_t planned = cuda ? cuda.getStages() : 1;
    if (getStages() != planned)
      return emitOpError() << "expected the plan's " << planned
                           << " stages, got " << getStages();
  }
  Builder b(getContext());
  return verifyLoop(*this, getBody(), {b.getIndexType(), b.getI1Type()},
                    getInits(), getResults().getTypes());
}

LogicalResult ChunkLoopOp::verify() {
  const int64_t c = getChunk();
  if (c < 16 || c > 256 || (c & (c - 1)) != 0)
    return emitOpError() << "expected chunk to be a power of two in [16, "
                            "256], got "
                         << c;
  // The chunk is the kernel's plan's (the CUDA one may be a halving).
  if (auto kernel = (*this)->getParentOfType<KernelFuncOp>()) {
    auto cuda = dyn_cast<CudaPlanAttr>(kernel.getPlan());
    const int64_t planned =
        cuda ? cuda.getChunk() : cast<CpuPlanAttr>(kernel.getPlan()).getChunk();
    if (c != planned)
      return emitOpError() << "expected the plan's chunk " << planned
                           << ", got " << c;
  }
  if (getParallel() && !getInits().empty())
    return emitOpError() << "expected a parallel chunk loop to carry no "
                            "tiles";
  Builder b(getContext());
  return verifyLoop(*this, getBody(), {b.getIndexType()}, getInits(),
                    getResults().getTypes());
}

//===----------------------------------------------------------------------===//
// Softmax family
//===----------------------------------------------------------------------===//

LogicalResult ScoreMaskOp::verify() {
  if (getScores().getType() != getResult().getType())
    return emitOpError() << "expected the result to have the scores' type";
  return success();
}

LogicalResult OnlineSoftmaxOp::verify() {
  TileType s = getScores().getType(), acc = getAcc().getType();
  if (s.getRows() != acc.getRows() ||
      getRowMax().getType().getRows() != s.getRows() ||
      getRowSum().getType().getRows() != s.getRows())
    return emitOpError() << "expected scores, accumulator and row "
                            "statistics over the same rows";
  if (getNewAcc().getType() != acc ||
      getNewRowMax().getType() != getRowMax().getType() ||
      getNewRowSum().getType() != getRowSum().getType())
    return emitOpError() << "expected the updated tiles to keep their types";
  return success();
}

//===----------------------------------------------------------------------===//
// Linear family
//===----------------------------------------------------------------------===//

LogicalResult StateUpdateOp::verify() {
  if (TypeRange(getStates().getTypes()) != getNewStates().getTypes())
    return emitOpError() << "expected the new states to have the states' "
                            "types";
  return success();
}

//===----------------------------------------------------------------------===//
// Backward, softmax family
//===----------------------------------------------------------------------===//

LogicalResult BackwardPassOp::verify() {
  auto kernel = (*this)->getParentOfType<KernelFuncOp>();
  if (!kernel || !isa_and_nonnull<AttentionOp>(kernel.getSourceOp()))
    return emitOpError() << "expected to be in the kernel of an attn.attention";
  // Each pass walks its tiles with exactly one loop.
  unsigned loops = 0;
  for (Operation &op : getBody().front()) {
    if (getPass() == BackwardPass::key_major && isa<KBlockLoopOp>(op))
      return emitOpError() << "a key_major pass walks q-blocks";
    if (getPass() == BackwardPass::query_major && isa<QBlockLoopOp>(op))
      return emitOpError() << "a query_major pass walks k-blocks";
    loops += isa<KBlockLoopOp, QBlockLoopOp>(op);
  }
  if (loops != 1)
    return emitOpError() << "expected one tile loop, got " << loops;
  return success();
}

LogicalResult TaskBlockOp::verify() {
  if (!(*this)->getParentOfType<BackwardPassOp>())
    return emitOpError() << "expected to be in a backward pass";
  return success();
}

LogicalResult ScoreGradientOp::verify() {
  TileType scores = getScores().getType();
  if (getDp().getType() != scores || getProbs().getType() != scores ||
      getDs().getType() != scores)
    return emitOpError() << "expected scores, dp, probs and ds of one type";
  if (getStat().getType() != getDelta().getType() ||
      getStat().getType().getShape().size() != 1 ||
      getStat().getType().getShape()[0] != scores.getRows())
    return emitOpError() << "expected row statistics of the tile's "
                         << scores.getRows() << " rows";
  auto kernel = (*this)->getParentOfType<KernelFuncOp>();
  auto source = kernel ? dyn_cast_or_null<AttentionOp>(kernel.getSourceOp())
                       : AttentionOp();
  if (!source || source.getScoreVjp().empty())
    return emitOpError() << "expected the kernel's source to have a "
                            "score_vjp region (run attn-differentiate)";
  auto pass = (*this)->getParentOfType<BackwardPassOp>();
  if (getParamGrads() && (!pass || pass.getPass() != BackwardPass::key_major))
    return emitOpError() << "parameter gradients are added in the key_major "
                            "pass only (once per element)";
  return success();
}

LogicalResult StoreTileOp::verify() {
  switch (getRole()) {
  case TensorRole::dq:
    if (getIndex())
      return emitOpError() << "dq is stored for the task's own q-block";
    return success();
  case TensorRole::dk:
  case TensorRole::dv:
    if (!getIndex())
      return emitOpError() << "expected the k-block of a dk or dv tile";
    return success();
  default:
    return emitOpError() << "stores gradients (dq, dk, dv) only";
  }
}
