//===- Package.h - The state behind an attnc_package handle -----*- C++ -*-===//
//
// This file defines struct attnc_package, opaque in the C API: the package's
// absolute directory, its validated manifest, and the lazily loaded CPU
// library and CUDA modules.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_PACKAGE_H
#define ATTNC_RUNTIME_PACKAGE_H

#include "CpuLoader.h"
#include "CudaLoader.h"
#include "Manifest.h"

#include <string>

struct attnc_package {
  /// Absolute path, so later changes of the working directory do not matter.
  std::string dir;
  attnc::rt::Manifest manifest;
  attnc::rt::CpuLibrary cpu;
  attnc::rt::CudaModules cuda;
  /// Whether calls without a block mask build one when the manifest asks
  /// for it (attnc_package_set_auto_block_mask; on by default).
  bool autoBlockMask = true;
  /// Split-KV decode's requested splits (attnc_package_set_kv_splits): 0
  /// applies the rule of attnc/kv_splits.h, 1 never splits, n asks for n.
  int kvSplits = 0;
};

#endif // ATTNC_RUNTIME_PACKAGE_H
