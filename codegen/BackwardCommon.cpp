//===- BackwardCommon.cpp - What the backward printers share --------------===//
//
// This file implements the pieces both backward printers (CPU and CUDA)
// print alike; see BackwardCommon.h.
//
//===----------------------------------------------------------------------===//

#include "codegen/BackwardCommon.h"

#include "codegen/ExprEmitter.h"
#include "codegen/KernelPrelude.h"

using namespace mlir;
using namespace mlir::attn;

namespace attnc {

SmallVector<GradParam> gradParams(AttentionOp op) {
  SmallVector<GradParam> out;
  for (auto [i, p] : llvm::enumerate(op.getParams().getAsRange<ParamAttr>()))
    if (p.getElementType().isF32() && !p.getFrozen())
      out.push_back({int(out.size()), int(i), p});
  return out;
}

std::string paramDimSize(const attnc::rt::ParamDim &dim, AttentionOp op) {
  return paramDimExtentText(dim, "args.batch",
                            std::to_string(op.getHeads()) + "LL",
                            "args.kv_len",
                            std::to_string(op.getHeadDim()) + "LL");
}

LogicalResult checkBackwardSchedule(AttentionOp op, KernelFuncOp kernel,
                                    int64_t blockQ, int64_t blockK,
                                    StringRef printer) {
  bool stats = false, keyMajor = false, queryMajor = false;
  for (Operation &top : kernel.getBody().front()) {
    if (isa<BackwardRowStatsOp>(top)) {
      stats = true;
      continue;
    }
    auto pass = dyn_cast<BackwardPassOp>(top);
    if (!pass)
      return top.emitError() << "the " << printer
                             << " backward printer does not handle '"
                             << top.getName() << "' here";
    bool &seen = pass.getPass() == BackwardPass::key_major ? keyMajor
                                                            : queryMajor;
    if (seen)
      return pass.emitError() << "a second " << stringifyBackwardPass(pass.getPass())
                              << " pass";
    seen = true;
    WalkResult walk = pass.walk([&](Operation *inner) -> WalkResult {
      if (auto grad = dyn_cast<ScoreGradientOp>(inner)) {
        TileType s = grad.getScores().getType();
        if (s.getRows() != blockQ || s.getCols() != blockK)
          return inner->emitError() << "expected [" << blockQ << ", "
                                    << blockK << "] score tiles";
        if (grad.getParamGrads() != (pass.getPass() == BackwardPass::key_major))
          return inner->emitError()
                 << "parameter gradients are added in the key-major pass";
        return WalkResult::advance();
      }
      if (isa<TaskBlockOp, LoadTileOp, InitGradientsOp, TileMatmulOp,
              StoreTileOp, KernelYieldOp>(inner))
        return WalkResult::advance();
      // The loops walk the forward's tiles: its static plan or its
      // selection.
      const TileWalk walk = op.getSelect() ? TileWalk::selected
                                           : TileWalk::block_map;
      if (auto loop = dyn_cast<KBlockLoopOp>(inner)) {
        if (loop.getWalk() != walk)
          return inner->emitError() << "expected the forward's tile walk";
        return WalkResult::advance();
      }
      if (auto loop = dyn_cast<QBlockLoopOp>(inner)) {
        if (loop.getWalk() != walk)
          return inner->emitError() << "expected the forward's tile walk";
        return WalkResult::advance();
      }
      if (inner == pass)
        return WalkResult::advance();
      return inner->emitError() << "the " << printer
                                << " backward printer does not handle '"
                                << inner->getName() << "'";
    });
    if (walk.wasInterrupted())
      return failure();
  }
  if (!stats || !keyMajor || !queryMajor)
    return kernel.emitError() << "expected the row statistics, a key_major "
                                 "and a query_major pass";
  return success();
}

void emitParamGradWriters(
    AttentionOp op, raw_ostream &os, StringRef qualifiers, StringRef pgType,
    function_ref<std::string(int slot, StringRef flat)> add,
    bool convergent) {
  SmallVector<GradParam> grads = gradParams(op);
  os << "#define ATTNC_PARAM_GRADS " << grads.size() << "\n"
     << "// slot -> manifest parameter index\n"
     << qualifiers << " int attnc_param_grad_param(int slot) {\n"
     << "  switch (slot) {\n";
  for (const GradParam &g : grads)
    os << "  case " << g.slot << ": return " << g.index << ";\n";
  os << "  }\n  return 0;\n}\n"
     << qualifiers
     << " long long attnc_param_grad_size(int slot, const "
        "AttncKernelArgs &args) {\n  (void)args;\n  switch (slot) {\n";
  for (const GradParam &g : grads) {
    os << "  case " << g.slot << ": return 1LL";
    for (const attnc::rt::ParamDim &dim : paramDims(g.param))
      os << " * " << paramDimSize(dim, op);
    os << ";\n";
  }
  os << "  }\n  return 0;\n}\n"
     << "// The slot's first element when the slots lie one after another.\n"
     << qualifiers
     << " long long attnc_param_grad_offset(int slot, const AttncKernelArgs "
        "&args) {\n  long long offset = 0;\n"
     << "  for (int s = 0; s < slot; ++s) offset += "
        "attnc_param_grad_size(s, args);\n  return offset;\n}\n";
  for (const GradParam &g : grads) {
    std::vector<attnc::rt::ParamDim> dims = paramDims(g.param);
    os << qualifiers << " void attnc_grad_" << g.param.getName()
       << "(const AttncKernelArgs &args, " << pgType << " pg"
       << (convergent ? ", bool live" : "");
    for (size_t d = 0; d < dims.size(); ++d)
      os << ", long long i" << d;
    if (convergent) {
      // Every lane reaches the add (it may be a warp collective): a dead
      // or out-of-range element adds 0 at the slot's first element.
      os << ", float value) {\n  (void)args;\n  if (!pg) return;\n"
         << "  long long flat = 0;\n  bool ok = live;\n";
      for (size_t d = 0; d < dims.size(); ++d) {
        std::string size = paramDimSize(dims[d], op);
        os << "  ok = ok && i" << d << " >= 0 && i" << d << " < " << size
           << ";\n  flat = flat * " << size << " + (ok ? i" << d
           << " : 0);\n";
      }
      os << "  if (!ok) { flat = 0; value = 0.0f; }\n";
    } else {
      os << ", float value) {\n  (void)args;\n  if (!pg) return;\n"
         << "  long long flat = 0;\n";
      for (size_t d = 0; d < dims.size(); ++d) {
        std::string size = paramDimSize(dims[d], op);
        os << "  if (i" << d << " < 0 || i" << d << " >= " << size
           << ") return;\n  flat = flat * " << size << " + i" << d << ";\n";
      }
    }
    os << "  " << add(g.slot, "flat") << "\n}\n";
  }
}

LogicalResult emitScoreVjp(AttentionOp op, raw_ostream &os,
                           StringRef qualifiers, StringRef pgType,
                           bool convergent) {
  os << "// ---- score_vjp (attn-differentiate): ds from s and dt ----\n"
     << qualifiers << " float attnc_score_vjp(const AttncKernelArgs &args, "
     << pgType << " pg," << (convergent ? " bool live," : "")
     << "\n    long long b, long long h, long long q, long long k, long "
        "long Nq, long long Nk,\n    float s, float dt) {\n"
     << "  (void)args; (void)pg; (void)b; (void)h; (void)q; (void)k; "
        "(void)Nq; (void)Nk; (void)s;\n";
  std::vector<std::string> args = {"b", "h", "q", "k", "Nq", "Nk", "s", "dt"};
  auto reader = [](StringRef name, const std::vector<std::string> &indices) {
    return paramReadExpr(name, indices);
  };
  auto writer = [convergent](StringRef name,
                             const std::vector<std::string> &indices,
                             const std::string &value) {
    std::string s = "attnc_grad_" + name.str() + "(args, pg";
    if (convergent)
      s += ", live";
    for (const std::string &i : indices)
      s += ", " + i;
    return s + ", " + value + ");";
  };
  FailureOr<std::string> ds = emitRegionAsC(op.getScoreVjp().front(), args,
                                            reader, "g", "  ", os, writer);
  if (failed(ds))
    return failure();
  os << "  return " << *ds << ";\n}\n";
  return success();
}

int backwardNormalizeCode(AttentionOp op) {
  return op.getNormalize() == Normalize::softmax ? 0
         : op.getNormalize() == Normalize::sum   ? 1
                                                 : 2;
}

} // namespace attnc
