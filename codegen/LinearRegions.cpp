//===- LinearRegions.cpp - Scalar functions of a linear op's regions ------===//

#include "codegen/LinearRegions.h"

#include "codegen/ExprEmitter.h"
#include "codegen/KernelPrelude.h"

using namespace mlir;

namespace attnc {

int paramIndexOf(ArrayAttr params, StringRef name) {
  for (auto [i, p] : llvm::enumerate(params.getAsRange<attn::ParamAttr>()))
    if (p.getName() == name)
      return static_cast<int>(i);
  return -1;
}

LogicalResult emitLinearRegions(attn::LinearAttentionOp op, bool feature,
                                bool decay, raw_ostream &os) {
  const std::vector<std::string> args = {"b", "h", "n", "d", "Nq", "Nk", "x"};
  auto readParam = [](StringRef name, const std::vector<std::string> &idx) {
    return paramReadExpr(name, idx);
  };
  if (feature && op.getFeature() == attn::Feature::expression) {
    os << "// ---- feature expression, applied channel by channel ----\n"
       << "ATTNC_HD float attnc_feature_x(const AttncKernelArgs &args, long "
          "long b, long long h,\n    long long n, long long d, long long Nq, "
          "long long Nk, float x) {\n"
       << "  (void)args; (void)b; (void)h; (void)n; (void)d; (void)Nq; "
          "(void)Nk; (void)x;\n";
    FailureOr<std::string> value = emitRegionAsC(
        op.getFeatureRegion().front(), args, readParam, "f", "  ", os);
    if (failed(value))
      return failure();
    os << "  return " << *value << ";\n}\n";
  }
  if (!decay)
    return success();
  os << "// ---- decay: the gate of step n (state row d) ----\n"
     << "ATTNC_HD float attnc_decay(const AttncKernelArgs &args, long long b, "
        "long long h,\n    long long n, long long d, long long Nq, long long "
        "Nk) {\n"
     << "  (void)args; (void)b; (void)h; (void)n; (void)d; (void)Nq; "
        "(void)Nk;\n";
  FailureOr<std::string> value =
      emitRegionAsC(op.getDecay().front(), ArrayRef(args).take_front(6),
                    readParam, "g", "  ", os);
  if (failed(value))
    return failure();
  os << "  return " << *value << ";\n}\n";
  return success();
}

} // namespace attnc
