//===- RoutingClause.h - Masks that route tokens by id ----------*- C++ -*-===//
//
// Routing-style masks (Routing Transformer clusters, hash buckets, document
// ids that are not contiguous) have a clause `qid[.., q] == kid[.., k]`:
// a query sees only keys with its id. Sorted by id, the tokens of one id
// are contiguous, so tiles of the sorted order are visible only where
// their id ranges meet (docs/language.md §3d). This analysis finds such a
// clause in the top-level conjunction of a mask.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_ANALYSIS_ROUTINGCLAUSE_H
#define ATTNC_LIB_ANALYSIS_ROUTINGCLAUSE_H

#include "dialect/AttnOps.h"

#include <optional>

namespace attnc {

/// One side of a routing clause: an i32 parameter read at (a subset of
/// b, h and) the query's or the key's position.
struct RoutingSide {
  mlir::attn::ParamOp read;
  /// The read's indices as mask-region argument numbers (0 b, 1 h, 2 q,
  /// 3 k), in the parameter's dimension order.
  std::vector<unsigned> args;
  bool perHead() const;
};

struct RoutingClause {
  RoutingSide query, key;
  /// True when the clause is the whole mask: a tile whose query and key
  /// ids are all one and the same id is full.
  bool alone = false;
};

/// The routing clause of `op`'s mask, if its top-level conjunction has one.
std::optional<RoutingClause> findRoutingClause(mlir::attn::AttentionOp op);

} // namespace attnc

#endif // ATTNC_LIB_ANALYSIS_ROUTINGCLAUSE_H
