//===- LinearCudaEmitter.cpp - The chunked linear schedule as CUDA --------===//
//
// This file implements the CUDA backend for the linear family. The spec-
// dependent parts (feature map, decay, parameter readers, sizes and the
// shared-memory layout) are generated; the kernel is the fixed text in
// codegen/device/linear_*.cuh, configured by macros. The algorithm per chunk is
// the CPU backend's (LinearCpuEmitter.cpp), with the same cumulative
// log-gates in double and mostly the same order of float sums per output
// element. It departs from it in three places, all reassociation: a
// per-channel gate's intra-chunk weights take one exp per (row, key,
// channel) instead of GLA's 16-row sub-chunks, the chunk may be halved to
// fit shared memory, and one decode token (Nq = Nk = 1) runs the
// recurrence directly with the gates as values.
//
// A block owns DVT value columns of one (b, h): the state's columns are
// independent under every update rule, so value tiles need no
// communication. Everything that does not depend on the value columns
// (features, gates, the delta rule's W) is recomputed by each tile.
//
//===----------------------------------------------------------------------===//

#include "codegen/LinearCudaEmitter.h"

#include "codegen/LinearRegions.h"

#include "codegen/EmitterSupport.h"
#include "codegen/ExprEmitter.h"
#include "codegen/KernelPrelude.h"
#include "codegen/KernelReader.h"
#include "codegen/DeviceSources.h"
#include "dialect/CudaBudget.h"


using namespace mlir;

