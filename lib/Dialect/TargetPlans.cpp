//===- TargetPlans.cpp - Verification of per-target kernel plans ----------===//
//
// This file implements the verifiers of `#attn.cuda_plan` and
// `#attn.cpu_plan` (each plan on its own: sizes the kernel designs can run)
// and of a plan against its op (the plan describes this op: path by family
// and dtype, tiles by schedule, shared memory by the buffer layout). A plan
// that passes is one the emitters can print without deciding anything.
//
//===----------------------------------------------------------------------===//

#include "lib/Dialect/TargetPlans.h"

#include "dialect/CudaBudget.h"

using namespace mlir;
using namespace mlir::attn;

namespace {

/// A plan's kv_splits (split-KV decode): 0 or at most kMaxKvSplits, and
/// only on a ragged plan (the split is of the static tile walk).
LogicalResult verifyKvSplits(function_ref<InFlightDiagnostic()> emitError,
                             int64_t kvSplits, bool ragged) {
  if (kvSplits < 0 || kvSplits > kMaxKvSplits)
    return emitError() << "expected kv_splits in [0, " << kMaxKvSplits
                       << "], got " << kvSplits;
  if (kvSplits && !ragged)
    return emitError() << "expected kv_splits only on a ragged plan (the "
                          "softmax forward's static tile walk)";
  return success();
}

LogicalResult verifySortedForms(function_ref<InFlightDiagnostic()> emitError,
                                ArrayRef<ChunkForm> forms) {
  for (size_t i = 1; i < forms.size(); ++i)
    if (forms[i] <= forms[i - 1])
      return emitError() << "expected kernel forms sorted and distinct, got '"
                         << stringifyChunkForm(forms[i]) << "' after '"
                         << stringifyChunkForm(forms[i - 1]) << "'";
  return success();
}

bool isPowerOfTwoChunk(int64_t chunk) {
  return chunk >= 16 && chunk <= 256 && (chunk & (chunk - 1)) == 0;
}

} // namespace

