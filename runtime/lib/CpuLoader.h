//===- CpuLoader.h - Loading a package's CPU kernel -------------*- C++ -*-===//
//
// This file declares CpuLibrary, which dlopens a package's CPU shared object
// on first use and resolves its entry point. Loading is lazy so that opening
// a package for CUDA never touches the CPU library (which may be built for
// another host), and it is guarded so that concurrent first runs load once.
// Loading is also where the package is verified against its kernel: the
// library's real path must lie inside the package, its signature must match
// the manifest (Signature.h), and every symbol must be defined by the
// library itself, not by one of its dependencies.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_CPULOADER_H
#define ATTNC_RUNTIME_CPULOADER_H

#include "Error.h"
#include "Manifest.h"

#include "attnc/kernel_abi.h"

#include <atomic>
#include <mutex>
#include <string>

namespace attnc {
namespace rt {

/// The signature of a package's CPU entry point.
using CpuEntryFn = int (*)(const AttncKernelArgs *);

class CpuLibrary {
public:
  CpuLibrary() = default;
  CpuLibrary(const CpuLibrary &) = delete;
  CpuLibrary &operator=(const CpuLibrary &) = delete;
  /// dlcloses the library if it was loaded.
  ~CpuLibrary();

  /// Loads and verifies the CPU library of the package in `dir` (an
  /// absolute real path) described by `m` (once) and resolves `m`'s entry
  /// point. A failed load is not remembered: the next call tries again.
  Error resolve(const std::string &dir, const Manifest &m, CpuEntryFn &out);

  /// Loads the library as `resolve` does and resolves another symbol `name`
  /// in it (not cached: for calls that are not on the hot path).
  Error resolveSymbol(const std::string &dir, const Manifest &m,
                      const std::string &name, void *&out);

private:
  /// Opens and verifies the library if it is not open yet; the caller holds
  /// `mutex`.
  Error load(const std::string &dir, const Manifest &m);
  /// dlsym in the library itself; the caller holds `mutex`.
  Error lookup(const std::string &name, void *&out);

  std::mutex mutex;
  void *handle = nullptr;
  /// The library's real path and name as the loader recorded it.
  std::string path, loadedName;
  std::atomic<CpuEntryFn> fn{nullptr};
};

} // namespace rt
} // namespace attnc

#endif // ATTNC_RUNTIME_CPULOADER_H