namespace attnc {
namespace {

/// What the kernel text needs, read from the op's CUDA attn.kernel (chunk,
/// value tile, gates, delta rule, state, forms) and its plan (threads,
/// value tiles, shared memory), with the buffer layout dialect/CudaBudget.h
/// gives for that chunk and tile.
struct Geometry {
  attn::DecayClass decay;
  bool delta, sum, bidirectional;
  int64_t d, dv, f, scheduleChunk, chunk, tile, tiles, threads, shared;
  attn::LinearCudaLayout layout;
};

FailureOr<Geometry> geometryOf(attn::LinearAttentionOp op) {
  FailureOr<LinearKernel> kernel = readLinearKernelOf(op, attn::Target::cuda);
  if (failed(kernel))
    return failure();
  attn::KernelFuncOp kernelOp = kernel->op;
  auto plan = cast<attn::CudaPlanAttr>(kernelOp.getPlan());
  Geometry g;
  g.decay = kernel->decay;
  g.delta = kernel->delta;
  g.sum = kernel->normalizeSum;
  g.bidirectional = kernel->bidirectional;
  g.d = op.getHeadDim();
  g.dv = op.getValueDim();
  g.f = kernel->featureDim;
  g.scheduleChunk = op.getChunkPlanAttr().getChunk();
  g.chunk = kernel->chunk;
  g.tile = kernel->valueTile;
  g.tiles = plan.getValueTiles();
  g.threads = plan.getThreads();
  g.shared = plan.getSharedBytes();
  // The one CUDA kernel walks the chunks in order and steps one decode
  // token for causal ops; the regions it inlines are the op's.
  if (!kernel->sequential || kernel->chunkParallel ||
      kernel->recurrentStep == g.bidirectional)
    return kernelOp.emitError()
           << "the CUDA linear printer translates a sequential form plus, "
              "for a causal op, a recurrent_step form";
  if (g.decay != op.getDecayClass() ||
      g.delta != (op.getUpdate() == attn::Update::delta) ||
      g.sum != (op.getNormalize() == attn::Normalize::sum) ||
      g.bidirectional != op.getBidirectional() || g.f != op.getFeatureDim())
    return kernelOp.emitError() << "the kernel's gates, update rule, state "
                                    "or direction do not match '"
                                 << op.getSymName() << "'";
  g.layout = attn::linearCudaLayout(op, g.chunk, g.tile);
  if (g.layout.bytes != g.shared)
    return kernelOp.emitError() << "the kernel's buffers need "
                                 << g.layout.bytes
                                 << " bytes of shared memory, its plan has "
                                 << g.shared;
  return g;
}

/// The loop computing Phi[r][f] = `expr` of `x` = X[r][f] channel by
/// channel, 0 outside the rows [lo, hi).
void emitElementwise(StringRef expr, raw_ostream &os) {
  os << "  for (int i = threadIdx.x; i < CH * F; i += NT) {\n"
     << "    const int r = i / F, f = i % F;\n"
     << "    float y = 0.0f;\n"
     << "    if (r >= lo && r < hi) {\n"
     << "      const float x = X[r * D + f];\n"
     << "      y = " << expr << ";\n"
     << "    }\n"
     << "    Phi[r * FS + f] = y;\n  }\n";
}

/// `attnc_features`: the feature map over one chunk of rows, cooperatively.
void emitFeatures(attn::LinearAttentionOp op, raw_ostream &os) {
  os << "\n// ---- feature map: " << attn::stringifyFeature(op.getFeature())
     << " ----\n"
     << "// Phi[r][0..F) = phi(X[r]) for rows r in [lo, hi) at positions n0 + "
        "r, else 0.\n"
     << "// Called by every thread of the block; ends with a barrier.\n"
     << "__device__ __forceinline__ void attnc_features(\n"
     << "    const AttncKernelArgs &args, long long b, long long h, long long "
        "n0, const float *X,\n"
     << "    float *Phi, void *stat, int lo, int hi) {\n"
     << "  (void)args; (void)b; (void)h; (void)n0; (void)stat;\n";
  switch (op.getFeature()) {
  case attn::Feature::expression:
    emitElementwise("attnc_feature_x(args, b, h, n0 + r, f, args.q_len, "
                    "args.kv_len, x)",
                    os);
    break;
  case attn::Feature::identity:
    emitElementwise("x", os);
    break;
  case attn::Feature::relu:
    emitElementwise("x < 0.0f ? 0.0f : x", os);
    break;
  case attn::Feature::elu1:
    emitElementwise("x > 0.0f ? x + 1.0f : expf(x)", os);
    break;
  case attn::Feature::exp:
    emitElementwise("expf(x)", os);
    break;
  case attn::Feature::l2norm:
    os << R"(  // The row norms in double, one thread per row.
  double *norm = (double *)stat;
  for (int r = threadIdx.x; r < CH; r += NT) {
    double s = 0.0;
    for (int c = 0; c < D; ++c) s += (double)X[r * D + c] * X[r * D + c];
    norm[r] = sqrt(s);
  }
  __syncthreads();
)";
    emitElementwise("norm[r] == 0.0 ? 0.0f : (float)(x / norm[r])", os);
    break;
  case attn::Feature::taylor2:
    os << R"(  // [1, x, (x outer x) / sqrt(2)]: phi(x) . phi(y) = 1 + x.y + (x.y)^2 / 2.
  for (int i = threadIdx.x; i < CH * F; i += NT) {
    const int r = i / F, f = i % F;
    const float *x = X + r * D;
    float y = 0.0f;
    if (r >= lo && r < hi) {
      if (f == 0) y = 1.0f;
      else if (f <= D) y = x[f - 1];
      else y = x[(f - 1 - D) / D] * x[(f - 1 - D) % D] * 0.707106781f;
    }
    Phi[r * FS + f] = y;
  }
)";
    break;
  case attn::Feature::hedgehog:
    os << "  // [softmax(x W[h]), softmax(-x W[h])], W row-major D x D: y = x "
          "W[h] into\n"
          "  // Phi[r][0..D), then per (row, sign) the max and the sum, then "
          "both halves.\n"
       << "  const float *Wh = (const float *)args.params["
       << paramIndexOf(op.getParams(), *op.getFeatureParam()) << "] + h * D * D;\n"
       << R"(  float *st = (float *)stat; // [CH][4]: max and sum of +y, of -y
  for (int i = threadIdx.x; i < CH * D; i += NT) {
    const int r = i / D, f = i % D;
    float y = 0.0f;
    for (int d = 0; d < D; ++d) y += X[r * D + d] * Wh[d * D + f];
    Phi[r * FS + f] = y;
  }
  __syncthreads();
  for (int i = threadIdx.x; i < CH * 2; i += NT) {
    const int r = i / 2, sign = i % 2;
    const float s = sign ? -1.0f : 1.0f;
    float m = -attnc_inf(), sum = 0.0f;
    for (int f = 0; f < D; ++f) m = s * Phi[r * FS + f] > m ? s * Phi[r * FS + f] : m;
    for (int f = 0; f < D; ++f) sum += expf(s * Phi[r * FS + f] - m);
    st[r * 4 + sign * 2] = m;
    st[r * 4 + sign * 2 + 1] = sum;
  }
  __syncthreads();
  for (int i = threadIdx.x; i < CH * D; i += NT) {
    const int r = i / D, f = i % D;
    const bool valid = r >= lo && r < hi;
    const float y = Phi[r * FS + f];
    Phi[r * FS + D + f] = valid ? expf(-1.0f * y - st[r * 4 + 2]) / st[r * 4 + 3] : 0.0f;
    Phi[r * FS + f] = valid ? expf(y - st[r * 4]) / st[r * 4 + 1] : 0.0f;
  }
)";
    break;
  }
  os << "  __syncthreads();\n}\n";
}

