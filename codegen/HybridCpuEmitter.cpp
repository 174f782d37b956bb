//===- HybridCpuEmitter.cpp - The linear branch of a hybrid on CPU --------===//

#include "codegen/HybridCpuEmitter.h"
#include "codegen/DeviceSources.h"

#include "codegen/ExprEmitter.h"
#include "codegen/FeatureMapEmitter.h"
#include "codegen/KernelPrelude.h"
#include "codegen/LinearRegions.h"
#include "lib/Analysis/MaskClauses.h"

using namespace mlir;

namespace attnc {
namespace {

std::string readParam(StringRef name, const std::vector<std::string> &idx) {
  return paramReadExpr(name, idx);
}

/// `attnc_complement(args, b, h, q, k, Nq, Nk)` and
/// `attnc_combine_weight(args, b, h, q, Nq, Nk)`.
LogicalResult emitRegions(attn::AttentionOp op, raw_ostream &os) {
  const std::vector<std::string> args = {"b", "h", "q", "k", "Nq", "Nk"};
  os << "// ---- complement: the linear branch's domain ----\n"
     << "ATTNC_HD bool attnc_complement(const AttncKernelArgs &args, long "
        "long b, long long h,\n    long long q, long long k, long long Nq, "
        "long long Nk) {\n"
     << "  (void)args; (void)b; (void)h; (void)q; (void)k; (void)Nq; "
        "(void)Nk;\n";
  FailureOr<std::string> complement = emitRegionAsC(
      op.getComplement().front(), args, readParam, "c", "  ", os);
  if (failed(complement))
    return failure();
  os << "  return " << *complement << ";\n}\n";
  os << "// ---- combine weight (add: the linear output's weight; shared: the "
        "softmax terms') ----\n"
     << "ATTNC_HD float attnc_combine_weight(const AttncKernelArgs &args, "
        "long long b, long long h,\n    long long q, long long Nq, long long "
        "Nk) {\n"
     << "  (void)args; (void)b; (void)h; (void)q; (void)Nq; (void)Nk;\n";
  FailureOr<std::string> weight = emitRegionAsC(
      op.getCombineWeight().front(), {"b", "h", "q", "Nq", "Nk"}, readParam,
      "w", "  ", os);
  if (failed(weight))
    return failure();
  os << "  return " << *weight << ";\n}\n";
  return success();
}

/// Per (b, h): phi(k_j) for every key and the prefix sums over k-tiles of
/// the block states, P[J] = sum over tiles < J of phi(K)^T V (F x DV) and
/// Z[J] = sum of phi(K) (F), in double so that differences of prefixes
/// keep their precision at long lengths.
void emitPrepare(raw_ostream &os) {
  os << kCpuHybridPrepare;
}

/// One q-block's linear branch: `vis[kb]` is 0 for tiles the softmax branch
/// skipped, 1 for partial and 2 for full tiles it visited. Complement tiles
/// that are full and unvisited fold into runs of prefix differences; every
/// other complement tile is evaluated element by element, taking the
/// elements outside the softmax branch.
void emitRows(raw_ostream &os) {
  os << kCpuHybridRows;
}

} // namespace

LogicalResult emitHybridCommon(attn::AttentionOp op, raw_ostream &os) {
  attn::ScheduleAttr s = op.getScheduleAttr();
  if (!op.getComplementMapAttr())
    return op.emitError() << "a hybrid kernel needs the complement's block "
                             "map (run the attnc pipeline)";
  os << "\n// ---- hybrid: the linear branch (docs/language.md §8b) ----\n"
     << "#define HF " << op.getHybridFeatureDim() << "LL\n"
     << "#define ATTNC_COMBINE_SHARED "
     << (*op.getCombine() == attn::Combine::shared ? 1 : 0) << "\n";
  emitBlockPlan(os, clausesFromAttr(op.getComplementMapAttr()),
                s.getBlockQ(), s.getBlockK(), "complement");
  if (failed(emitRegions(op, os)))
    return failure();
  const int weight = op.getHybridFeatureParam()
                         ? paramIndexOf(op.getParams(), *op.getHybridFeatureParam())
                         : -1;
  return emitFeatureMapFunction(os, "attnc_hphi", *op.getHybridFeature(),
                                op.getHybridPhi().front(), weight);
}

LogicalResult emitHybridCpuSupport(attn::AttentionOp op, raw_ostream &os) {
  if (failed(emitHybridCommon(op, os)))
    return failure();
  emitPrepare(os);
  emitRows(os);
  return success();
}

} // namespace attnc
