//===- BackwardRun.h - The backward pass through a package ------*- C++ -*-===//
//
// `attnc run --backend cpu --backward`: the package's forward (for o and
// lse), then its backward entry through the runtime's C API, as a C++
// training loop would call them; `--check` compares every gradient with
// the reference backward.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TOOLS_ATTNC_BACKWARDRUN_H
#define ATTNC_TOOLS_ATTNC_BACKWARDRUN_H

#include "lib/Reference/Backward.h"

#include "llvm/Support/raw_ostream.h"

#include <string>

namespace attnc {

/// Runs the forward and the backward of the CPU package in `packageDir` on
/// `inputs` (rounded to the storage dtype) and dO; fills `outputs` (o,
/// lse) and `gradients` (read back from the storage dtype). Returns an
/// error message or "".
/// Which compiled backend runs a package.
enum class CompiledBackend { Cpu, Cuda };

/// The package's forward then backward on `backend` (CUDA: on device 0,
/// through CudaDevice): o and lse into `outputs`, the gradients into
/// `gradients`; "" or the failure.
std::string runPackageBackward(mlir::Operation *op,
                               const std::string &packageDir,
                               const reference::Inputs &inputs,
                               const reference::Tensor &dO,
                               reference::Outputs &outputs,
                               reference::Gradients &gradients,
                               CompiledBackend backend);

double gradientToleranceFor(mlir::Operation *op);

/// Compares every gradient; prints one line per gradient. True when all
/// are within gradientToleranceFor.
bool compareGradients(mlir::Operation *op, const reference::Gradients &got,
                      const reference::Gradients &want, llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_TOOLS_ATTNC_BACKWARDRUN_H
