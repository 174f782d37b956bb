//===- SoftmaxBackwardToKernel.cpp - The softmax backward kernel ----------===//
//
// This file implements attn-convert-softmax-backward-to-kernel: every
// planned attn.attention with a score_vjp region (attn-differentiate) gets
// `attn.kernel @<name>_cpu_backward`, the backward schedule written out:
// the row statistics (lse or the row sum, and delta = dO . o), then the
// key-major pass (per k-block: K, V; over the q-blocks that visit it:
// S = Q K^T, dP = dO V^T, P and dS from attn.score_gradient, dV += P^T dO,
// dK += dS^T Q, parameter gradients) and the query-major pass (per
// q-block: dQ += dS K over its k-blocks). The CPU kernel's tiles are the
// forward CPU plan's: it walks exactly the forward's block plan. An op with
// a CUDA plan also gets `@<name>_cuda_backward`, the same schedule on tiles
// of its own (planned here): the static block plan is
// exact at any tile size, so the backward need not share the forward's.
// Its path is backward_tensor_core (mma.sync) when the forward runs on
// tensor cores and the head dims are at most 128, else backward_simt.
// Content-based selection and hybrids have no CUDA backward yet.
//
//===----------------------------------------------------------------------===//

#include "dialect/AttnPasses.h"
#include "dialect/CudaBudget.h"
#include "lib/Conversion/KernelBuilding.h"

#define DEBUG_TYPE "attn-convert-softmax-backward-to-kernel"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNCONVERTSOFTMAXBACKWARDTOKERNELPASS
#include "dialect/AttnPasses.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

struct BackwardTiles {
  TileType q, k, v, dout, dq, dk, dv, scores, rows;
};

BackwardTiles tilesFor(AttentionOp op, int64_t bq, int64_t bk) {
  MLIRContext *ctx = op.getContext();
  Type storage = storageType(ctx, op.getDtype());
  Type f32 = Float32Type::get(ctx);
  const int64_t d = op.getHeadDim(), dv = op.getValueDim();
  auto shared = [&](int64_t r, int64_t c, Type elem) {
    return tileType(ctx, {r, c}, elem, TileSpace::shared);
  };
  BackwardTiles t;
  t.q = shared(bq, d, storage);
  t.dout = shared(bq, dv, storage);
  t.k = shared(bk, d, storage);
  t.v = shared(bk, dv, storage);
  t.dq = shared(bq, d, f32);
  t.dk = shared(bk, d, f32);
  t.dv = shared(bk, dv, f32);
  t.scores = tileType(ctx, {bq, bk}, f32, TileSpace::fragment);
  t.rows = tileType(ctx, {bq}, f32, TileSpace::fragment);
  return t;
}

/// Builds a tile loop's single block with (index, i1, carried...) arguments
/// and leaves the insertion point in it.
Block *loopBlock(OpBuilder &b, Region &region, TypeRange carried,
                 Location loc) {
  SmallVector<Type> types = {b.getIndexType(), b.getI1Type()};
  llvm::append_range(types, carried);
  return b.createBlock(&region, {}, types,
                       SmallVector<Location>(types.size(), loc));
}

/// What both passes compute on a (q-block, k-block) tile: S = Q K^T,
/// dP = dO V^T, then P and dS (adding parameter gradients when
/// `paramGrads`: once per element, in the key-major pass only).
ScoreGradientOp buildTileGradient(OpBuilder &b, const BackwardTiles &t,
                                  Value q, Value dout, Value k, Value v,
                                  Value stat, Value delta, Value qb, Value kb,
                                  Value full, bool paramGrads, Location loc) {
  Value s = b.create<TileMatmulOp>(loc, t.scores, q, k, Value(),
                                   /*transpose_rhs=*/true,
                                   /*transpose_lhs=*/false);
  Value dp = b.create<TileMatmulOp>(loc, t.scores, dout, v, Value(),
                                    /*transpose_rhs=*/true,
                                    /*transpose_lhs=*/false);
  return b.create<ScoreGradientOp>(loc, t.scores, t.scores, s, dp, stat, delta,
                                   qb, kb, full, paramGrads);
}

