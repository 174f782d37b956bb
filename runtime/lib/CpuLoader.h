//===- CpuLoader.h - Loading a package's CPU kernel -------------*- C++ -*-===//
//
// This file declares CpuLibrary, which dlopens a package's CPU shared object
// on first use and resolves its entry point. Loading is lazy so that opening
// a package for CUDA never touches the CPU library (which may be built for
// another host), and it is guarded so that concurrent first runs load once.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_CPULOADER_H
#define ATTNC_RUNTIME_CPULOADER_H

#include "Error.h"

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

  /// Loads `path` (once) and resolves `entry` in it. A failed load is not
  /// remembered: the next call tries again.
  Error resolve(const std::string &path, const std::string &entry,
                CpuEntryFn &out);

  /// Loads `path` (once) and resolves another symbol `name` in it (not
  /// cached: for calls that are not on the hot path).
  Error resolveSymbol(const std::string &path, const std::string &name,
                      void *&out);

private:
  /// Opens the library if it is not open yet; the caller holds `mutex`.
  Error load(const std::string &path);

  std::mutex mutex;
  void *handle = nullptr;
  std::atomic<CpuEntryFn> fn{nullptr};
};

} // namespace rt
} // namespace attnc

#endif // ATTNC_RUNTIME_CPULOADER_H