LogicalResult
CudaPlanAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                     CudaPath path, CudaGrid grid, int64_t threads,
                     int64_t warps, int64_t blockQ, int64_t blockK,
                     int64_t stages, bool qInRegisters, int64_t chunk,
                     int64_t valueTile, int64_t valueTiles,
                     ArrayRef<ChunkForm> forms, int64_t sharedBytes,
                     int64_t mainSharedBytes, bool ragged,
                     ArrayRef<int64_t> box, int64_t kvSplits) {
  if (failed(verifyKvSplits(emitError, kvSplits, ragged)))
    return failure();
  if (!box.empty()) {
    int64_t volume = 1;
    for (int64_t side : box)
      volume = side < 1 ? 0 : volume * side;
    if ((path != CudaPath::tensor_core && path != CudaPath::simt) ||
        grid != CudaGrid::q_blocks || ragged || volume != blockQ ||
        volume != blockK)
      return emitError() << "expected a box only on a forward softmax plan "
                            "over q_blocks that is not ragged, with volume "
                            "block_q = block_k";
  }
  if (ragged && grid != CudaGrid::q_blocks)
    return emitError() << "expected ragged only with grid q_blocks (the "
                          "softmax forward), got grid "
                       << stringifyCudaGrid(grid);
  if (threads < 1 || threads > 1024)
    return emitError() << "expected 1 to 1024 threads per block, got "
                       << threads;
  if (warps != (threads + 31) / 32)
    return emitError() << "expected warps = ceil(threads / 32) = "
                       << (threads + 31) / 32 << ", got " << warps;
  if (sharedBytes > kCudaMaxSharedBytes)
    return emitError() << "the plan needs " << sharedBytes
                       << " bytes of shared memory per block, more than the "
                       << kCudaMaxSharedBytes << " sm_80 allows";
  if (mainSharedBytes < 0 || mainSharedBytes > sharedBytes)
    return emitError() << "expected main_shared_bytes in [0, shared_bytes ("
                       << sharedBytes << ")], got " << mainSharedBytes;
  if (failed(verifySortedForms(emitError, forms)))
    return failure();

  if (path == CudaPath::chunked_simt) {
    if (grid != CudaGrid::value_tiles)
      return emitError() << "expected grid value_tiles on path chunked_simt";
    if (!isPowerOfTwoChunk(chunk))
      return emitError() << "expected chunk to be a power of two in [16, "
                            "256], got "
                         << chunk;
    if (valueTile < 1 || valueTiles < 1)
      return emitError() << "expected a positive value_tile and value_tiles";
    if (blockQ || blockK || stages || qInRegisters)
      return emitError() << "expected block_q, block_k, stages 0 and "
                            "q_in_registers false on path chunked_simt";
    if (!llvm::is_contained(forms, ChunkForm::sequential))
      return emitError() << "expected form 'sequential' on path chunked_simt";
    if (llvm::is_contained(forms, ChunkForm::chunk_parallel))
      return emitError() << "form 'chunk_parallel' has no CUDA kernel";
    return success();
  }

  if (path == CudaPath::backward_simt) {
    if (grid != CudaGrid::backward_tasks)
      return emitError() << "expected grid backward_tasks on path "
                            "backward_simt";
    if (threads % 32 != 0)
      return emitError() << "expected whole warps on path backward_simt, "
                            "got "
                         << threads << " threads";
    if (blockQ < 1 || blockK < 1 || stages != 1 || qInRegisters || chunk ||
        valueTile || valueTiles || !forms.empty())
      return emitError() << "expected positive block_q and block_k, stages "
                            "1 and nothing else on path backward_simt";
    if (sharedBytes > kCudaBackwardMaxSharedBytes)
      return emitError() << "the backward's kernels take at most "
                         << kCudaBackwardMaxSharedBytes
                         << " bytes of shared memory, got " << sharedBytes;
    return success();
  }
  if (path == CudaPath::backward_tensor_core) {
    if (grid != CudaGrid::backward_tasks)
      return emitError() << "expected grid backward_tasks on path "
                            "backward_tensor_core";
    // A warp owns 16 keys of the key-major pass's k-block and 16 queries
    // of the query-major pass's q-block; the key-major pass walks the
    // q-block in 32-row steps.
    if (warps < 1 || threads != 32 * warps || blockK != 16 * warps ||
        blockQ != 16 * warps || blockQ % 32 != 0)
      return emitError() << "expected block_q = block_k = 16 * warps (a "
                            "multiple of 32) and 32 threads a warp on path "
                            "backward_tensor_core, got block_q "
                         << blockQ << ", block_k " << blockK << ", "
                         << warps << " warps, " << threads << " threads";
    if ((stages != 1 && stages != 2) || qInRegisters || chunk ||
        valueTile || valueTiles || !forms.empty())
      return emitError() << "expected 1 or 2 stages and nothing else on "
                            "path backward_tensor_core";
    if (sharedBytes > kCudaMaxSharedBytes)
      return emitError() << "at most " << kCudaMaxSharedBytes
                         << " bytes of shared memory, got " << sharedBytes;
    return success();
  }
  if (grid != CudaGrid::q_blocks)
    return emitError() << "expected grid q_blocks on path '"
                       << stringifyCudaPath(path) << "'";
  if (chunk || valueTile || valueTiles || !forms.empty())
    return emitError() << "expected chunk, value_tile, value_tiles 0 and no "
                          "forms on path '"
                       << stringifyCudaPath(path) << "'";
  if (blockQ < 16 || blockK < 16 || blockK % 16 != 0)
    return emitError() << "expected block_q >= 16 and block_k a positive "
                          "multiple of 16, got "
                       << blockQ << " and " << blockK;
  if (path == CudaPath::tensor_core) {
    if (threads != 32 * warps || blockQ % (16 * warps) != 0)
      return emitError() << "expected block_q a multiple of 16 * warps ("
                         << 16 * warps << ") and 32 threads a warp, got "
                         << blockQ << " rows and " << threads << " threads";
    if (stages != 1 && stages != 2)
      return emitError() << "expected 1 or 2 stages on path tensor_core, got "
                         << stages;
    return success();
  }
  // SIMT: one thread per query row, no k-loop pipeline.
  if (threads != blockQ)
    return emitError() << "expected one thread per query row on path simt ("
                       << blockQ << "), got " << threads;
  if (stages != 1 || qInRegisters)
    return emitError() << "expected stages 1 and q_in_registers false on "
                          "path simt";
  return success();
}

