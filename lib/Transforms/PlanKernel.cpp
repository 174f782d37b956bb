//===- PlanKernel.cpp - One verified kernel plan per target ---------------===//
//
// This file implements attn-plan-kernel: for every scheduled op it decides
// how each target runs it (CUDA path, threads, tiles, stages, value tile,
// the chunk after halving, forms, shared memory; the CPU's tiles, chunk,
// forms and memoisation) and attaches one verified attribute per target.
// Every size the emitters print comes from here; the shared-memory sizes
// themselves come from dialect/CudaBudget.h, which the verifiers also use.
//
//===----------------------------------------------------------------------===//

#include "dialect/AttnPasses.h"
#include "dialect/CudaBudget.h"
#include "lib/Analysis/GridTiles.h"
#include "lib/Analysis/RoutingClause.h"

#define DEBUG_TYPE "attn-plan-kernel"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNPLANKERNELPASS
#include "dialect/AttnPasses.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Stages the tensor-core kernel pipelines: K/V tiles double-buffered with
/// cp.async. Deeper pipelines are the Hopper path's (not built yet).
constexpr int64_t kTensorCoreMaxStages = 2;
/// Threads of the linear kernel: 8 warps share one state tile.
constexpr int64_t kLinearThreads = 256;
/// Widest value tile of the linear kernel; narrower ones (down to
/// kLinearMinTile) when shared memory is short.
constexpr int64_t kLinearMaxTile = 64, kLinearMinTile = 16;
/// The shortest chunk the linear kernel halves down to.
constexpr int64_t kLinearMinChunk = 16;

/// Why no CUDA kernel design fits and which spec clause that is about, or
/// the plan.
struct CudaChoice {
  CudaPlanAttr plan;
  std::string unsupported;
  std::string clause = {};
};

template <typename... Args> std::string concat(Args &&...args) {
  std::string s;
  llvm::raw_string_ostream os(s);
  (os << ... << args);
  return s;
}

/// Whether the spec behind `op` wrote `clause` (attn::clauseLoc finds it).
bool hasClause(Operation *op, StringRef clause) {
  return clauseLoc(op, clause) != op->getLoc();
}

/// Whether the softmax kernels also take packed variable-length batches
/// (cu_seqlens at launch): every forward but content-based selection (its
/// selection is built per padded batch) and hybrids (their linear branch's
/// block states are per padded batch).
bool raggedSoftmax(AttentionOp op) {
  return !op.getSelect() && !op.getHybridFeature();
}

/// The CPU kernel's boxes on a token grid (docs/language.md §3c), or none:
/// the mask must have per-axis clauses (lib/Analysis/GridTiles.h), the
/// tiles must be square (a box is both the query and the key tile) and
/// the plain kernel must run (selection and hybrids walk flat tiles).
/// A grid kernel gathers boxes of equal-length sequences, so it takes
/// padded batches only.
std::vector<int64_t> cpuGridBox(AttentionOp op) {
  ScheduleAttr s = op.getScheduleAttr();
  if (!op.getGrid() || op.getSelect() || op.getHybridFeature() ||
      s.getBlockQ() != s.getBlockK() || attnc::whyNoGridBoxes(op))
    return {};
  return attnc::chooseGridBox(op, s.getBlockQ())
      .value_or(std::vector<int64_t>{});
}

