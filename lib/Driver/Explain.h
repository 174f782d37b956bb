//===- Explain.h - `attnc explain`: what the mask analysis found -*- C++ -*-===//
//
// Prints the block map of a scheduled attention op for concrete lengths
// (visited, full, partial and skipped tiles, fraction of dense work) and
// draws the tile map as SVG, so people can look at a mask before trusting it.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_DRIVER_EXPLAIN_H
#define ATTNC_LIB_DRIVER_EXPLAIN_H

#include "mlir/IR/Operation.h"

#include "llvm/Support/raw_ostream.h"

namespace attnc {

/// Writes the text report for lengths nq x nk.
mlir::LogicalResult explainText(mlir::Operation *op, int64_t nq, int64_t nk,
                                llvm::raw_ostream &os);

/// Writes the tile map as an SVG document (one cell per tile).
mlir::LogicalResult explainSvg(mlir::Operation *op, int64_t nq, int64_t nk,
                               llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_LIB_DRIVER_EXPLAIN_H
