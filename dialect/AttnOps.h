//===- AttnOps.h - attn operations ------------------------------*- C++ -*-===//
//
// Declares the ops of the attn dialect.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECT_ATTNOPS_H
#define ATTNC_DIALECT_ATTNOPS_H

#include "dialect/AttnDialect.h"

#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "runtime/lib/ParamDims.h"

#include <string>
#include <vector>

#define GET_OP_CLASSES
#include "dialect/AttnOps.h.inc"

namespace mlir::attn {
/// Channels after feature map `feature` of head_dim `headDim` tokens
/// (taylor2: 1 + D + D^2; hedgehog: 2D; the rest D).
int64_t featureDimOf(Feature feature, int64_t headDim);

/// Where clause `clause` of the spec behind `op` was written ("tile",
/// "chunk", "head_dim", "param doc", ...), for diagnostics about it: the
/// frontend gives an attention op a fused location whose first part is the
/// `attention` statement and whose others are the clauses, each a NameLoc.
/// Falls back to the op's location (a clause the spec did not write, or IR
/// not built from a spec).
Location clauseLoc(Operation *op, StringRef clause);

/// The `attention` statement of the spec behind `op` (the first part of its
/// fused location), or the op's location: what generated code cites.
Location statementLoc(Operation *op);

/// The dimensions of `param` (its verified dims text, runtime/lib/
/// ParamDims.h): letters b h n d and fixed extents.
std::vector<attnc::rt::ParamDim> paramDims(ParamAttr param);

/// The C++ expression of one dimension's extent in generated code: B, H, N
/// and D spelled by the caller, a fixed extent as its number.
std::string paramDimExtentText(const attnc::rt::ParamDim &dim,
                               const std::string &batch,
                               const std::string &heads,
                               const std::string &positions,
                               const std::string &headDim);

/// Where to report that `op` has no CUDA kernel: the clause its
/// `cuda_unsupported_clause` names, else the op.
Location cudaUnsupportedLoc(Operation *op);
} // namespace mlir::attn

#endif // ATTNC_DIALECT_ATTNOPS_H
