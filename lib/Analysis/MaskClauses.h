//===- MaskClauses.h - Static analysis of a mask region ---------*- C++ -*-===//
//
// Interval reasoning over the mask: the region's boolean expression is put
// in disjunctive normal form whose atoms are linear bounds on k (from
// comparisons such as `k <= q` or `q - k < 1024`) or opaque atoms that the
// analysis cannot bound (params, modulo, nonlinear terms). The result is
// symbolic: bounds are linear in the query position and Nq, Nk.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_ANALYSIS_MASKCLAUSES_H
#define ATTNC_LIB_ANALYSIS_MASKCLAUSES_H

#include "dialect/AttnOps.h"
#include "lib/Analysis/BlockPlan.h"

namespace attnc {

/// More clauses than this and the mask is treated as one opaque clause:
/// every k-block is visited and masked. Sound, only slower.
constexpr size_t kMaxMaskClauses = 16;

/// Analyzes the mask region of `op`.
std::vector<MaskClause> analyzeMask(mlir::attn::AttentionOp op);

/// Analyzes any region with the mask's signature (b, h, q, k, Nq, Nk) -> i1,
/// e.g. a hybrid's complement.
std::vector<MaskClause> analyzeMaskRegion(mlir::Region &region);

/// Converts between the analysis result and its IR attribute form.
mlir::ArrayAttr clausesToAttr(mlir::MLIRContext *ctx,
                              const std::vector<MaskClause> &clauses);
std::vector<MaskClause> clausesFromAttr(mlir::ArrayAttr attr);

} // namespace attnc

#endif // ATTNC_LIB_ANALYSIS_MASKCLAUSES_H
