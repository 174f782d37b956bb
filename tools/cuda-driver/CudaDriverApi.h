//===- CudaDriverApi.h - The driver calls of attnc's host tools -*- C++ -*-===//
//
// `attnc run --backend cuda` and attnc-gpu-check copy tensors to a device
// and back around runtime calls. They resolve the few driver entry points
// they need with dlopen, so that they start (and say why) on a machine
// without a driver; the CPU emulator's libcuda.so.1 serves them too.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TOOLS_CUDADRIVER_CUDADRIVERAPI_H
#define ATTNC_TOOLS_CUDADRIVER_CUDADRIVERAPI_H

#include <cstddef>
#include <string>

namespace attnc {

struct CudaDriverApi {
  typedef int (*MemAllocFn)(unsigned long long *, size_t);
  typedef int (*MemFreeFn)(unsigned long long);
  typedef int (*HtoDFn)(unsigned long long, const void *, size_t);
  typedef int (*DtoHFn)(void *, unsigned long long, size_t);
  typedef int (*SyncFn)();
  MemAllocFn memAlloc = nullptr; ///< cuMemAlloc_v2
  MemFreeFn memFree = nullptr;   ///< cuMemFree_v2
  HtoDFn htod = nullptr;         ///< cuMemcpyHtoD_v2
  DtoHFn dtoh = nullptr;         ///< cuMemcpyDtoH_v2
  SyncFn sync = nullptr;         ///< cuCtxSynchronize

  /// Loads libcuda.so.1, initializes it and makes device 0's primary
  /// context current; returns "" or why not (no driver, no device, ...).
  std::string load();
};

} // namespace attnc

#endif // ATTNC_TOOLS_CUDADRIVER_CUDADRIVERAPI_H