const char *decayName(attn::DecayClass decay) {
  return decay == attn::DecayClass::none     ? "none"
         : decay == attn::DecayClass::scalar ? "scalar"
                                             : "per channel";
}

} // namespace

LogicalResult emitLinearCuda(attn::LinearAttentionOp op, raw_ostream &os) {
  FailureOr<CudaLaunchInfo> info = cudaLaunchInfo(op);
  if (failed(info))
    return failure();
  const Geometry g = *geometryOf(op);
  const attn::Dtype dtype = op.getDtype();

  os << "// Generated by attnc from '" << op.getSymName()
     << "' (spec: " << attn::statementLoc(op) << ").\n"
     << "// CUDA backend of the chunked linear schedule, SIMT f32. Do not "
        "edit: regenerate with `attnc compile`.\n"
     << "// feature " << attn::stringifyFeature(op.getFeature()) << ", decay "
     << decayName(g.decay) << ", update "
     << attn::stringifyUpdate(op.getUpdate()) << ", normalize "
     << attn::stringifyNormalize(op.getNormalize())
     << (g.bidirectional ? ", bidirectional" : ", causal") << ".\n"
     << "// Grid (" << g.tiles << " value tiles of " << g.tile
     << ", heads, batch), " << g.threads << " threads, " << g.shared
     << " bytes of shared memory; chunk " << g.chunk;
  if (g.chunk != g.scheduleChunk)
    os << " (the schedule's " << g.scheduleChunk
       << ", halved to fit shared memory)";
  os << ".\n";
  if (dtype == attn::Dtype::f16)
    os << "#include <cuda_fp16.h>\n";
  if (dtype == attn::Dtype::bf16)
    os << "#include <cuda_bf16.h>\n";
  os << "#ifndef __CUDACC_RTC__\n#include <cuda_runtime.h>\n#endif\n\n";
  emitPrelude(os, Target::Cuda, dtypeShortName(dtype));
  emitParamReaders(os, op.getParams(), op.getHeads(), op.getHeadDim());

  os << "\n// ---- schedule constants ----\n"
     << "#define ATTNC_KERNEL " << info->kernelName << "\n"
     << "#define H " << op.getHeads() << "LL\n"
     << "#define G " << op.getKvHeads() << "LL\n"
     << "#define D " << g.d << "\n#define DV " << g.dv << "\n"
     << "#define F " << g.f << " // feature channels\n"
     << "#define FS " << attn::linearFeatureStride(g.f)
     << " // row stride of phi(Q), phi(K): odd, no bank conflicts\n"
     << "#define DVT " << g.tile << " // value columns per block\n"
     << "#define CH " << g.chunk << " // chunk length\n"
     << "#define NT " << g.threads << "\n"
     << "// 0 no gate, 1 scalar gate, 2 per-channel gate\n"
     << "#define ATTNC_DECAY " << static_cast<int>(g.decay) << "\n"
     << "#define ATTNC_DELTA " << g.delta << "\n"
     << "#define ATTNC_SUM " << g.sum << "\n"
     << "#define ATTNC_BIDIRECTIONAL " << g.bidirectional << "\n"
     << "#define kScale " << floatLiteral(op.getScale().convertToDouble())
     << "\n";
  if (g.delta)
    os << "#define ATTNC_BETA(n) "
       << paramReadExpr(*op.getBetaParam(), {"b", "h", "(n)"}) << "\n";
  os << "// Shared memory: byte offsets of the buffers (16-byte aligned).\n";
  for (int i = 0; i < attn::kLinearBufferCount; ++i)
    os << "#define OFF_"
       << attn::linearBufferName(static_cast<attn::LinearBuffer>(i)) << " "
       << g.layout.offset[i] << "\n";

  if (failed(emitLinearRegions(op, /*feature=*/true, g.decay != attn::DecayClass::none, os)))
    return failure();
  emitFeatures(op, os);
  os << kLinearCudaHelpers << kLinearCudaKernel;

  emitCudaHostLauncher(os, info->launcherName, g.shared,
                       std::to_string(g.tiles) + "u", "NT", "value tiles");
  return success();
}

} // namespace attnc