CudaChoice planSoftmaxCuda(AttentionOp op) {
  ScheduleAttr s = op.getScheduleAttr();
  const int64_t d = op.getHeadDim(), dv = op.getValueDim();
  const int64_t bq = s.getBlockQ(), bk = s.getBlockK();
  const bool tensorCores = op.getDtype() != Dtype::f32;
  const CudaPath path = tensorCores ? CudaPath::tensor_core : CudaPath::simt;
  int64_t threads, warps, stages;
  bool qInRegisters = false;
  if (tensorCores) {
    if (d % 8 != 0 || dv % 8 != 0 || d > 256 || dv > 256)
      return {{},
              concat("the tensor-core path needs head_dim and value_dim "
                     "multiples of 8 up to 256, got ",
                     d, " and ", dv),
              d % 8 != 0 || d > 256 ? "head_dim" : "value_dim"};
    warps = s.getWarps();
    threads = 32 * warps;
    stages = std::min(s.getStages(), kTensorCoreMaxStages);
    if (s.getStages() > kTensorCoreMaxStages)
      emitWarning(clauseLoc(op, "tile")) << "tile stages=" << s.getStages()
                       << " is more than the sm_80 tensor-core kernel "
                          "pipelines; its CUDA plan uses "
                       << stages << " stages";
    // Q fragments stay in registers when, with the O accumulator and the
    // score tile, they fit the per-warp budget: measured on an H200
    // (docs/benchmarks.md, tile sweep), 16 rows a warp at head_dim 128 fit
    // (128 registers of fragments), 32 rows a warp spill at 255 registers.
    const int64_t mTiles = bq / (16 * warps);
    const int64_t fragmentRegisters =
        mTiles * (tensorCorePaddedDim(d) / 16 * 4 +
                  tensorCorePaddedDim(dv) / 8 * 4 + bk / 8 * 4);
    qInRegisters = tensorCorePaddedDim(d) <= 128 && fragmentRegisters <= 128;
  } else {
    // One thread per query row; the SIMT kernel has no k-loop pipeline.
    threads = bq;
    warps = (threads + 31) / 32;
    stages = 1;
    if (threads > 1024)
      return {{},
              concat("the f32 path runs one thread per query row; tile q "
                     "must be at most 1024, got ",
                     bq),
              "tile"};
  }
  const int64_t main = softmaxCudaMainShared(path, bq, bk, stages, d, dv);
  int64_t shared = main;
  if (op.getHybridFeature())
    shared += softmaxCudaHybridShared(bq, bk, dv, op.getHybridFeatureDim());
  if (shared > kCudaMaxSharedBytes)
    return {{},
            concat("the schedule needs ", shared,
                   " bytes of shared memory per block, more than the ",
                   kCudaMaxSharedBytes,
                   " sm_80 allows; use smaller tiles (tile q=... k=...)"),
            // The tiles, where the spec chose them; else the head size.
            op.getScheduleAttr() && hasClause(op, "tile") ? "tile"
                                                          : "head_dim"};
  // A token grid's boxes (the CPU plan's choice, lib/Analysis/GridTiles)
  // when they fill the CUDA tiles too.
  std::vector<int64_t> box = cpuGridBox(op);
  int64_t volume = 1;
  for (int64_t side : box)
    volume *= side;
  if (volume != bq || volume != bk)
    box.clear();
  // Split-KV decode (docs/runtime.md §3g): partial (o, lse) pairs merge
  // exactly only under the softmax normalizer; the kernel splits its
  // static tile walk, so the plan must be ragged (no boxes, selection or
  // hybrid).
  const bool ragged = box.empty() && raggedSoftmax(op);
  const int64_t kvSplits =
      ragged && op.getNormalize() == Normalize::softmax ? kPlannedKvSplits : 0;
  return {CudaPlanAttr::get(op.getContext(), path, CudaGrid::q_blocks,
                            threads, warps, bq, bk, stages, qInRegisters, 0,
                            0, 0, {}, shared, main, ragged, box, kvSplits),
          ""};
}

CudaChoice planLinearCuda(LinearAttentionOp op) {
  ChunkPlanAttr chunkPlan = op.getChunkPlanAttr();
  const int64_t dv = op.getValueDim();
  // A causal normalize-sum kernel hands out z, which every value tile
  // computes: one tile then covers every column so that z_out has a single
  // writer (and z_out may alias z_in).
  const bool singleTile =
      op.getNormalize() == Normalize::sum && !op.getBidirectional();
  int64_t tile = singleTile ? dv : std::min(dv, kLinearMaxTile);
  int64_t chunk = chunkPlan.getChunk();
  auto bytes = [&] { return linearCudaLayout(op, chunk, tile).bytes; };
  // Narrower value tiles first (more blocks, same algorithm), then shorter
  // chunks (results change only by reassociation).
  while (bytes() > kCudaMaxSharedBytes && !singleTile &&
         tile > kLinearMinTile)
    tile = std::max(kLinearMinTile, tile / 2);
  while (bytes() > kCudaMaxSharedBytes && chunk > kLinearMinChunk)
    chunk /= 2;
  if (bytes() > kCudaMaxSharedBytes)
    return {{},
            concat("the CUDA backend needs ", bytes(),
                   " bytes of shared memory per block for feature dimension ",
                   op.getFeatureDim(), " and value tile ", tile,
                   ", more than the ", kCudaMaxSharedBytes,
                   " sm_80 allows; use a smaller feature map or value_dim"),
            "head_dim"};
  // The CUDA kernel walks the chunks in order (no chunk-parallel form yet)
  // and runs one decode token as a recurrent step.
  SmallVector<ChunkForm> forms = {ChunkForm::sequential};
  if (chunkPlan.hasForm(ChunkForm::recurrent_step))
    forms.push_back(ChunkForm::recurrent_step);
  if (op.getChunkForm() == ChunkForm::chunk_parallel)
    emitWarning(clauseLoc(op, "chunk")) << "'chunk " << chunkPlan.getChunk()
                     << " parallel' has no CUDA kernel; the CUDA plan runs "
                        "the chunks in sequence";
  const int64_t shared = bytes();
  return {CudaPlanAttr::get(op.getContext(), CudaPath::chunked_simt,
                            CudaGrid::value_tiles, kLinearThreads,
                            kLinearThreads / 32, 0, 0, 0, false, chunk, tile,
                            (dv + tile - 1) / tile, forms, shared, shared,
                            /*ragged=*/false, /*box=*/{}, /*kvSplits=*/0),
          ""};
}

