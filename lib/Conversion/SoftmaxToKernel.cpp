//===- SoftmaxToKernel.cpp - attn.attention to the kernel level -----------===//
//
// This file implements attn-convert-softmax-to-kernel: every planned
// attn.attention gets one attn.kernel per target plan, the flash-style
// schedule written out: load the q-block, walk its k-blocks (static block
// map, runtime mask or selection) with `stages` K/V tiles in flight,
// S = Q K^T, the spec's score and (on partial tiles) mask, the online
// softmax (or the plain row sum of normalize sum / none), O += P V, a
// hybrid's linear branch, then normalize and store. Tile shapes are the
// plan's: padded head dimensions on tensor cores, the block's tiles.
//
//===----------------------------------------------------------------------===//

#include "dialect/AttnPasses.h"
#include "dialect/CudaBudget.h"
#include "lib/Conversion/KernelBuilding.h"

#define DEBUG_TYPE "attn-convert-softmax-to-kernel"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNCONVERTSOFTMAXTOKERNELPASS
#include "dialect/AttnPasses.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// The tile geometry of one target's kernel.
struct SoftmaxTiles {
  int64_t bq, bk, d, dv, stages;
  bool tensorCores;
  Type storage;
};

SoftmaxTiles tilesFor(AttentionOp op, Target target, Attribute plan) {
  SoftmaxTiles t;
  t.storage = storageType(op.getContext(), op.getDtype());
  if (auto cuda = dyn_cast<CudaPlanAttr>(plan)) {
    t.tensorCores = cuda.getPath() == CudaPath::tensor_core;
    t.bq = cuda.getBlockQ();
    t.bk = cuda.getBlockK();
    t.stages = cuda.getStages();
  } else {
    auto cpu = cast<CpuPlanAttr>(plan);
    t.tensorCores = false;
    t.bq = cpu.getBlockQ();
    t.bk = cpu.getBlockK();
    t.stages = 1;
  }
  // Tensor cores read whole k16 fragments: head dims padded, zero-filled.
  t.d = t.tensorCores ? tensorCorePaddedDim(op.getHeadDim()) : op.getHeadDim();
  t.dv = t.tensorCores ? tensorCorePaddedDim(op.getValueDim())
                       : op.getValueDim();
  (void)target;
  return t;
}

void buildSoftmaxKernel(RewriterBase &rewriter, AttentionOp op, Target target,
                        Attribute plan) {
  MLIRContext *ctx = op.getContext();
  Location loc = op.getLoc();
  const SoftmaxTiles t = tilesFor(op, target, plan);
  Type f32 = rewriter.getF32Type();
  // The SIMT and CPU kernels keep the output accumulator with the staged
  // tiles; tensor cores in mma fragments.
  const TileSpace accSpace =
      t.tensorCores ? TileSpace::fragment : TileSpace::shared;
  auto tile = [&](ArrayRef<int64_t> shape, Type elem, TileSpace space) {
    return tileType(ctx, shape, elem, space);
  };
  TileType qTile = tile({t.bq, t.d}, t.storage, TileSpace::shared);
  TileType kTile = tile({t.bk, t.d}, t.storage, TileSpace::shared);
  TileType vTile = tile({t.bk, t.dv}, t.storage, TileSpace::shared);
  TileType accTile = tile({t.bq, t.dv}, f32, accSpace);
  TileType rowTile = tile({t.bq}, f32, TileSpace::fragment);
  TileType scoreTile = tile({t.bq, t.bk}, f32, TileSpace::fragment);

  createKernel(rewriter, op, target, plan);
  Value q = rewriter.create<LoadTileOp>(loc, qTile, TensorRole::q, Value());
  auto init =
      rewriter.create<InitAccumulatorsOp>(loc, accTile, rowTile, rowTile);
  const bool softmax = op.getNormalize() == Normalize::softmax;
  const TileWalk walk = op.getSelect() ? TileWalk::selected : TileWalk::block_map;
  auto loop = rewriter.create<KBlockLoopOp>(
      loc, TypeRange{accTile, rowTile, rowTile}, walk, t.stages,
      ValueRange{init.getAcc(), init.getRowMax(), init.getRowSum()});
  {
    OpBuilder::InsertionGuard guard(rewriter);
    Block *body = rewriter.createBlock(
        &loop.getBody(), {},
        {rewriter.getIndexType(), rewriter.getI1Type(), accTile, rowTile,
         rowTile},
        SmallVector<Location>(5, loc));
    Value kb = body->getArgument(0), full = body->getArgument(1);
    Value acc = body->getArgument(2), rowMax = body->getArgument(3),
          rowSum = body->getArgument(4);
    Value k = rewriter.create<LoadTileOp>(loc, kTile, TensorRole::k, kb);
    Value v = rewriter.create<LoadTileOp>(loc, vTile, TensorRole::v, kb);
    auto s = rewriter.create<TileMatmulOp>(loc, scoreTile, q, k, Value(),
                                           /*transpose_rhs=*/true);
    Value scored = rewriter.create<ScoreMaskOp>(loc, scoreTile, s, kb, full);
    Value weights = scored;
    if (softmax) {
      auto update = rewriter.create<OnlineSoftmaxOp>(
          loc, TypeRange{scoreTile, accTile, rowTile, rowTile}, scored, acc,
          rowMax, rowSum);
      weights = update.getProbs();
      acc = update.getNewAcc();
      rowMax = update.getNewRowMax();
      rowSum = update.getNewRowSum();
    } else {
      rowSum = rewriter.create<RowSumOp>(loc, rowTile, scored, rowSum);
    }
    Value o = rewriter.create<TileMatmulOp>(loc, accTile, weights, v, acc,
                                            /*transpose_rhs=*/false);
    rewriter.create<KernelYieldOp>(loc, ValueRange{o, rowMax, rowSum});
  }
  Value hybrid;
  if (op.getHybridFeature())
    hybrid = rewriter.create<HybridFoldOp>(
        loc, tile({t.bq, op.getValueDim() + 1}, f32, TileSpace::shared));
  rewriter.create<StoreRowsOp>(loc, loop.getResult(0), Value(),
                               softmax ? loop.getResult(1) : Value(),
                               loop.getResult(2), hybrid);
}

/// Gives a planned attn.attention its kernels, once.
struct SoftmaxToKernel : public OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.getBlockMapAttr())
      return rewriter.notifyMatchFailure(op, "not classified");
    return buildMissingKernels(op, [&](Target target, Attribute plan) {
      buildSoftmaxKernel(rewriter, op, target, plan);
    });
  }
};

struct ConvertSoftmaxToKernel
    : public attn::impl::AttnConvertSoftmaxToKernelPassBase<
          ConvertSoftmaxToKernel> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<SoftmaxToKernel>(&getContext());
    if (failed(applyKernelConversion(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
