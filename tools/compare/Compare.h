//===- Compare.h - A backend's outputs against a reference ------*- C++ -*-===//
//
// One comparator for every place that checks a kernel against a reference:
// `attnc run --check`, the runtime-only GPU runner (attnc-gpu-check) and the
// unit tests. Non-finite values follow one rule: the two sides must hold the
// same non-finite value (NaN with NaN, +inf with +inf, -inf with -inf) in
// the same places; a NaN or inf on one side only is a failure reported with
// the tensor's name and the first index where it occurs. Finite values are
// compared with the relative bound of docs/testing.md.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TOOLS_COMPARE_COMPARE_H
#define ATTNC_TOOLS_COMPARE_COMPARE_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace attnc {
namespace compare {

/// How one tensor compares with its reference.
struct TensorComparison {
  std::string name;
  std::vector<int64_t> shape;
  double tolerance = 0;
  /// max|got - want| / max(max|want|, 1) over the elements finite on both
  /// sides (the scale is taken over finite reference values only).
  double maxError = 0;
  /// Where maxError is reached (empty when every element is non-finite).
  std::vector<int64_t> worstIndex;
  /// The element counts differ (then nothing else is compared).
  bool sizeMismatch = false;
  size_t gotSize = 0, wantSize = 0;
  /// The first element (row-major) where one side is non-finite and the
  /// other does not hold the same non-finite value.
  bool nonFiniteMismatch = false;
  std::vector<int64_t> firstMismatch;
  double gotValue = 0, wantValue = 0;
  /// How many elements are non-finite on both sides with the same value.
  size_t sharedNonFinite = 0;

  bool ok() const {
    return !sizeMismatch && !nonFiniteMismatch && maxError <= tolerance;
  }
};

/// Compares `got` with `want` (row-major, of `shape`; `shape` may be empty
/// for a flat index). Never reads past either array.
TensorComparison compareTensor(const std::string &name, const double *got,
                               size_t gotSize, const double *want,
                               size_t wantSize,
                               const std::vector<int64_t> &shape,
                               double tolerance);

/// The same for vectors.
inline TensorComparison compareTensor(const std::string &name,
                                      const std::vector<double> &got,
                                      const std::vector<double> &want,
                                      const std::vector<int64_t> &shape,
                                      double tolerance) {
  return compareTensor(name, got.data(), got.size(), want.data(), want.size(),
                       shape, tolerance);
}

/// "o[0, 1, 5, 3]" (or "o[17]" without a shape).
std::string formatIndex(const std::string &name,
                        const std::vector<int64_t> &index);

/// Why the comparison failed, in one phrase, or "" when it passed:
/// "o: non-finite values differ, first at o[0, 0, 5, 1]: got nan, expected
/// 0.5", "lse: got 6 elements, expected 8",
/// "o: max error 0.02 at o[0, 1, 3, 0] exceeds the tolerance 2e-05".
std::string describeFailure(const TensorComparison &c);

/// "max error 1.2e-06", with the failure's phrase in parentheses after it
/// when the comparison failed: the form of one tensor in the one-line
/// verdicts of `attnc run --check` and attnc-gpu-check.
std::string summarize(const TensorComparison &c);

} // namespace compare
} // namespace attnc

#endif // ATTNC_TOOLS_COMPARE_COMPARE_H
