//===- BackendRun.h - Run a compiled package from attnc ---------*- C++ -*-===//
//
// `attnc run --backend cpu` goes through the same runtime library users
// link: open the package, hand it tensors in the storage dtype, read o and
// lse back. `--check` then compares against the reference executor with
// the per-dtype tolerances of docs/testing.md.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TOOLS_ATTNC_BACKENDRUN_H
#define ATTNC_TOOLS_ATTNC_BACKENDRUN_H

#include "lib/Reference/Reference.h"

#include "llvm/Support/raw_ostream.h"

#include <string>

namespace attnc {

/// Runs the CPU backend of the package in `packageDir` on `inputs` (already
/// rounded to the storage dtype). Returns an error message or "".
std::string runPackageOnCpu(mlir::Operation *op, const std::string &packageDir,
                            const reference::Inputs &inputs, bool wantLse,
                            reference::Outputs &outputs);

/// The documented tolerance for comparing a backend to the reference: the
/// largest allowed max|got - ref| / max(max|ref|, 1).
double toleranceFor(mlir::Operation *op);

/// Compares `got` to `want` (o, and lse when present); prints a one-line
/// verdict to `os`. Returns true when within tolerance.
bool compareToReference(mlir::Operation *op, const reference::Outputs &got,
                        const reference::Outputs &want, bool compareLse,
                        llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_TOOLS_ATTNC_BACKENDRUN_H