/// The key-major pass: dK and dV of one k-block.
void buildKeyMajor(OpBuilder &b, const BackwardTiles &t, TileWalk walk,
                   Value stat, Value delta, Location loc) {
  auto pass = b.create<BackwardPassOp>(loc, BackwardPass::key_major);
  OpBuilder::InsertionGuard guard(b);
  b.createBlock(&pass.getBody());
  Value kb = b.create<TaskBlockOp>(loc, b.getIndexType()); // the task's k-block
  Value k = b.create<LoadTileOp>(loc, t.k, TensorRole::k, kb);
  Value v = b.create<LoadTileOp>(loc, t.v, TensorRole::v, kb);
  auto init =
      b.create<InitGradientsOp>(loc, TypeRange{t.dk, t.dv});
  auto loop = b.create<QBlockLoopOp>(loc, TypeRange{t.dk, t.dv}, walk,
                                     init.getResults());
  {
    OpBuilder::InsertionGuard inner(b);
    Block *body = loopBlock(b, loop.getBody(), {t.dk, t.dv}, loc);
    Value qb = body->getArgument(0), full = body->getArgument(1);
    Value dk = body->getArgument(2), dv = body->getArgument(3);
    Value q = b.create<LoadTileOp>(loc, t.q, TensorRole::q, qb);
    Value dout = b.create<LoadTileOp>(loc, t.dout, TensorRole::dout, qb);
    auto grad = buildTileGradient(b, t, q, dout, k, v, stat, delta, qb, kb,
                                  full, /*paramGrads=*/true, loc);
    Value dv1 = b.create<TileMatmulOp>(loc, t.dv, grad.getProbs(), dout, dv,
                                       /*transpose_rhs=*/false,
                                       /*transpose_lhs=*/true);
    Value dk1 = b.create<TileMatmulOp>(loc, t.dk, grad.getDs(), q, dk,
                                       /*transpose_rhs=*/false,
                                       /*transpose_lhs=*/true);
    b.create<KernelYieldOp>(loc, ValueRange{dk1, dv1});
  }
  b.create<StoreTileOp>(loc, TensorRole::dk, loop.getResult(0), kb);
  b.create<StoreTileOp>(loc, TensorRole::dv, loop.getResult(1), kb);
}

/// The query-major pass: dQ of one q-block, its K and V tiles loaded
/// through `stages` buffers.
void buildQueryMajor(OpBuilder &b, const BackwardTiles &t, TileWalk walk,
                     int64_t stages, Value stat, Value delta, Location loc) {
  auto pass = b.create<BackwardPassOp>(loc, BackwardPass::query_major);
  OpBuilder::InsertionGuard guard(b);
  b.createBlock(&pass.getBody());
  Value qb = b.create<TaskBlockOp>(loc, b.getIndexType()); // the task's q-block
  Value q = b.create<LoadTileOp>(loc, t.q, TensorRole::q, Value());
  Value dout = b.create<LoadTileOp>(loc, t.dout, TensorRole::dout, Value());
  auto init = b.create<InitGradientsOp>(loc, TypeRange{t.dq});
  auto loop = b.create<KBlockLoopOp>(loc, TypeRange{t.dq}, walk,
                                     stages,
                                     init.getResults());
  {
    OpBuilder::InsertionGuard inner(b);
    Block *body = loopBlock(b, loop.getBody(), {t.dq}, loc);
    Value kb = body->getArgument(0), full = body->getArgument(1);
    Value dq = body->getArgument(2);
    Value k = b.create<LoadTileOp>(loc, t.k, TensorRole::k, kb);
    Value v = b.create<LoadTileOp>(loc, t.v, TensorRole::v, kb);
    auto grad = buildTileGradient(b, t, q, dout, k, v, stat, delta, qb, kb,
                                  full, /*paramGrads=*/false, loc);
    Value dq1 = b.create<TileMatmulOp>(loc, t.dq, grad.getDs(), k, dq,
                                       /*transpose_rhs=*/false,
                                       /*transpose_lhs=*/false);
    b.create<KernelYieldOp>(loc, ValueRange{dq1});
  }
  b.create<StoreTileOp>(loc, TensorRole::dq, loop.getResult(0), Value());
}

/// The threads of every backward_simt kernel: eight warps.
constexpr int64_t kBackwardThreads = 256;

/// The warps of a backward_tensor_core kernel: 64 x 64 tiles.
constexpr int64_t kBackwardTensorCoreWarps = 4;

/// The widest head the tensor-core backward takes: a warp keeps dK and dV
/// (or dQ) of its 16 rows in registers, 2 x 64 floats at 128.
constexpr int64_t kBackwardTensorCoreMaxDim = 128;

