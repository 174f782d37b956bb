//===- LinearToKernel.cpp - attn.linear_attention to the kernel level -----===//
//
// This file implements attn-convert-linear-to-kernel: every planned
// attn.linear_attention gets one attn.kernel per target plan holding one
// attn.form per kernel form of that plan. The chunk structure is the chunk
// plan's (intra-chunk weights, inter-chunk rule); the chunk, the value
// tile and the forms are the target plan's, so the CUDA kernel shows its
// halved chunk and its missing chunk-parallel form.
//
//===----------------------------------------------------------------------===//

#include "dialect/AttnPasses.h"
#include "lib/Conversion/KernelBuilding.h"

#define DEBUG_TYPE "attn-convert-linear-to-kernel"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNCONVERTLINEARTOKERNELPASS
#include "dialect/AttnPasses.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Tile types of one target's linear kernel.
struct LinearTiles {
  int64_t chunk;
  TileType x, v, phi, state, z, gates, beta, weights, out, w, u;
  bool sum, delta, gated, bidirectional;
  Intra intra;
  Inter inter;
  Feature feature;
};

LinearTiles tilesFor(LinearAttentionOp op, Attribute plan) {
  MLIRContext *ctx = op.getContext();
  Builder b(ctx);
  Type f32 = b.getF32Type(), f64 = b.getF64Type();
  LinearTiles t;
  int64_t tile;
  if (auto cuda = dyn_cast<CudaPlanAttr>(plan)) {
    t.chunk = cuda.getChunk();
    tile = cuda.getValueTile();
  } else {
    // The CPU task owns every value column of its (b, h).
    t.chunk = cast<CpuPlanAttr>(plan).getChunk();
    tile = op.getValueDim();
  }
  const int64_t c = t.chunk, d = op.getHeadDim(), f = op.getFeatureDim();
  const TileSpace sh = TileSpace::shared;
  // Both backends convert q, k, v to f32 as they stage a chunk.
  t.x = tileType(ctx, {c, d}, f32, sh);
  t.v = tileType(ctx, {c, tile}, f32, sh);
  t.phi = tileType(ctx, {c, f}, f32, sh);
  t.state = tileType(ctx, {f, tile}, f32, sh);
  t.z = tileType(ctx, {f}, f32, sh);
  const DecayClass decay = op.getDecayClass();
  // Cumulative log-gates in double: per token, or per token and state row.
  t.gates = decay == DecayClass::per_channel ? tileType(ctx, {c + 1, f}, f64, sh)
                                             : tileType(ctx, {c + 1}, f64, sh);
  t.beta = tileType(ctx, {c}, f32, sh);
  t.weights = tileType(ctx, {c, c}, f32, sh);
  t.out = tileType(ctx, {c, tile}, f32, TileSpace::fragment);
  t.w = tileType(ctx, {c, f}, f32, sh);
  t.u = tileType(ctx, {c, tile}, f32, sh);
  t.sum = op.getNormalize() == Normalize::sum;
  t.delta = op.getUpdate() == Update::delta;
  t.gated = decay != DecayClass::none;
  t.bidirectional = op.getBidirectional();
  ChunkPlanAttr chunkPlan = op.getChunkPlanAttr();
  t.intra = chunkPlan.getIntra();
  t.inter = chunkPlan.getInter();
  t.feature = op.getFeature();
  return t;
}

/// What one chunk's keys contribute: phi(K), V (or W, U), the gates.
struct ChunkKeys {
  Value phiK, v, gates, w, u;
  /// The inputs of attn.state_update under this op's rule.
  SmallVector<Value> updateInputs() const {
    SmallVector<Value> in = {phiK};
    if (w) {
      in.push_back(w);
      in.push_back(u);
    } else {
      in.push_back(v);
    }
    if (gates)
      in.push_back(gates);
    return in;
  }
};

class LinearKernelBuilder {
public:
  LinearKernelBuilder(RewriterBase &rewriter, LinearAttentionOp op,
                      const LinearTiles &t)
      : rewriter(rewriter), op(op), t(t), loc(op.getLoc()) {}

  SmallVector<Type> stateTypes() const {
    SmallVector<Type> types = {t.state};
    if (t.sum)
      types.push_back(t.z);
    return types;
  }

  ChunkKeys loadKeys(Value c) {
    ChunkKeys keys;
    Value xk = rewriter.create<LoadTileOp>(loc, t.x, TensorRole::k, c);
    keys.v = rewriter.create<LoadTileOp>(loc, t.v, TensorRole::v, c);
    keys.phiK = rewriter.create<FeatureMapOp>(loc, t.phi, xk, t.feature);
    if (t.gated)
      keys.gates = rewriter.create<ChunkGatesOp>(loc, t.gates, c);
    if (t.delta) {
      Value beta = rewriter.create<LoadBetaOp>(loc, t.beta, c);
      auto wy = rewriter.create<WyTransformOp>(loc, t.w, t.u, keys.phiK,
                                               keys.v, beta, keys.gates);
      keys.w = wy.getW();
      keys.u = wy.getU();
    }
    return keys;
  }

  /// The chunk's outputs from the state entering it, stored.
  void emitOutputs(Value c, const ChunkKeys &keys, ValueRange states) {
    Value xq = rewriter.create<LoadTileOp>(loc, t.x, TensorRole::q, c);
    Value phiQ = rewriter.create<FeatureMapOp>(loc, t.phi, xq, t.feature);
    Value weights, values;
    if (!t.bidirectional) {
      weights = rewriter.create<IntraChunkOp>(loc, t.weights, phiQ, keys.phiK,
                                              keys.gates, t.intra);
      values = keys.u ? keys.u : keys.v;
    }
    Value out = rewriter.create<ChunkOutputOp>(loc, t.out, phiQ, states,
                                               weights, values);
    rewriter.create<StoreRowsOp>(loc, out, c, Value(), Value(), Value());
  }

