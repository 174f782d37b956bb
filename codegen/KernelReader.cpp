//===- KernelReader.cpp - What a printer reads from an attn.kernel --------===//
//
// This file implements the readers of codegen/KernelReader.h: each walks a
// kernel's ops in the order the conversions produce them and rejects any
// other shape with an error at the op it did not expect.
//
//===----------------------------------------------------------------------===//

#include "codegen/KernelReader.h"

using namespace mlir;
using namespace mlir::attn;

namespace attnc {

FailureOr<KernelFuncOp> findKernel(Operation *source, Target target) {
  const std::string name = (SymbolTable::getSymbolName(source).getValue() +
                            "_" + stringifyTarget(target))
                               .str();
  auto kernel = dyn_cast_or_null<KernelFuncOp>(
      SymbolTable::lookupNearestSymbolFrom(
          source, StringAttr::get(source->getContext(), name)));
  if (kernel && kernel.getSourceOp() == source)
    return kernel;
  if (target == Target::cuda)
    if (auto why = source->getAttrOfType<StringAttr>("cuda_unsupported"))
      return emitError(cudaUnsupportedLoc(source))
             << "no CUDA kernel: " << why.getValue();
  return source->emitError() << "the " << stringifyTarget(target)
                             << " emitter needs the op's attn.kernel (run "
                                "the attnc pipeline to the kernel level)";
}

namespace {

/// Walks a block's ops in order, expecting each in turn.
class OpCursor {
public:
  OpCursor(Block &block, StringRef what) : it(block.begin()), end(block.end()),
                                           parent(block.getParentOp()),
                                           what(what) {}

  /// The next op if it is an `OpT`, else null (the cursor stays).
  template <typename OpT> OpT next() {
    if (it == end)
      return nullptr;
    auto op = dyn_cast<OpT>(&*it);
    if (op)
      ++it;
    return op;
  }

  /// The next op as an `OpT`, or an error naming what was expected.
  template <typename OpT> FailureOr<OpT> expect() {
    if (OpT op = next<OpT>())
      return op;
    if (it == end)
      return parent->emitError()
             << "the " << what << " printer expected '"
             << OpT::getOperationName() << "' before the end of the block";
    return it->emitError() << "the " << what << " printer has no translation "
                           << "for '" << it->getName() << "' here; expected '"
                           << OpT::getOperationName() << "'";
  }

