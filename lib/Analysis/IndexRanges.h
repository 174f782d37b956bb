//===- IndexRanges.h - Integer overflow in index expressions ----*- C++ -*-===//
//
// Interval reasoning over the integer (i64) expressions of an attention
// op's regions: positions, heads and lengths in [-2^24, 2^24], i32
// parameters in their range, constants exactly. Integer arithmetic wraps
// (64-bit two's complement) on every backend; an operation whose interval
// leaves the 64-bit range at such positions is a spec error, reported here
// at its location.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_ANALYSIS_INDEXRANGES_H
#define ATTNC_LIB_ANALYSIS_INDEXRANGES_H

#include "mlir/IR/Operation.h"
#include "mlir/Support/LogicalResult.h"

namespace attnc {

/// The bound on positions, heads and lengths the check assumes (2^24, 16M).
constexpr int64_t kIndexRangeBound = int64_t(1) << 24;

/// Reports every integer addition, subtraction, multiplication or absolute
/// value in `op`'s regions that can leave the 64-bit range for positions,
/// heads and lengths within kIndexRangeBound. Fails if there is one.
mlir::LogicalResult checkIndexOverflow(mlir::Operation *op);

} // namespace attnc

#endif // ATTNC_LIB_ANALYSIS_INDEXRANGES_H
