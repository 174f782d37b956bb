//===- RoutingEmitter.h - Tokens routed by id, as C++ -----------*- C++ -*-===//
//
// Prints what the CPU kernel of a `routed` plan needs around
// codegen/device/cpu_route.h: the id readers of the mask's routing clause
// (lib/Analysis/RoutingClause.h) and which side's ids are per head.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_ROUTINGEMITTER_H
#define ATTNC_CODEGEN_ROUTINGEMITTER_H

#include "dialect/AttnOps.h"

#include "llvm/Support/raw_ostream.h"

namespace attnc {

/// True when `op`'s CPU plan sorts its tokens by id.
bool cpuPlanRouted(mlir::attn::AttentionOp op);

/// Emits the routing support for `op` (whose CPU plan is routed), after
/// the parameter readers and the schedule's BQ and BK.
mlir::LogicalResult emitRouting(mlir::attn::AttentionOp op,
                                llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_CODEGEN_ROUTINGEMITTER_H
