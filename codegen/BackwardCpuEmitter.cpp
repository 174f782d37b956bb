//===- BackwardCpuEmitter.cpp - The softmax backward as C++ ---------------===//
//
// This file implements the CPU printer of the backward kernel. It reads the
// kernel IR (its tiles must be the forward CPU plan's, whose block plan the
// backward walks; its passes, loops and score_gradient ops the schedule of
// cpu_softmax_backward.h), prints the spec-dependent pieces (the
// score_vjp region, one gradient writer per differentiable parameter) and
// embeds the fixed schedule.
//
//===----------------------------------------------------------------------===//

#include "codegen/BackwardCpuEmitter.h"

#include "codegen/CpuEmitter.h"
#include "codegen/DeviceSources.h"
#include "codegen/EmitterSupport.h"
#include "codegen/ExprEmitter.h"
#include "codegen/KernelPrelude.h"

#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace mlir::attn;

namespace attnc {

KernelFuncOp findCpuBackwardKernel(Operation *op) {
  const std::string name =
      (SymbolTable::getSymbolName(op).getValue() + "_cpu_backward").str();
  auto kernel = dyn_cast_or_null<KernelFuncOp>(
      SymbolTable::lookupNearestSymbolFrom(op,
                                           StringAttr::get(op->getContext(), name)));
  return kernel && kernel.getSourceOp() == op ? kernel : KernelFuncOp();
}

std::string cpuBackwardEntryName(Operation *op) {
  if (!findCpuBackwardKernel(op))
    return "";
  return cpuEntryName(op) + "_backward";
}

namespace {

/// The parameters with a gradient, in manifest order: (slot, index, attr).
struct GradParam {
  int slot, index;
  ParamAttr param;
};

SmallVector<GradParam> gradParams(AttentionOp op) {
  SmallVector<GradParam> out;
  for (auto [i, p] : llvm::enumerate(op.getParams().getAsRange<ParamAttr>()))
    if (p.getElementType().isF32() && !p.getFrozen())
      out.push_back({int(out.size()), int(i), p});
  return out;
}

std::string dimSize(char dim, AttentionOp op) {
  return dim == 'b'   ? "args.batch"
         : dim == 'h' ? std::to_string(op.getHeads()) + "LL"
         : dim == 'n' ? "args.kv_len"
                      : std::to_string(op.getHeadDim()) + "LL";
}

/// Checks the kernel is the schedule the embedded code runs: the row
/// statistics, a key-major pass (q-block loop, score gradient adding the
/// parameters' gradients, dK and dV stores) and a query-major pass (k-block
/// loop, dQ store), on the forward CPU plan's tiles.
LogicalResult checkSchedule(AttentionOp op, KernelFuncOp kernel) {
  auto plan = dyn_cast<CpuPlanAttr>(kernel.getPlan());
  if (!plan || plan != op.getCpuPlanAttr())
    return kernel.emitError() << "the CPU backward needs the forward's CPU "
                                 "plan (it walks the same block plan)";
  bool stats = false, keyMajor = false, queryMajor = false;
  for (Operation &top : kernel.getBody().front()) {
    if (isa<BackwardRowStatsOp>(top)) {
      stats = true;
      continue;
    }
    auto pass = dyn_cast<BackwardPassOp>(top);
    if (!pass)
      return top.emitError() << "the CPU backward printer does not handle '"
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
        if (s.getRows() != plan.getBlockQ() || s.getCols() != plan.getBlockK())
          return inner->emitError() << "expected [" << plan.getBlockQ() << ", "
                                    << plan.getBlockK() << "] score tiles";
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
      return inner->emitError() << "the CPU backward printer does not handle '"
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

} // namespace

LogicalResult emitSoftmaxBackwardCpu(AttentionOp op, KernelFuncOp kernel,
                                     raw_ostream &os) {
  if (failed(checkSchedule(op, kernel)))
    return failure();
  SmallVector<GradParam> grads = gradParams(op);
  os << "\n// ==== backward: attn.kernel @" << kernel.getSymName()
     << " (docs/codegen.md, \"Backward\") ====\n"
     << "#define ATTNC_PARAM_GRADS " << grads.size() << "\n"
     << "// slot -> manifest parameter index\n"
     << "static const int attnc_param_grad_param[ATTNC_PARAM_GRADS + 1] = {";
  for (const GradParam &g : grads)
    os << g.index << ", ";
  os << "0};\n"
     << "static long long attnc_param_grad_size(int slot, const "
        "AttncKernelArgs &args) {\n  (void)args;\n  switch (slot) {\n";
  for (const GradParam &g : grads) {
    os << "  case " << g.slot << ": return 1LL";
    for (char dim : g.param.getDims())
      os << " * " << dimSize(dim, op);
    os << ";\n";
  }
  os << "  }\n  return 0;\n}\n";
  // One writer per parameter: adds to the thread's double accumulator; an
  // index outside the array adds nothing (the forward read 0 there).
  for (const GradParam &g : grads) {
    StringRef dims = g.param.getDims();
    os << "static inline void attnc_grad_" << g.param.getName()
       << "(const AttncKernelArgs &args, double *const *pg";
    for (size_t d = 0; d < dims.size(); ++d)
      os << ", long long i" << d;
    os << ", float value) {\n  (void)args;\n  if (!pg) return;\n"
       << "  long long flat = 0;\n";
    for (size_t d = 0; d < dims.size(); ++d) {
      std::string size = dimSize(dims[d], op);
      os << "  if (i" << d << " < 0 || i" << d << " >= " << size
         << ") return;\n  flat = flat * " << size << " + i" << d << ";\n";
    }
    os << "  pg[" << g.slot << "][flat] += value;\n}\n";
  }
  os << "// ---- score_vjp (attn-differentiate): ds from s and dt ----\n"
     << "static inline float attnc_score_vjp(const AttncKernelArgs &args, "
        "double *const *pg,\n    long long b, long long h, long long q, long "
        "long k, long long Nq, long long Nk,\n    float s, float dt) {\n"
     << "  (void)args; (void)pg; (void)b; (void)h; (void)q; (void)k; "
        "(void)Nq; (void)Nk; (void)s;\n";
  std::vector<std::string> args = {"b", "h", "q", "k", "Nq", "Nk", "s", "dt"};
  auto reader = [](StringRef name, const std::vector<std::string> &indices) {
    return paramReadExpr(name, indices);
  };
  auto writer = [](StringRef name, const std::vector<std::string> &indices,
                   const std::string &value) {
    std::string s = "attnc_grad_" + name.str() + "(args, pg";
    for (const std::string &i : indices)
      s += ", " + i;
    return s + ", " + value + ");";
  };
  FailureOr<std::string> ds = emitRegionAsC(op.getScoreVjp().front(), args,
                                            reader, "g", "  ", os, writer);
  if (failed(ds))
    return failure();
  os << "  return " << *ds << ";\n}\n"
     << "static const int kBackwardNormalize = "
     << (op.getNormalize() == Normalize::softmax ? 0
         : op.getNormalize() == Normalize::sum   ? 1
                                                 : 2)
     << "; // 0 softmax, 1 sum, 2 none\n"
     << "// Content-based selection: the forward's tiles, rebuilt by its "
        "builder.\n"
     << "static const bool kBackwardSelected = "
     << (op.getSelect() ? "true" : "false") << ";\n"
     << "static int attnc_bwd_select(const AttncKernelArgs *args, int "
        "*counts, int *col,\n    unsigned char *full) {\n"
     << "  return " << cpuBlockMaskEntryName(op)
     << "(args, (int)H, counts, col, full, 0);\n}\n"
     << kCpuSoftmaxBackward
     << "\n// The backward entry (docs/runtime.md, \"Backward\"): 0, 1 for "
        "bad arguments, 2 out of memory.\n"
     << "extern \"C\" int " << cpuBackwardEntryName(op)
     << "(const AttncKernelArgs *args, const AttncBackwardArgs *grads) {\n"
     << "  return attnc_softmax_backward(args, grads);\n}\n";
  return success();
}

} // namespace attnc
