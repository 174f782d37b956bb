//===- RoutingEmitter.cpp - Tokens routed by id, as C++ -------------------===//

#include "codegen/RoutingEmitter.h"

#include "codegen/DeviceSources.h"
#include "lib/Analysis/RoutingClause.h"

using namespace mlir;

namespace attnc {

bool cpuPlanRouted(attn::AttentionOp op) {
  attn::CpuPlanAttr plan = op.getCpuPlanAttr();
  return plan && plan.getRouted();
}

/// `#define MACRO(args, b, h, pos)`: the side's parameter read at its
/// indices (b, h, the position).
static void emitReader(const RoutingSide &side, const char *macro,
                       raw_ostream &os) {
  os << "#define " << macro << "(args, b, h, pos) attnc_param_"
     << attn::ParamOp(side.read).getName() << "(args";
  for (unsigned arg : side.args)
    os << ", " << (arg == 0 ? "b" : arg == 1 ? "h" : "pos");
  os << ")\n";
}

LogicalResult emitRouting(attn::AttentionOp op, raw_ostream &os) {
  std::optional<RoutingClause> clause = findRoutingClause(op);
  if (!clause)
    return op.emitError() << "the CPU plan is routed, but the mask has no "
                             "routing clause (qid[.., q] == kid[.., k])";
  os << "\n// ---- tokens routed by id (docs/language.md §3d) ----\n"
     << "#include <algorithm>\n#include <stdlib.h>\n#include <vector>\n"
     << "#define ROUTE_QH " << (clause->query.perHead() ? "H" : "1LL") << "\n"
     << "#define ROUTE_KH " << (clause->key.perHead() ? "H" : "1LL") << "\n"
     << "#define ROUTE_ALONE " << (clause->alone ? 1 : 0) << "\n";
  emitReader(clause->query, "ATTNC_ROUTE_QID", os);
  emitReader(clause->key, "ATTNC_ROUTE_KID", os);
  os << kCpuRoute << "\n";
  return success();
}

} // namespace attnc