bool CudaPlanAttr::hasForm(ChunkForm form) const {
  return llvm::is_contained(getForms(), form);
}

LogicalResult
CpuPlanAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                    int64_t blockQ, int64_t blockK, int64_t chunk,
                    ArrayRef<ChunkForm> forms, bool memoKeys, bool ragged,
                    ArrayRef<int64_t> box, bool routed, int64_t kvSplits) {
  if (failed(verifyKvSplits(emitError, kvSplits, ragged)))
    return failure();
  if (routed && (chunk != 0 || ragged || !box.empty()))
    return emitError() << "expected routed only on a softmax plan without "
                          "ragged or box";
  if (failed(verifySortedForms(emitError, forms)))
    return failure();
  const bool linear = chunk != 0;
  if (!box.empty()) {
    // A grid's boxes are the kernel's tiles: their volume is the tile.
    int64_t volume = 1;
    for (int64_t side : box) {
      if (side < 1)
        return emitError() << "expected positive box sides, got " << side;
      volume *= side;
    }
    if (linear || ragged || volume != blockQ || volume != blockK)
      return emitError() << "expected a box only on a softmax plan that is "
                            "not ragged, with volume block_q = block_k, got "
                         << volume << " for " << blockQ << " x " << blockK;
  }
  if (linear && ragged)
    return emitError() << "expected ragged only without a chunk (the softmax "
                          "family)";
  if (linear) {
    if (!isPowerOfTwoChunk(chunk))
      return emitError() << "expected chunk to be a power of two in [16, "
                            "256], got "
                         << chunk;
    if (blockQ || blockK)
      return emitError() << "expected block_q and block_k 0 with a chunk";
    if (forms.empty())
      return emitError() << "expected at least one kernel form";
    return success();
  }
  if (blockQ < 1 || blockK < 1)
    return emitError() << "expected positive block_q and block_k, got "
                       << blockQ << " and " << blockK;
  if (!forms.empty() || memoKeys)
    return emitError() << "expected no forms and memo_keys false without a "
                          "chunk";
  return success();
}

bool CpuPlanAttr::hasForm(ChunkForm form) const {
  return llvm::is_contained(getForms(), form);
}

namespace {

LogicalResult verifyExclusive(Operation *op, Attribute plan,
                              Attribute unsupported) {
  if (plan && unsupported)
    return op->emitOpError()
           << "expected either 'cuda_plan' or 'cuda_unsupported', not both";
  return success();
}

LogicalResult verifySharedBytes(Operation *op, CudaPlanAttr plan,
                                int64_t needed, int64_t neededMain) {
  if (plan.getSharedBytes() != needed || plan.getMainSharedBytes() != neededMain)
    return op->emitOpError()
           << "expected the CUDA plan's shared memory to be what its buffers "
              "need ("
           << needed << " bytes, " << neededMain << " in the k-loop), got "
           << plan.getSharedBytes() << " and " << plan.getMainSharedBytes();
  return success();
}

} // namespace

