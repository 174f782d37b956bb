//===- GradientCheck.h - Finite differences against the backward -*- C++ -*-===//
//
// The reference backward is checked against the reference forward: central
// finite differences of loss = sum(o * dO), in double, element by element
// (every element of small tensors, a seeded sample of large ones). This is
// what makes a wrong derivative rule (lib/Autodiff) or a wrong chain rule
// (Backward.cpp) fail a test; `attnc run --backend reference --backward
// --check` runs it.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_REFERENCE_GRADIENTCHECK_H
#define ATTNC_LIB_REFERENCE_GRADIENTCHECK_H

#include "lib/Reference/Backward.h"

#include "llvm/Support/raw_ostream.h"

namespace attnc::reference {

/// The finite-difference tolerance: |numeric - analytic| must stay within
/// kGradientCheckTolerance * max(1, max |analytic| of that tensor).
constexpr double kGradientCheckTolerance = 1e-6;

/// Prints one line per gradient (q, k, v, each differentiable parameter)
/// with its largest difference from central finite differences, and
/// returns whether all are within tolerance. At most `maxElements` elements
/// of each tensor are perturbed (a seeded sample beyond that). Fails with
/// `error` set if the forward fails.
mlir::FailureOr<bool> checkGradients(mlir::Operation *op, const Inputs &inputs,
                                     const Tensor &dO,
                                     const Gradients &gradients,
                                     llvm::raw_ostream &os,
                                     std::string &error,
                                     int64_t maxElements = 200);

} // namespace attnc::reference

#endif // ATTNC_LIB_REFERENCE_GRADIENTCHECK_H
