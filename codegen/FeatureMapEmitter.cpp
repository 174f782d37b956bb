//===- FeatureMapEmitter.cpp - Feature maps phi as C functions ------------===//

#include "codegen/FeatureMapEmitter.h"

#include "codegen/ExprEmitter.h"
#include "codegen/KernelPrelude.h"

using namespace mlir;

namespace attnc {

LogicalResult emitFeatureMapFunction(raw_ostream &os, StringRef name,
                                     attn::Feature kind, Block &exprBlock,
                                     int weightParam) {
  if (kind == attn::Feature::expression) {
    const std::vector<std::string> args = {"b", "h", "n", "d",
                                           "Nq", "Nk", "x"};
    os << "// ---- feature expression, applied channel by channel ----\n"
       << "ATTNC_HD float " << name
       << "_x(const AttncKernelArgs &args, long long b, long long h,\n"
          "    long long n, long long d, long long Nq, long long Nk, float x) "
          "{\n"
       << "  (void)args; (void)b; (void)h; (void)n; (void)d; (void)Nq; "
          "(void)Nk; (void)x;\n";
    FailureOr<std::string> value = emitRegionAsC(
        exprBlock, args,
        [](StringRef param, const std::vector<std::string> &indices) {
          return paramReadExpr(param, indices);
        },
        "f", "  ", os);
    if (failed(value))
      return failure();
    os << "  return " << *value << ";\n}\n";
  }
  // On the GPU phi is a call, not inlined: it runs once per row, and
  // inlined into the attention kernel (hedgehog's D x D product) it pushed
  // ptxas past 255 registers into spills.
  os << "// ---- feature map: " << attn::stringifyFeature(kind) << " ----\n"
     << "#ifndef ATTNC_PHI_FN\n#ifdef __CUDACC__\n"
        "#define ATTNC_PHI_FN __device__ __noinline__\n#else\n"
        "#define ATTNC_PHI_FN static inline\n#endif\n#endif\n"
     << "ATTNC_PHI_FN void " << name
     << "(const AttncKernelArgs &args, long long b, long long h, long long "
        "n,\n    const float *x, float *phi) {\n"
     << "  (void)args; (void)b; (void)h; (void)n;\n";
  switch (kind) {
  case attn::Feature::expression:
    os << "  for (int c = 0; c < D; ++c)\n"
       << "    phi[c] = " << name
       << "_x(args, b, h, n, c, args.q_len, args.kv_len, x[c]);\n";
    break;
  case attn::Feature::identity:
    os << "  for (int c = 0; c < D; ++c) phi[c] = x[c];\n";
    break;
  case attn::Feature::relu:
    os << "  for (int c = 0; c < D; ++c) phi[c] = x[c] < 0.0f ? 0.0f : "
          "x[c];\n";
    break;
  case attn::Feature::elu1:
    os << "  for (int c = 0; c < D; ++c) phi[c] = x[c] > 0.0f ? x[c] + 1.0f : "
          "expf(x[c]);\n";
    break;
  case attn::Feature::exp:
    os << "  for (int c = 0; c < D; ++c) phi[c] = expf(x[c]);\n";
    break;
  case attn::Feature::l2norm:
    os << "  double norm = 0.0;\n"
          "  for (int c = 0; c < D; ++c) norm += (double)x[c] * x[c];\n"
          "  norm = sqrt(norm);\n"
          "  for (int c = 0; c < D; ++c) phi[c] = norm == 0.0 ? 0.0f : "
          "(float)(x[c] / norm);\n";
    break;
  case attn::Feature::taylor2:
    os << "  // [1, x, (x outer x) / sqrt(2)]: phi(x) . phi(y) = 1 + x.y + "
          "(x.y)^2 / 2.\n"
          "  phi[0] = 1.0f;\n"
          "  for (int c = 0; c < D; ++c) phi[1 + c] = x[c];\n"
          "  for (int i = 0; i < D; ++i)\n"
          "    for (int j = 0; j < D; ++j)\n"
          "      phi[1 + D + i * D + j] = x[i] * x[j] * 0.707106781f;\n";
    break;
  case attn::Feature::hedgehog:
    os << "  // [softmax(x W[h]), softmax(-x W[h])], W row-major D x D.\n"
       << "  const float *W = (const float *)args.params[" << weightParam
       << "] + h * D * D;\n"
       << R"(  float y[D];
  for (int f = 0; f < D; ++f) y[f] = 0.0f;
  for (int d = 0; d < D; ++d)
    for (int f = 0; f < D; ++f) y[f] += x[d] * W[d * D + f];
  for (int sign = 0; sign < 2; ++sign) {
    const float s = sign ? -1.0f : 1.0f;
    float m = -attnc_inf(), sum = 0.0f;
    for (int f = 0; f < D; ++f) m = s * y[f] > m ? s * y[f] : m;
    for (int f = 0; f < D; ++f) {
      phi[sign * D + f] = expf(s * y[f] - m);
      sum += phi[sign * D + f];
    }
    for (int f = 0; f < D; ++f) phi[sign * D + f] /= sum;
  }
)";
    break;
  }
  os << "}\n";
  return success();
}

} // namespace attnc