LogicalResult mlir::attn::verifyTargetPlans(AttentionOp op) {
  CudaPlanAttr cuda = op.getCudaPlanAttr();
  if (failed(verifyExclusive(op, cuda, op.getCudaUnsupportedAttr())))
    return failure();
  ScheduleAttr schedule = op.getScheduleAttr();
  if (CpuPlanAttr cpu = op.getCpuPlanAttr()) {
    if (cpu.getChunk() != 0)
      return op.emitOpError() << "expected a CPU plan without a chunk for "
                                 "the softmax family";
    if (!schedule || cpu.getBlockQ() != schedule.getBlockQ() ||
        cpu.getBlockK() != schedule.getBlockK())
      return op.emitOpError() << "expected the CPU plan's tiles to be the "
                                 "schedule's";
  }
  if (!cuda)
    return success();
  const CudaPath expected =
      op.getDtype() == Dtype::f32 ? CudaPath::simt : CudaPath::tensor_core;
  if (cuda.getPath() != expected)
    return op.emitOpError() << "expected CUDA path '"
                            << stringifyCudaPath(expected) << "' for dtype '"
                            << stringifyDtype(op.getDtype()) << "', got '"
                            << stringifyCudaPath(cuda.getPath()) << "'";
  if (!schedule || cuda.getBlockQ() != schedule.getBlockQ() ||
      cuda.getBlockK() != schedule.getBlockK())
    return op.emitOpError() << "expected the CUDA plan's tiles to be the "
                               "schedule's";
  if (expected == CudaPath::tensor_core &&
      cuda.getWarps() != schedule.getWarps())
    return op.emitOpError() << "expected the CUDA plan's warps ("
                            << cuda.getWarps() << ") to be the schedule's ("
                            << schedule.getWarps() << ")";
  const int64_t main = softmaxCudaMainShared(
      cuda.getPath(), cuda.getBlockQ(), cuda.getBlockK(), cuda.getStages(),
      op.getHeadDim(), op.getValueDim());
  const int64_t total =
      main + (op.getHybridFeature()
                  ? softmaxCudaHybridShared(cuda.getBlockQ(), cuda.getBlockK(),
                                            op.getValueDim(),
                                            op.getHybridFeatureDim())
                  : 0);
  return verifySharedBytes(op, cuda, total, main);
}

LogicalResult mlir::attn::verifyTargetPlans(LinearAttentionOp op) {
  CudaPlanAttr cuda = op.getCudaPlanAttr();
  if (failed(verifyExclusive(op, cuda, op.getCudaUnsupportedAttr())))
    return failure();
  ChunkPlanAttr chunkPlan = op.getChunkPlanAttr();
  if (CpuPlanAttr cpu = op.getCpuPlanAttr()) {
    if (!chunkPlan || cpu.getChunk() != chunkPlan.getChunk() ||
        cpu.getForms() != chunkPlan.getForms())
      return op.emitOpError() << "expected the CPU plan's chunk and forms to "
                                 "be the chunk plan's";
  }
  if (!cuda)
    return success();
  if (cuda.getPath() != CudaPath::chunked_simt)
    return op.emitOpError() << "expected CUDA path 'chunked_simt' for the "
                               "linear family, got '"
                            << stringifyCudaPath(cuda.getPath()) << "'";
  if (!chunkPlan)
    return op.emitOpError() << "a CUDA plan needs the chunk plan";
  // The CUDA kernel may halve the chunk to fit shared memory (the result
  // changes only by reassociation), never lengthen it.
  if (cuda.getChunk() > chunkPlan.getChunk())
    return op.emitOpError() << "expected the CUDA chunk (" << cuda.getChunk()
                            << ") at most the chunk plan's ("
                            << chunkPlan.getChunk() << ")";
  if (cuda.hasForm(ChunkForm::recurrent_step) !=
      chunkPlan.hasForm(ChunkForm::recurrent_step))
    return op.emitOpError() << "expected the CUDA plan to have form "
                               "'recurrent_step' exactly when the chunk plan "
                               "has it";
  const int64_t dv = op.getValueDim();
  if (cuda.getValueTile() > dv ||
      cuda.getValueTiles() != (dv + cuda.getValueTile() - 1) /
                                  cuda.getValueTile())
    return op.emitOpError() << "expected value tiles of "
                            << cuda.getValueTile() << " to cover value_dim "
                            << dv << " in ceil(value_dim / value_tile) tiles";
  // A causal normalize-sum kernel hands out z, which every value tile
  // computes: one tile must then cover every column (a single writer).
  if (op.getNormalize() == Normalize::sum && !op.getBidirectional() &&
      cuda.getValueTiles() != 1)
    return op.emitOpError() << "expected one value tile for a causal "
                               "normalize-sum op (z has a single writer)";
  const int64_t bytes =
      linearCudaLayout(op, cuda.getChunk(), cuda.getValueTile()).bytes;
  return verifySharedBytes(op, cuda, bytes, bytes);
}
