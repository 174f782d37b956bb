//===- ReferenceDetail.h - Shared pieces of the reference -------*- C++ -*-===//
//
// What the reference's forward (Reference.cpp) and backward (Backward.cpp)
// both read: tensor indexing, region arguments and the `select` rule, so
// that the backward sees exactly the forward's visible keys.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_REFERENCE_REFERENCEDETAIL_H
#define ATTNC_LIB_REFERENCE_REFERENCEDETAIL_H

#include "lib/Reference/Reference.h"

#include "dialect/AttnOps.h"

#include <initializer_list>

namespace attnc::reference::detail {

/// Row-major offset of element (a, b, c, d) of a 4-d tensor.
inline int64_t at4(const Tensor &t, int64_t a, int64_t b, int64_t c,
                   int64_t d) {
  return ((a * t.shape[1] + b) * t.shape[2] + c) * t.shape[3] + d;
}

/// Fills a region's leading integer block arguments (b, h, positions, Nq,
/// Nk) in order.
inline void setIndices(Scalar *args, std::initializer_list<int64_t> values) {
  for (int64_t v : values)
    (args++)->i = v;
}

/// The k-tiles each q-tile of head (b, h) attends to under `select`, into
/// `selected` [qBlocks * kBlocks] (docs/language.md §8a).
mlir::LogicalResult selectBlocks(mlir::attn::AttentionOp op,
                                 const Inputs &in, const Problem &p,
                                 const ExprProgram &mask,
                                 const ExprProgram &keep, int64_t b,
                                 int64_t h, int64_t blockQ, int64_t blockK,
                                 int64_t qBlocks, int64_t kBlocks,
                                 std::vector<char> &selected,
                                 std::string &error);

/// The tiles `select` chooses among: the schedule's, for these lengths.
/// Fails with `error` set when the op has no schedule yet.
mlir::LogicalResult selectionTiles(mlir::attn::AttentionOp op,
                                   const Problem &p, int64_t &blockQ,
                                   int64_t &blockK, int64_t &qBlocks,
                                   int64_t &kBlocks, std::string &error);

/// Row i of head (b, h) of the softmax family: which keys are visible (the
/// mask and, with `selected` non-null, the selection: [qBlocks * kBlocks]
/// of tiles blockQ x blockK), s = scale q.k (`raw`) and the score's value
/// (`scores`) at every visible key. Returns the row's largest score (-inf
/// when nothing is visible, NaN when a visible score is NaN); `error` is
/// set on a bad parameter read.
double rowScores(const Inputs &in, const Problem &p, const ExprProgram &mask,
                 const ExprProgram &score, double scale, int64_t b, int64_t h,
                 int64_t i, const std::vector<char> *selected, int64_t blockQ,
                 int64_t blockK, int64_t kBlocks, std::vector<char> &visible,
                 std::vector<double> &raw, std::vector<double> &scores,
                 std::string &error);

} // namespace attnc::reference::detail

#endif // ATTNC_LIB_REFERENCE_REFERENCEDETAIL_H