/// The tensor-core backward's plan when the forward runs on tensor cores
/// (16-bit storage; its .cu carries the mma wrappers and storage pairs the
/// backward reuses) and both head dims fit; null otherwise.
CudaPlanAttr planCudaBackwardTensorCore(AttentionOp op) {
  auto forward = op.getCudaPlanAttr();
  if (!forward || forward.getPath() != CudaPath::tensor_core ||
      tensorCorePaddedDim(op.getHeadDim()) > kBackwardTensorCoreMaxDim ||
      tensorCorePaddedDim(op.getValueDim()) > kBackwardTensorCoreMaxDim)
    return {};
  const int64_t warps = kBackwardTensorCoreWarps, tile = 16 * warps;
  // Two stages: each pass streams its tiles, the next under this one's
  // products (one stage where two would not fit).
  int64_t stages = 2;
  int64_t shared = softmaxCudaBackwardTensorCoreShared(
      tile, stages, op.getHeadDim(), op.getValueDim());
  if (shared > kCudaMaxSharedBytes)
    shared = softmaxCudaBackwardTensorCoreShared(
        tile, stages = 1, op.getHeadDim(), op.getValueDim());
  if (shared > kCudaMaxSharedBytes)
    return {};
  return CudaPlanAttr::get(op.getContext(), CudaPath::backward_tensor_core,
                           CudaGrid::backward_tasks, 32 * warps, warps, tile,
                           tile, stages, /*q_in_registers=*/false,
                           /*chunk=*/0, /*value_tile=*/0, /*value_tiles=*/0,
                           {}, shared, shared, /*ragged=*/false, /*box=*/{},
                           /*kv_splits=*/0);
}

/// The CUDA backward's plan: the tensor-core kernels where they apply,
/// else the SIMT kernels on the largest square tile (64 down to 1 rows)
/// whose K, V, Q, dO, P and dS fit the 48 KiB a block gets without the
/// opt-in attribute; null when none does (no CUDA backward then).
CudaPlanAttr planCudaBackward(AttentionOp op) {
  if (CudaPlanAttr plan = planCudaBackwardTensorCore(op))
    return plan;
  for (int64_t tile = 64; tile >= 1; tile /= 2) {
    const int64_t shared = softmaxCudaBackwardShared(
        tile, tile, op.getHeadDim(), op.getValueDim());
    if (shared > kCudaBackwardMaxSharedBytes)
      continue;
    return CudaPlanAttr::get(op.getContext(), CudaPath::backward_simt,
                             CudaGrid::backward_tasks, kBackwardThreads,
                             kBackwardThreads / 32, tile, tile,
                             /*stages=*/1, /*q_in_registers=*/false,
                             /*chunk=*/0, /*value_tile=*/0,
                             /*value_tiles=*/0, {}, shared, shared,
                             /*ragged=*/false, /*box=*/{}, /*kv_splits=*/0);
  }
  return {};
}

void buildBackwardKernel(AttentionOp op, Target target, Attribute plan,
                         int64_t bq, int64_t bk) {
  MLIRContext *ctx = op.getContext();
  Location loc = op.getLoc();
  OpBuilder b(ctx);
  // After the op's forward kernels.
  Operation *after = op;
  while (auto next = dyn_cast_or_null<KernelFuncOp>(after->getNextNode()))
    if (next.getSource() == op.getSymName())
      after = next;
    else
      break;
  b.setInsertionPointAfter(after);
  auto kernel = b.create<KernelFuncOp>(
      loc, StringAttr::get(ctx, backwardKernelName(op, target)),
      FlatSymbolRefAttr::get(op.getSymNameAttr()),
      TargetAttr::get(ctx, target), plan);
  b.createBlock(&kernel.getBody());
  const BackwardTiles t = tilesFor(op, bq, bk);
  auto stats = b.create<BackwardRowStatsOp>(loc, t.rows, t.rows);
  // The forward's tiles: its static plan, or the selection it made
  // (rebuilt the same way: selection is deterministic).
  const TileWalk walk =
      op.getSelect() ? TileWalk::selected : TileWalk::block_map;
  buildKeyMajor(b, t, walk, stats.getStat(), stats.getDelta(), loc);
  auto cuda = dyn_cast<CudaPlanAttr>(plan);
  buildQueryMajor(b, t, walk, cuda ? cuda.getStages() : 1, stats.getStat(),
                  stats.getDelta(), loc);
}

struct ConvertSoftmaxBackwardToKernel
    : public attn::impl::AttnConvertSoftmaxBackwardToKernelPassBase<
          ConvertSoftmaxBackwardToKernel> {
  void runOnOperation() override {
    SmallVector<AttentionOp> ops;
    getOperation().walk([&](AttentionOp op) { ops.push_back(op); });
    for (AttentionOp op : ops) {
      auto plan = op.getCpuPlanAttr();
      if (op.getScoreVjp().empty() || !plan)
        continue; // Not differentiated, or not planned.
      if (SymbolTable::lookupNearestSymbolFrom(
              op, StringAttr::get(op.getContext(),
                                  backwardKernelName(op, Target::cpu))))
        continue; // Converted once.
      buildBackwardKernel(op, Target::cpu, plan, plan.getBlockQ(),
                          plan.getBlockK());
      if (!op.getCudaPlanAttr() || op.getSelect() || op.getHybridFeature())
        continue;
      if (CudaPlanAttr cuda = planCudaBackward(op))
        buildBackwardKernel(op, Target::cuda, cuda, cuda.getBlockQ(),
                            cuda.getBlockK());
    }
  }
};

} // namespace
