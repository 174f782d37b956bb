//===- CudaLoader.h - Loading and launching CUDA kernels --------*- C++ -*-===//
//
// This file declares CudaModules, the per-package cache of loaded CUDA
// modules (one per context), and the launch path behind attnc_launch_cuda.
// libcuda.so.1 and libnvrtc are opened with dlopen on first use, so the
// runtime loads and runs on machines without a driver and reports "CUDA
// driver not available (...)" there instead of failing to load.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_CUDALOADER_H
#define ATTNC_RUNTIME_CUDALOADER_H

#include "Error.h"
#include "Manifest.h"

#include "attnc/kernel_abi.h"

#include <functional>
#include <memory>
#include <string>

namespace attnc {
namespace rt {

/// A checked launch: the kernel arguments and the pointers that must be
/// device memory.
struct CudaLaunch {
  AttncKernelArgs args;
  /// Query heads (grid y).
  long long heads = 0;
  /// Names ("q", "params[0] 'doc'") and pointers of every tensor passed.
  struct Pointer {
    std::string name;
    const void *data;
  };
  std::vector<Pointer> pointers;
};

/// One sequence of CUDA work on a stream for one call (docs/runtime.md,
/// "CUDA sessions"): kernels of the package's module launched by name, the
/// attention kernel on its grid, device memory in stream order. Temporaries
/// are freed (stream-ordered) when the session ends; kept memory outlives it
/// and is released with freeCudaMemory.
class CudaSession {
public:
  virtual ~CudaSession() = default;
  virtual Error alloc(size_t bytes, void *&ptr, bool keep = false) = 0;
  virtual Error zero(void *ptr, size_t bytes) = 0;
  virtual Error toDevice(void *dst, const void *src, size_t bytes) = 0;
  /// Copies to the host after the work queued so far (synchronizes).
  virtual Error toHost(void *dst, const void *src, size_t bytes) = 0;
  /// A 1-D grid of `grid` blocks of `threads` threads with `sharedBytes`
  /// of dynamic shared memory (at most 48 KiB); `params` as cuLaunchKernel
  /// takes them.
  virtual Error launch(const std::string &kernel, unsigned long long grid,
                       unsigned threads, void **params,
                       unsigned sharedBytes = 0) = 0;
  /// The package's attention kernel with `args`, on its usual grid.
  virtual Error launchMain(const AttncKernelArgs &args) = 0;
  /// The CUcontext the session runs in.
  virtual void *context() const = 0;
  /// The streaming multiprocessors of the context's device (split-KV's
  /// rule, runtime/include/attnc/kv_splits.h).
  virtual Error multiprocessors(int &count) = 0;
};

/// Frees memory a session kept, in CUcontext `context` (synchronous).
void freeCudaMemory(void *context, void *ptr);

class CudaModules {
public:
  CudaModules();
  CudaModules(const CudaModules &) = delete;
  CudaModules &operator=(const CudaModules &) = delete;
  /// Unloads every module whose context is still alive.
  ~CudaModules();

  /// Launches the package's kernel on `stream` (a CUstream, or null for the
  /// calling thread's current context and its default stream).
  Error launch(const std::string &dir, const Manifest &manifest,
               const CudaLaunch &launch, void *stream);

  /// Runs `body` in a session on `stream` after the checks `launch` does
  /// (grid limits, device pointers), with the package's module loaded.
  Error run(const std::string &dir, const Manifest &manifest,
            const CudaLaunch &launch, void *stream,
            const std::function<Error(CudaSession &)> &body);

  /// Loads the module for `stream`'s context without launching.
  Error prepare(const std::string &dir, const Manifest &manifest, void *stream);

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

/// Compiles CUDA `source` (named `name` in diagnostics) for `arch` (e.g.
/// "sm_90") with NVRTC, loaded with dlopen, and returns the cubin.
Error compileWithNvrtc(const std::string &source, const std::string &name,
                       const std::string &arch, std::string &cubin);

/// Testing hook: makes the next CUDA call load the driver from `path`
/// instead of "libcuda.so.1" (null restores the default). Modules already
/// cached keep the driver that loaded them.
void setCudaDriverLibraryForTesting(const char *path);

/// True when the runtime was built with the CUDA headers (the launch path);
/// false for the stub that always reports CUDA as unsupported.
bool cudaSupportCompiledIn();

} // namespace rt
} // namespace attnc

#endif // ATTNC_RUNTIME_CUDALOADER_H