  ValueRange stateUpdate(ValueRange states, const ChunkKeys &keys) {
    return rewriter
        .create<StateUpdateOp>(loc, stateTypes(), states, keys.updateInputs(),
                               t.inter)
        .getNewStates();
  }

  /// A chunk loop carrying `inits`; `body` gets the chunk index and the
  /// carried states and returns the next ones.
  ChunkLoopOp chunkLoop(ValueRange inits, bool parallel,
                        function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    auto loop = rewriter.create<ChunkLoopOp>(loc, TypeRange(inits), t.chunk,
                                             parallel, inits);
    OpBuilder::InsertionGuard guard(rewriter);
    SmallVector<Type> argTypes = {rewriter.getIndexType()};
    llvm::append_range(argTypes, inits.getTypes());
    Block *block = rewriter.createBlock(
        &loop.getBody(), {}, argTypes,
        SmallVector<Location>(argTypes.size(), loc));
    SmallVector<Value> next =
        body(block->getArgument(0), block->getArguments().drop_front());
    rewriter.create<KernelYieldOp>(loc, next);
    return loop;
  }

  void buildForm(ChunkForm form) {
    auto formOp = rewriter.create<FormOp>(loc, form);
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.createBlock(&formOp.getBody());
    switch (form) {
    case ChunkForm::sequential:
      return t.bidirectional ? buildBidirectional() : buildSequential();
    case ChunkForm::chunk_parallel:
      return buildChunkParallel();
    case ChunkForm::recurrent_step: {
      auto in = rewriter.create<LoadStateOp>(loc, stateTypes(), false);
      auto step = rewriter.create<RecurrentStepOp>(loc, stateTypes(),
                                                   in.getStates(), t.inter);
      rewriter.create<StoreStateOp>(loc, step.getNewStates());
      return;
    }
    }
  }

private:
  void buildSequential() {
    auto in = rewriter.create<LoadStateOp>(loc, stateTypes(), false);
    ChunkLoopOp loop =
        chunkLoop(in.getStates(), false, [&](Value c, ValueRange states) {
          ChunkKeys keys = loadKeys(c);
          emitOutputs(c, keys, states);
          return SmallVector<Value>(stateUpdate(states, keys));
        });
    rewriter.create<StoreStateOp>(loc, loop.getResults());
  }

  /// Every row reads the state of all keys: accumulate it, then read it.
  void buildBidirectional() {
    auto zero = rewriter.create<LoadStateOp>(loc, stateTypes(), true);
    ChunkLoopOp total =
        chunkLoop(zero.getStates(), false, [&](Value c, ValueRange states) {
          return SmallVector<Value>(stateUpdate(states, loadKeys(c)));
        });
    SmallVector<Value> finalStates(total.getResults());
    chunkLoop({}, true, [&](Value c, ValueRange) {
      Value xq = rewriter.create<LoadTileOp>(loc, t.x, TensorRole::q, c);
      Value phiQ = rewriter.create<FeatureMapOp>(loc, t.phi, xq, t.feature);
      Value out = rewriter.create<ChunkOutputOp>(loc, t.out, phiQ, finalStates,
                                                 Value(), Value());
      rewriter.create<StoreRowsOp>(loc, out, c, Value(), Value(), Value());
      return SmallVector<Value>();
    });
  }

  /// Phase 1 each chunk's local state, phase 2 the scan, phase 3 outputs.
  void buildChunkParallel() {
    chunkLoop({}, true, [&](Value c, ValueRange) {
      auto zero = rewriter.create<LoadStateOp>(loc, stateTypes(), true);
      ValueRange local = stateUpdate(zero.getStates(), loadKeys(c));
      rewriter.create<StoreChunkStateOp>(loc, c, local);
      return SmallVector<Value>();
    });
    rewriter.create<StateScanOp>(loc, t.inter);
    chunkLoop({}, true, [&](Value c, ValueRange) {
      ChunkKeys keys = loadKeys(c);
      auto entering = rewriter.create<LoadChunkStateOp>(loc, stateTypes(), c);
      emitOutputs(c, keys, entering.getStates());
      return SmallVector<Value>();
    });
  }

  RewriterBase &rewriter;
  LinearAttentionOp op;
  const LinearTiles &t;
  Location loc;
};

void buildLinearKernel(RewriterBase &rewriter, LinearAttentionOp op,
                       Target target, Attribute plan) {
  const LinearTiles t = tilesFor(op, plan);
  createKernel(rewriter, op, target, plan);
  ArrayRef<ChunkForm> forms = isa<CudaPlanAttr>(plan)
                                  ? cast<CudaPlanAttr>(plan).getForms()
                                  : cast<CpuPlanAttr>(plan).getForms();
  LinearKernelBuilder builder(rewriter, op, t);
  for (ChunkForm form : forms)
    builder.buildForm(form);
}

/// Gives a planned attn.linear_attention its kernels, once.
struct LinearToKernel : public OpRewritePattern<LinearAttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinearAttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.getChunkPlanAttr())
      return rewriter.notifyMatchFailure(op, "no chunk plan");
    return buildMissingKernels(op, [&](Target target, Attribute plan) {
      buildLinearKernel(rewriter, op, target, plan);
    });
  }
};

struct ConvertLinearToKernel
    : public attn::impl::AttnConvertLinearToKernelPassBase<
          ConvertLinearToKernel> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<LinearToKernel>(&getContext());
    if (failed(applyKernelConversion(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
