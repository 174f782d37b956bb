//===- CudaEmitter.cpp - The blocked schedule as CUDA C++ -----------------===//
//
// This file implements the CUDA backend for the softmax family (the linear
// family's is LinearCudaEmitter.cpp; the entry points dispatch). The spec-
// dependent parts (mask, score, block plan, parameter readers, constants)
// are generated; the kernel skeleton is the device code in codegen/device/,
// configured by macros. The host launcher is guarded by __CUDACC_RTC__ so
// the same file also compiles under NVRTC (device code only).
//
//===----------------------------------------------------------------------===//

#include "codegen/CudaEmitter.h"

#include "codegen/BackwardCudaEmitter.h"
#include "codegen/DeviceSources.h"
#include "codegen/GridTilesEmitter.h"
#include "codegen/HybridCpuEmitter.h"
#include "codegen/EmitterSupport.h"
#include "codegen/ExprEmitter.h"
#include "codegen/KernelPrelude.h"
#include "codegen/KernelReader.h"
#include "codegen/LinearCudaEmitter.h"
#include "lib/Analysis/MaskClauses.h"
#include "dialect/CudaBudget.h"

#include "llvm/Support/Format.h"

using namespace mlir;

namespace attnc {
namespace {

/// What the kernel text needs, read from the op's CUDA attn.kernel: tile
/// sizes, stages and the tile walk from its ops, threads, warps, Q-fragment
/// placement and shared memory from its plan.
struct Geometry {
  bool tensorCores;
  int64_t d, dp, dv, dvp, bq, bk, warps, mt, stages, threads, shared;
  bool qInRegisters;
  /// Shared memory of the k-loop; a hybrid's linear branch comes after it.
  int64_t mainShared;
  SoftmaxKernel kernel;
};

FailureOr<Geometry> geometryOf(attn::AttentionOp op) {
  FailureOr<SoftmaxKernel> kernel = readSoftmaxKernelOf(op, attn::Target::cuda);
  if (failed(kernel))
    return failure();
  attn::KernelFuncOp kernelOp = kernel->op;
  // The kernel verifier guarantees its plan is the op's CUDA plan.
  auto plan = cast<attn::CudaPlanAttr>(kernelOp.getPlan());
  Geometry g;
  g.kernel = *kernel;
  g.tensorCores = plan.getPath() == attn::CudaPath::tensor_core;
  g.d = op.getHeadDim();
  g.dv = op.getValueDim();
  g.dp = kernel->headDim;
  g.dvp = kernel->valueDim;
  g.bq = kernel->blockQ;
  g.bk = kernel->blockK;
  g.warps = plan.getWarps();
  g.mt = g.tensorCores ? g.bq / (16 * g.warps) : 0;
  g.stages = kernel->stages;
  g.threads = plan.getThreads();
  g.qInRegisters = plan.getQInRegisters();
  g.shared = plan.getSharedBytes();
  g.mainShared = plan.getMainSharedBytes();
  // The device code is configured by the op's normalizer, hybrid and
  // selection as well; the kernel must say the same (both come from one
  // conversion, so a difference is hand-edited IR).
  const bool softmax = op.getNormalize() == attn::Normalize::softmax;
  if (kernel->onlineSoftmax != softmax || kernel->storesLse != softmax ||
      kernel->hybrid != op.getHybridFeature().has_value() ||
      (kernel->walk == attn::TileWalk::selected) != op.getSelect().has_value())
    return kernelOp.emitError()
           << "the kernel's normalizer, hybrid fold or tile walk does not "
              "match '"
           << op.getSymName() << "'";
  if (g.tensorCores && (g.dp != attn::tensorCorePaddedDim(g.d) ||
                        g.dvp != attn::tensorCorePaddedDim(g.dv)))
    return kernelOp.emitError()
           << "the tensor-core kernel expects head tiles padded to whole k16 "
              "fragments";
  return g;
}

} // namespace

LogicalResult readCudaPlan(Operation *op, attn::CudaPlanAttr &plan) {
  FailureOr<attn::KernelFuncOp> kernel = findKernel(op, attn::Target::cuda);
  if (failed(kernel))
    return failure();
  plan = cast<attn::CudaPlanAttr>(kernel->getPlan());
  return success();
}

std::string cudaBlockMaskKernelName(Operation *op) {
  // A box kernel walks its grid's classes: a mask of flat tiles does not
  // fit it (docs/language.md §3c).
  if (auto softmax = dyn_cast<attn::AttentionOp>(op);
      softmax && !cudaGridBox(softmax).empty())
    return "";
  return "attnc_" + kernelBaseName(op) + "_block_mask";
}

std::string cudaBlockMaskCsrKernelName(Operation *op) {
  return "attnc_" + kernelBaseName(op) + "_block_mask_csr";
}

std::string cudaMergeKernelName(Operation *op) {
  return "attnc_" + kernelBaseName(op) + "_merge";
}

std::string cudaSplitMergeKernelName(Operation *op) {
  return "attnc_" + kernelBaseName(op) + "_split_merge";
}

std::string cudaHybridStatesKernelName(Operation *op) {
  return "attnc_" + kernelBaseName(op) + "_hybrid_states";
}

std::string cudaHybridScanKernelName(Operation *op) {
  return "attnc_" + kernelBaseName(op) + "_hybrid_scan";
}

std::string cudaSelectKMeanKernelName(Operation *op) {
  return "attnc_" + kernelBaseName(op) + "_select_kmean";
}

std::string cudaSelectKernelName(Operation *op) {
  return "attnc_" + kernelBaseName(op) + "_select";
}

void emitCudaHostLauncher(raw_ostream &os, StringRef launcherName,
                          int64_t sharedBytes, StringRef gridX,
                          StringRef threads, StringRef gridXMeaning) {
  os << "\n#ifndef __CUDACC_RTC__\n"
     << "// Host launcher: grid (" << gridXMeaning << ", heads, batch).\n"
     << "extern \"C\" cudaError_t " << launcherName
     << "(const AttncKernelArgs *args, cudaStream_t stream) {\n"
     << "  if (!args || args->batch <= 0 || args->q_len <= 0 || args->kv_len "
        "<= 0)\n    return cudaErrorInvalidValue;\n"
     << "  const int smem = " << sharedBytes << ";\n"
     << "  if (smem > 48 * 1024) {\n"
     << "    cudaError_t err = cudaFuncSetAttribute(ATTNC_KERNEL, "
        "cudaFuncAttributeMaxDynamicSharedMemorySize, smem);\n"
     << "    if (err != cudaSuccess) return err;\n  }\n"
     << "  dim3 grid(" << gridX << ", (unsigned)H, (unsigned)args->batch);\n"
     << "  ATTNC_KERNEL<<<grid, " << threads << ", smem, stream>>>(*args);\n"
     << "  return cudaGetLastError();\n}\n#endif\n";
}

FailureOr<CudaLaunchInfo> cudaLaunchInfo(Operation *op) {
  if (!isa<attn::AttentionOp, attn::LinearAttentionOp>(op))
    return op->emitError() << "the CUDA backend compiles attn.attention and "
                              "attn.linear_attention only";
  attn::CudaPlanAttr plan;
  if (failed(readCudaPlan(op, plan)))
    return failure();
  CudaLaunchInfo info;
  info.kernelName = "attnc_" + kernelBaseName(op) + "_fwd";
  info.launcherName = "attnc_" + kernelBaseName(op) + "_launch";
  info.blockThreads = plan.getThreads();
  info.sharedBytes = plan.getSharedBytes();
  if (plan.getGrid() == attn::CudaGrid::value_tiles) {
    info.grid = CudaGrid::ValueTiles;
    info.valueTiles = plan.getValueTiles();
  }
  return info;
}

LogicalResult emitCuda(Operation *op, raw_ostream &os) {
  if (auto linear = dyn_cast<attn::LinearAttentionOp>(op))
    return emitLinearCuda(linear, os);
  FailureOr<CudaLaunchInfo> info = cudaLaunchInfo(op);
  if (failed(info))
    return failure();
  auto attention = cast<attn::AttentionOp>(op);
  Geometry g = *geometryOf(attention);
  const char *dtype = dtypeShortName(attention.getDtype());
  const attn::Normalize normalize = attention.getNormalize();

  os << "// Generated by attnc from '" << attention.getSymName()
     << "' (spec: " << attn::statementLoc(op) << ").\n"
     << "// CUDA backend, " << (g.tensorCores ? "tensor cores (mma.sync "
                                                "m16n8k16), sm_80+"
                                              : "SIMT f32")
     << ". Do not edit: regenerate with `attnc compile`.\n"
     << "// Schedule: block_q " << g.bq << ", block_k " << g.bk << ", warps "
     << g.warps << ", stages " << g.stages << ".\n";
  if (g.tensorCores)
    os << "#include <cuda_fp16.h>\n#include <cuda_bf16.h>\n";
  os << "#ifndef __CUDACC_RTC__\n#include <cuda_runtime.h>\n#endif\n\n";
  emitPrelude(os, Target::Cuda, dtype);
  emitBlockPlan(os, clausesFromAttr(attention.getBlockMapAttr()), g.bq, g.bk);
  emitParamReaders(os, attention.getParams(), attention.getHeads(),
                   attention.getHeadDim());
  if (failed(emitMaskAndScore(attention, os)))
    return failure();

  os << "\n// ---- schedule constants ----\n"
     << "#define ATTNC_KERNEL " << info->kernelName << "\n"
     << "#define H " << attention.getHeads() << "LL\n"
     << "#define G " << attention.getKvHeads() << "LL\n"
     << "#define D " << g.d << "\n#define DP " << g.dp << "\n"
     << "#define DV " << g.dv << "\n#define DVP " << g.dvp << "\n"
     << "#define BQ " << g.bq << "\n#define BK " << g.bk << "\n"
     << "#define WARPS " << g.warps << "\n#define MT " << g.mt << "\n"
     << "#define STAGES " << g.stages << "\n"
     << "#define NTHREADS " << g.threads << "\n"
     << "// 0 softmax, 1 sum, 2 none\n#define ATTNC_NORMALIZE "
     << (normalize == attn::Normalize::softmax ? 0
         : normalize == attn::Normalize::sum   ? 1
                                               : 2)
     << "\n#define ATTNC_MASKED "
     << (normalize == attn::Normalize::softmax ? "(-attnc_inf())" : "0.0f")
     << "\n#define ATTNC_IDENTITY_SCORE " << isIdentityScore(attention)
     << "\n"
     << "#define ATTNC_Q_IN_REGISTERS " << (g.qInRegisters ? 1 : 0) << "\n"
     << "#define kScale "
     << floatLiteral(attention.getScale().convertToDouble()) << "\n";
  const bool hybrid = g.kernel.hybrid; // an attn.hybrid_fold in the kernel
  os << "#define ATTNC_HYBRID " << (hybrid ? 1 : 0) << "\n";
  // The plan's `ragged`: blocks read their sequence from cu_seqlens or a
  // paged cache's kv_lens, keys through its block table (sequence.h).
  os << "#define ATTNC_RAGGED " << (g.kernel.ragged ? 1 : 0) << "\n"
     << kDeviceSequence;
  // The plan's kv_splits: blocks take a split of the k-tiles (tile_walk.cuh)
  // and write partial results (split-KV decode, docs/runtime.md §3g).
  os << "#define ATTNC_SPLIT_KV " << (g.kernel.kvSplits ? 1 : 0) << "\n";
  if (hybrid) {
    os << "#define ATTNC_MAIN_SMEM " << g.mainShared << "\n"
       << "#define ATTNC_HY_STATES_KERNEL " << cudaHybridStatesKernelName(op)
       << "\n#define ATTNC_HY_SCAN_KERNEL " << cudaHybridScanKernelName(op)
       << "\n#define ATTNC_HY_THREADS " << kCudaPrologueThreads << "\n";
    if (failed(emitHybridCommon(attention, os)))
      return failure();
    os << kCudaHybridPrologue;
  }
  // A token grid in boxes (the plan's `box`): tables and walk before the
  // tile walk, which takes its plan type from them.
  if (!cudaGridBox(attention).empty())
    emitGridTiles(attention, cudaGridBox(attention), Target::Cuda, os);
  if (g.tensorCores) {
    bool bf16 = attention.getDtype() == attn::Dtype::bf16;
    os << "#define ATTNC_MMA_TYPE \"" << (bf16 ? "bf16" : "f16") << "\"\n"
       << "#define ATTNC_PAIR_T " << (bf16 ? "__nv_bfloat162" : "__half2")
       << "\n#define ATTNC_PACK2 "
       << (bf16 ? "__floats2bfloat162_rn" : "__floats2half2_rn") << "\n";
    os << kCudaRowScale << kCudaTileWalk << (hybrid ? kCudaHybridRows : "")
       << kCudaPtxHelpers << kCudaTensorCoreKernel;
  } else {
    os << kCudaRowScale << kCudaTileWalk << (hybrid ? kCudaHybridRows : "")
       << kCudaSimtKernel;
  }

  // The device block-mask builder (runtime block masks, docs/runtime.md
  // §3a): the runtime launches it by name, grid (rows), ATTNC_BM_THREADS.
  if (!cudaBlockMaskKernelName(op).empty())
    os << "\n// ---- block-mask builder ----\n"
       << "#define ATTNC_BM_KERNEL " << cudaBlockMaskKernelName(op) << "\n"
       << "#define ATTNC_BM_CSR_KERNEL " << cudaBlockMaskCsrKernelName(op)
       << "\n#define ATTNC_BM_THREADS " << kCudaPrologueThreads << "\n"
       << kCudaBlockMaskBuilder;
  // attnc_merge_states_cuda's kernel (docs/runtime.md §3d): launched by
  // name, grid (rows / 8), ATTNC_MERGE_THREADS.
  // With the plan's kv_splits also split-KV's merge (§3g), launched by
  // name after the attention kernel.
  os << "\n// ---- merging (o, lse) pairs ----\n"
     << "#define ATTNC_MERGE_KERNEL " << cudaMergeKernelName(op) << "\n";
  if (g.kernel.kvSplits)
    os << "#define ATTNC_SPLIT_MERGE_KERNEL " << cudaSplitMergeKernelName(op)
       << "\n";
  os << kCudaMergeStates;
  // Content-based selection: the estimator and the selecting builder.
  if (auto rule = attention.getSelect()) { // walk <selected> (checked above)
    os << "\n// ---- content-based block selection (docs/language.md §8a) "
          "----\n"
       << "#define ATTNC_SEL_KMEAN_KERNEL " << cudaSelectKMeanKernelName(op)
       << "\n#define ATTNC_SEL_KERNEL " << cudaSelectKernelName(op) << "\n"
       << "#define ATTNC_SELECT_TOPK "
       << (*rule == attn::SelectRule::topk ? 1 : 0) << "\n"
       << "#define ATTNC_HAS_KEEP " << (attention.getKeep().empty() ? 0 : 1)
       << "\n#define kSelectValue "
       << llvm::format("%.17g", attention.getSelectValue()->convertToDouble())
       << "\n#define kScaleD "
       << llvm::format("%.17g", attention.getScale().convertToDouble())
       << "\n"
       << kCudaSelectKernels;
  }

  // The backward, when the pipeline built its kernel (--backward).
  if (attn::KernelFuncOp backward = findCudaBackwardKernel(op))
    if (failed(emitSoftmaxBackwardCuda(attention, backward, os)))
      return failure();

  emitCudaHostLauncher(os, info->launcherName, g.shared,
                       "(unsigned)((args->q_len + BQ - 1) / BQ)", "NTHREADS",
                       "q-blocks");
  return success();
}

LogicalResult emitCudaHeader(Operation *op, raw_ostream &os) {
  // One header emitter for both families: the launcher's signature is the
  // kernel ABI's, and the grid comment comes from the plan.
  attn::CudaPlanAttr plan;
  FailureOr<CudaLaunchInfo> info = cudaLaunchInfo(op);
  if (failed(info) || failed(readCudaPlan(op, plan)))
    return failure();
  std::string guard = "ATTNC_" + kernelBaseName(op) + "_H";
  for (char &c : guard)
    c = static_cast<char>(toupper(c));
  os << "/* Generated by attnc: host launcher of '"
     << SymbolTable::getSymbolName(op).getValue()
     << "'. Link the object nvcc builds from the .cu. */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n"
     << "#include <cuda_runtime.h>\n\n";
  emitKernelAbi(os);
  os << "\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n/* Grid (";
  if (plan.getGrid() == attn::CudaGrid::value_tiles)
    os << plan.getValueTiles();
  else if (!plan.getBox().empty())
    os << "the grid's boxes, manifest cuda.q_tiles";
  else
    os << "ceil(Nq / " << plan.getBlockQ() << ")";
  os << ", heads, batch), " << info->blockThreads << " threads, "
     << info->sharedBytes << " bytes of dynamic shared memory. */\n"
     << "cudaError_t " << info->launcherName
     << "(const AttncKernelArgs *args, cudaStream_t stream);\n"
     << "#ifdef __cplusplus\n}\n#endif\n#endif\n";
  return success();
}

} // namespace attnc