template <typename OpT>
LogicalResult attachCuda(OpT op, CudaChoice choice) {
  op.removeCudaPlanAttr();
  op.removeCudaUnsupportedAttr();
  op.removeCudaUnsupportedClauseAttr();
  if (choice.plan) {
    // The verifier of the attribute and of the op: a plan this pass builds
    // is checked exactly as a hand-written one.
    auto emitError = [&] { return op.emitError(); };
    if (failed(CudaPlanAttr::verify(
            emitError, choice.plan.getPath(), choice.plan.getGrid(),
            choice.plan.getThreads(), choice.plan.getWarps(),
            choice.plan.getBlockQ(), choice.plan.getBlockK(),
            choice.plan.getStages(), choice.plan.getQInRegisters(),
            choice.plan.getChunk(), choice.plan.getValueTile(),
            choice.plan.getValueTiles(), choice.plan.getForms(),
            choice.plan.getSharedBytes(), choice.plan.getMainSharedBytes(),
            choice.plan.getRagged(), choice.plan.getBox(),
            choice.plan.getKvSplits())))
      return failure();
    op.setCudaPlanAttr(choice.plan);
  } else {
    op.setCudaUnsupportedAttr(
        StringAttr::get(op.getContext(), choice.unsupported));
    op.setCudaUnsupportedClauseAttr(
        StringAttr::get(op.getContext(), choice.clause));
  }
  return success();
}

LogicalResult planSoftmax(AttentionOp op) {
  ScheduleAttr s = op.getScheduleAttr();
  if (!s || !op.getBlockMapAttr())
    return op.emitError() << "expected a scheduled, classified op (run "
                             "attn-choose-schedule and attn-classify-blocks "
                             "first)";
  const std::vector<int64_t> box = cpuGridBox(op);
  // A mask that routes tokens by id (lib/Analysis/RoutingClause.h): the CPU
  // kernel sorts them per call; not with boxes, selection or hybrids.
  const bool routed = op.getPermute() && box.empty() && !op.getSelect() &&
                      !op.getHybridFeature() &&
                      attnc::findRoutingClause(op).has_value();
  if (op.getPermute() && !routed)
    return op.emitError()
           << "'permute' needs a clause qid[.., q] == kid[.., k] of i32 "
              "parameters in the mask's top-level conjunction, and no "
              "grid boxes, select or hybrid";
  // Ragged plans under the softmax normalizer also split keys for decode
  // (docs/runtime.md §3g), as the CUDA plan does.
  const bool ragged = box.empty() && !routed && raggedSoftmax(op);
  const int64_t kvSplits =
      ragged && op.getNormalize() == Normalize::softmax ? kPlannedKvSplits : 0;
  op.setCpuPlanAttr(CpuPlanAttr::get(op.getContext(), s.getBlockQ(),
                                     s.getBlockK(), 0, {}, false, ragged, box,
                                     routed, kvSplits));
  if (failed(attachCuda(op, planSoftmaxCuda(op))))
    return failure();
  return op.verify();
}

LogicalResult planLinear(LinearAttentionOp op) {
  ChunkPlanAttr chunkPlan = op.getChunkPlanAttr();
  if (!chunkPlan)
    return op.emitError() << "expected a chunk plan (run attn-plan-chunks "
                             "first)";
  // identity and relu are a copy per channel; taylor2's F = 1 + D + D^2
  // rows would make the memo larger than recomputing them costs.
  const Feature feature = op.getFeature();
  const bool memoKeys = chunkPlan.hasForm(ChunkForm::chunk_parallel) &&
                        feature != Feature::identity &&
                        feature != Feature::relu &&
                        feature != Feature::taylor2;
  op.setCpuPlanAttr(CpuPlanAttr::get(op.getContext(), 0, 0,
                                     chunkPlan.getChunk(),
                                     chunkPlan.getForms(), memoKeys,
                                     /*ragged=*/false, /*box=*/{},
                                     /*routed=*/false, /*kvSplits=*/0));
  if (failed(attachCuda(op, planLinearCuda(op))))
    return failure();
  return op.verify();
}

struct PlanKernel : public attn::impl::AttnPlanKernelPassBase<PlanKernel> {
  void runOnOperation() override {
    bool failed = false;
    getOperation().walk([&](Operation *op) {
      if (auto softmax = dyn_cast<AttentionOp>(op))
        failed |= mlir::failed(planSoftmax(softmax));
      else if (auto linear = dyn_cast<LinearAttentionOp>(op))
        failed |= mlir::failed(planLinear(linear));
    });
    if (failed)
      signalPassFailure();
  }
};

} // namespace