  LogicalResult expectEnd() {
    if (it == end)
      return success();
    return it->emitError() << "the " << what << " printer has no translation "
                           << "for '" << it->getName() << "' here";
  }

private:
  Block::iterator it, end;
  Operation *parent;
  StringRef what;
};

} // namespace

FailureOr<SoftmaxKernel> readSoftmaxKernel(KernelFuncOp op) {
  SoftmaxKernel k;
  k.op = op;
  OpCursor top(op.getBody().front(), "softmax kernel");
  auto q = top.expect<LoadTileOp>();
  auto init = succeeded(q) ? top.expect<InitAccumulatorsOp>()
                           : FailureOr<InitAccumulatorsOp>(failure());
  auto loop = succeeded(init) ? top.expect<KBlockLoopOp>()
                              : FailureOr<KBlockLoopOp>(failure());
  if (failed(loop))
    return failure();
  k.blockQ = q->getResult().getType().getRows();
  k.headDim = q->getResult().getType().getCols();
  k.valueDim = init->getAcc().getType().getCols();
  k.stages = loop->getStages();
  k.walk = loop->getWalk();
  if (auto cpu = dyn_cast<CpuPlanAttr>(op.getPlan())) {
    k.ragged = cpu.getRagged();
    k.kvSplits = cpu.getKvSplits();
  }
  else if (auto cuda = dyn_cast<CudaPlanAttr>(op.getPlan())) {
    k.ragged = cuda.getRagged();
    k.kvSplits = cuda.getKvSplits();
  }
  if (HybridFoldOp fold = top.next<HybridFoldOp>())
    k.hybrid = true;
  auto store = top.expect<StoreRowsOp>();
  if (failed(store) || failed(top.expectEnd()))
    return failure();
  k.storesLse = static_cast<bool>(store->getRowMax());

  OpCursor body(loop->getBody().front(), "softmax k-loop");
  auto kTile = body.expect<LoadTileOp>();
  auto vTile = succeeded(kTile) ? body.expect<LoadTileOp>()
                                : FailureOr<LoadTileOp>(failure());
  auto qk = succeeded(vTile) ? body.expect<TileMatmulOp>()
                             : FailureOr<TileMatmulOp>(failure());
  auto scored = succeeded(qk) ? body.expect<ScoreMaskOp>()
                              : FailureOr<ScoreMaskOp>(failure());
  if (failed(scored))
    return failure();
  k.blockK = kTile->getResult().getType().getRows();
  if (body.next<OnlineSoftmaxOp>())
    k.onlineSoftmax = true;
  else if (failed(body.expect<RowSumOp>()))
    return failure();
  if (failed(body.expect<TileMatmulOp>()) ||
      failed(body.expect<KernelYieldOp>()) || failed(body.expectEnd()))
    return failure();
  return k;
}

FailureOr<LinearKernel> readLinearKernel(KernelFuncOp op) {
  LinearKernel k;
  k.op = op;
  for (Operation &child : op.getBody().front()) {
    auto form = dyn_cast<FormOp>(child);
    if (!form)
      return child.emitError() << "the linear kernel printer expected "
                                  "'attn.form', got '"
                               << child.getName() << "'";
    switch (form.getForm()) {
    case ChunkForm::sequential:
      k.sequential = true;
      break;
    case ChunkForm::chunk_parallel:
      k.chunkParallel = true;
      break;
    case ChunkForm::recurrent_step:
      k.recurrentStep = true;
      break;
    }
  }
  if (!k.sequential && !k.chunkParallel)
    return op.emitError() << "the linear kernel printer needs a chunked form";
  // The chunk's structure, from every chunk loop of every form: they must
  // agree (one chunk length, one rule), which the conversion guarantees
  // and hand-edited IR may not.
  bool sawUpdate = false;
  LogicalResult result = success();
  op.getBody().walk([&](Operation *inner) {
    if (failed(result))
      return;
    auto disagree = [&](StringRef what) {
      result = inner->emitError()
               << "the linear kernel printer found a second " << what
               << " in one kernel";
    };
    if (auto loop = dyn_cast<ChunkLoopOp>(inner)) {
      if (k.chunk && loop.getChunk() != k.chunk)
        return disagree("chunk length");
      k.chunk = loop.getChunk();
    } else if (auto load = dyn_cast<LoadTileOp>(inner)) {
      if (load.getRole() == TensorRole::v)
        k.valueTile = load.getResult().getType().getCols();
    } else if (auto phi = dyn_cast<FeatureMapOp>(inner)) {
      k.featureDim = phi.getResult().getType().getCols();
    } else if (auto gates = dyn_cast<ChunkGatesOp>(inner)) {
      k.decay = gates.getGates().getType().getShape().size() == 2
                    ? DecayClass::per_channel
                    : DecayClass::scalar;
    } else if (isa<WyTransformOp>(inner)) {
      k.delta = true;
    } else if (auto intra = dyn_cast<IntraChunkOp>(inner)) {
      if (k.intra != Intra::none && intra.getIntra() != k.intra)
        return disagree("intra-chunk rule");
      k.intra = intra.getIntra();
    } else if (auto update = dyn_cast<StateUpdateOp>(inner)) {
      if (sawUpdate && update.getInter() != k.inter)
        return disagree("state rule");
      k.inter = update.getInter();
      k.normalizeSum = update.getStates().size() == 2;
      sawUpdate = true;
    } else if (!isa<FormOp, LoadStateOp, StoreStateOp, LoadBetaOp,
                    ChunkOutputOp, StoreRowsOp, KernelYieldOp,
                    StoreChunkStateOp, LoadChunkStateOp, StateScanOp,
                    RecurrentStepOp>(inner)) {
      result = inner->emitError() << "the linear kernel printer has no "
                                     "translation for '"
                                  << inner->getName() << "'";
    }
  });
  if (failed(result))
    return failure();
  if (!sawUpdate || !k.chunk || !k.valueTile || !k.featureDim)
    return op.emitError() << "the linear kernel printer expected chunk loops "
                             "that load v, map features and update the state";
  // Causal chunks weigh their own keys; a bidirectional kernel has no
  // intra-chunk op and reads the whole state.
  k.bidirectional = k.intra == Intra::none;
  return k;
}

FailureOr<SoftmaxKernel> readSoftmaxKernelOf(Operation *source,
                                             Target target) {
  FailureOr<KernelFuncOp> kernel = findKernel(source, target);
  if (failed(kernel))
    return failure();
  return readSoftmaxKernel(*kernel);
}

FailureOr<LinearKernel> readLinearKernelOf(Operation *source, Target target) {
  FailureOr<KernelFuncOp> kernel = findKernel(source, target);
  if (failed(kernel))
    return failure();
  return readLinearKernel(*kernel);
}

} // namespace attnc
