//===- Package.h - Write a compiled package to a directory ------*- C++ -*-===//
//
// `attnc compile` output: generated sources, the CPU shared object, cubins
// where nvcc is present, and manifest.json (format in docs/runtime.md).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_DRIVER_PACKAGE_H
#define ATTNC_LIB_DRIVER_PACKAGE_H

#include "mlir/IR/Operation.h"

#include <string>
#include <vector>

namespace attnc {

struct PackageOptions {
  std::string outDir;
  std::vector<std::string> archs = {"sm_80", "sm_90"};
  bool buildCpu = true;  ///< compile the CPU source into a shared object
  bool buildCuda = true; ///< run nvcc for each arch (skipped without nvcc)
  std::string hostCompiler = "c++";
  std::string cpuFlags = "-O3 -march=native -fopenmp";
};

/// Emits and builds everything for `op` (scheduled and classified) into
/// options.outDir. `specText` is hashed into the manifest. Reports errors
/// on `op` (including a failing compiler, with its log file).
mlir::LogicalResult writePackage(mlir::Operation *op, llvm::StringRef specText,
                                 const PackageOptions &options);

} // namespace attnc

#endif // ATTNC_LIB_DRIVER_PACKAGE_H
