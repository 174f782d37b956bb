//===- LinearCudaEmitter.cpp - The chunked linear schedule as CUDA --------===//
//
// This file implements the CUDA backend for the linear family. The spec-
// dependent parts (feature map, decay, parameter readers, sizes and the
// shared-memory layout) are generated; the kernel is the fixed text in
// LinearCudaKernelText.h, configured by macros. The algorithm per chunk is
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
#include "codegen/LinearCudaKernelText.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <optional>

using namespace mlir;

namespace attnc {
namespace {

/// Largest dynamic shared memory per block on sm_80 (A100), as for the
/// softmax family: one package serves sm_80 and sm_90.
constexpr int64_t kMaxSharedBytes = 163 * 1024;
constexpr int64_t kThreads = 256;
/// Widest value tile; narrower ones (down to kMinTile) when shared memory
/// is short.
constexpr int64_t kMaxTile = 64, kMinTile = 16;

enum class DecayKind { None, Scalar, Vector };

/// No gate (the region yields the constant 1), one per token, or one per
/// state row (the region reads d). The same classification as the CPU
/// backend's.
DecayKind decayKindOf(attn::LinearAttentionOp op) {
  if (op.hasVectorDecay())
    return DecayKind::Vector;
  Block &block = op.getDecay().front();
  Value yielded = cast<attn::YieldOp>(block.getTerminator()).getValue();
  if (auto c = yielded.getDefiningOp<arith::ConstantOp>())
    if (auto f = dyn_cast<FloatAttr>(c.getValue()))
      if (f.getValueAsDouble() == 1.0)
        return DecayKind::None;
  return DecayKind::Scalar;
}

int64_t roundUp(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

/// The row stride of phi(Q) and phi(K) in shared memory: odd, so that the
/// 32 threads of a warp that read one channel of 32 different rows (the
/// intra-chunk products) hit 32 different banks.
int64_t featureStride(int64_t f) { return f | 1; }

/// Shared-memory buffers in layout order (doubles first for alignment).
enum Buffer { A, Stat, Sg, S, Z, Den, Qf, Kf, V, P, P2, W, U, Beta, X, kNum };
const char *const kBufferNames[kNum] = {"A",   "STAT", "SG", "S",    "Z",
                                        "DEN", "QF",   "KF", "V",    "P",
                                        "P2",  "W",    "U",  "BETA", "X"};

struct Geometry {
  DecayKind decay;
  bool delta, sum, bidirectional;
  int64_t d, dv, f, scheduleChunk, chunk, tile, tiles, shared;
  int64_t offset[kNum];
};

/// Byte sizes of the buffers for chunk `ch` and value tile `dvt`.
void layout(Geometry &g, attn::Feature feature) {
  const int64_t ch = g.chunk, dvt = g.tile, f = g.f;
  const int64_t gates = g.decay == DecayKind::None     ? 0
                        : g.decay == DecayKind::Scalar ? ch + 1
                                                       : (ch + 1) * f;
  const bool rowStats =
      feature == attn::Feature::l2norm || feature == attn::Feature::hedgehog;
  int64_t size[kNum] = {};
  size[A] = 8 * gates;
  size[Stat] = rowStats ? 16 * ch : 0; // a double, or 4 floats, per row
  size[Sg] = 4 * gates;
  size[S] = 4 * f * dvt;
  size[Z] = g.sum ? 4 * f : 0;
  size[Den] = g.sum ? 4 * ch : 0;
  size[Qf] = size[Kf] = 4 * ch * featureStride(f);
  size[V] = 4 * ch * dvt;
  size[P] = 4 * ch * ch;
  size[P2] = g.delta && g.decay == DecayKind::Vector ? 4 * ch * ch : 0;
  size[W] = g.delta ? 4 * ch * f : 0;
  size[U] = g.delta ? 4 * ch * dvt : 0;
  size[Beta] = g.delta ? 4 * ch : 0;
  size[X] = 4 * ch * g.d;
  int64_t at = 0;
  for (int i = 0; i < kNum; ++i) {
    g.offset[i] = at;
    at += roundUp(size[i], 16);
  }
  g.shared = at;
}

/// The geometry of `op`'s kernel, or why there is none (in `why`).
std::optional<Geometry> tryGeometry(attn::LinearAttentionOp op,
                                    std::string &why) {
  attn::ScheduleAttr schedule = op.getScheduleAttr();
  if (!schedule || schedule.getChunk() <= 0) {
    why = "the CUDA emitter needs a scheduled op with a chunk length (run the "
          "attnc pipeline)";
    return std::nullopt;
  }
  Geometry g;
  g.decay = decayKindOf(op);
  g.delta = op.getUpdate() == attn::Update::delta;
  g.sum = op.getNormalize() == attn::Normalize::sum;
  g.bidirectional = op.getBidirectional();
  g.d = op.getHeadDim();
  g.dv = op.getValueDim();
  g.f = op.getFeatureDim();
  g.scheduleChunk = g.chunk = schedule.getChunk();
  // A causal normalize-sum kernel hands out z, which every value tile
  // computes: one tile then covers every column so that z_out has a single
  // writer (and z_out may alias z_in).
  const bool singleTile = g.sum && !g.bidirectional;
  g.tile = singleTile ? g.dv : std::min(g.dv, kMaxTile);
  layout(g, op.getFeature());
  // Narrower value tiles first (more blocks, same algorithm), then shorter
  // chunks (the schedule's chunk changes results only by reassociation).
  while (g.shared > kMaxSharedBytes && !singleTile && g.tile > kMinTile) {
    g.tile = std::max(kMinTile, g.tile / 2);
    layout(g, op.getFeature());
  }
  while (g.shared > kMaxSharedBytes && g.chunk > 16) {
    g.chunk /= 2;
    layout(g, op.getFeature());
  }
  if (g.shared > kMaxSharedBytes) {
    why = "the CUDA backend needs " + std::to_string(g.shared) +
          " bytes of shared memory per block for feature dimension " +
          std::to_string(g.f) + " and value tile " + std::to_string(g.tile) +
          ", more than the " + std::to_string(kMaxSharedBytes) +
          " sm_80 allows; use a smaller feature map or value_dim";
    return std::nullopt;
  }
  g.tiles = (g.dv + g.tile - 1) / g.tile;
  return g;
}

FailureOr<Geometry> geometryOf(attn::LinearAttentionOp op) {
  std::string why;
  std::optional<Geometry> g = tryGeometry(op, why);
  if (!g)
    return op.emitError() << why;
  return *g;
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

const char *decayName(DecayKind decay) {
  return decay == DecayKind::None     ? "none"
         : decay == DecayKind::Scalar ? "scalar"
                                      : "per channel";
}

} // namespace

std::string linearCudaUnsupported(attn::LinearAttentionOp op) {
  std::string why;
  return tryGeometry(op, why) ? std::string() : why;
}

FailureOr<CudaLaunchInfo> linearCudaLaunchInfo(attn::LinearAttentionOp op) {
  FailureOr<Geometry> g = geometryOf(op);
  if (failed(g))
    return failure();
  CudaLaunchInfo info;
  info.kernelName = "attnc_" + kernelBaseName(op) + "_fwd";
  info.launcherName = "attnc_" + kernelBaseName(op) + "_launch";
  info.blockThreads = kThreads;
  info.sharedBytes = g->shared;
  info.grid = CudaGrid::ValueTiles;
  info.valueTiles = g->tiles;
  return info;
}

LogicalResult emitLinearCuda(attn::LinearAttentionOp op, raw_ostream &os) {
  FailureOr<CudaLaunchInfo> info = linearCudaLaunchInfo(op);
  if (failed(info))
    return failure();
  const Geometry g = *geometryOf(op);
  const attn::Dtype dtype = op.getDtype();

  os << "// Generated by attnc from '" << op.getSymName()
     << "' (spec: " << op->getLoc() << ").\n"
     << "// CUDA backend of the chunked linear schedule, SIMT f32. Do not "
        "edit: regenerate with `attnc compile`.\n"
     << "// feature " << attn::stringifyFeature(op.getFeature()) << ", decay "
     << decayName(g.decay) << ", update "
     << attn::stringifyUpdate(op.getUpdate()) << ", normalize "
     << attn::stringifyNormalize(op.getNormalize())
     << (g.bidirectional ? ", bidirectional" : ", causal") << ".\n"
     << "// Grid (" << g.tiles << " value tiles of " << g.tile
     << ", heads, batch), " << kThreads << " threads, " << g.shared
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
     << "#define FS " << featureStride(g.f)
     << " // row stride of phi(Q), phi(K): odd, no bank conflicts\n"
     << "#define DVT " << g.tile << " // value columns per block\n"
     << "#define CH " << g.chunk << " // chunk length\n"
     << "#define NT " << kThreads << "\n"
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
  for (int i = 0; i < kNum; ++i)
    os << "#define OFF_" << kBufferNames[i] << " " << g.offset[i] << "\n";

  if (failed(emitLinearRegions(op, /*feature=*/true, g.decay != DecayKind::None, os)))
    return failure();
  emitFeatures(op, os);
  os << kLinearCudaHelpers << kLinearCudaKernel;

  emitCudaHostLauncher(os, info->launcherName, g.shared,
                       std::to_string(g.tiles) + "u", "NT", "value tiles");
  return success();
}

LogicalResult emitLinearCudaHeader(attn::LinearAttentionOp op,
                                   raw_ostream &os) {
  FailureOr<CudaLaunchInfo> info = linearCudaLaunchInfo(op);
  if (failed(info))
    return failure();
  std::string guard = "ATTNC_" + kernelBaseName(op) + "_H";
  for (char &c : guard)
    c = static_cast<char>(toupper(c));
  os << "/* Generated by attnc: host launcher of '" << op.getSymName()
     << "'. Link the object nvcc builds from the .cu. */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n"
     << "#include <cuda_runtime.h>\n\n";
  emitKernelAbi(os);
  os << "\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n"
     << "/* Grid (" << info->valueTiles << ", heads, batch), "
     << info->blockThreads << " threads, " << info->sharedBytes
     << " bytes of dynamic shared memory. */\n"
     << "cudaError_t " << info->launcherName
     << "(const AttncKernelArgs *args, cudaStream_t stream);\n"
     << "#ifdef __cplusplus\n}\n#endif\n#endif\n";
  return success();
}

} // namespace attnc
