//===- CudaDriverApi.cpp - The driver calls of attnc's host tools ---------===//

#include "tools/cuda-driver/CudaDriverApi.h"

#include <dlfcn.h>

namespace attnc {

std::string CudaDriverApi::load() {
  void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!h)
    return std::string("no CUDA driver (libcuda.so.1: ") + dlerror() + ")";
  auto sym = [&](const char *name) { return dlsym(h, name); };
  typedef int (*InitFn)(unsigned);
  typedef int (*DeviceGetFn)(int *, int);
  typedef int (*PrimaryRetainFn)(void **, int);
  typedef int (*CtxSetFn)(void *);
  auto init = (InitFn)sym("cuInit");
  auto deviceGet = (DeviceGetFn)sym("cuDeviceGet");
  auto primaryRetain = (PrimaryRetainFn)sym("cuDevicePrimaryCtxRetain");
  auto ctxSet = (CtxSetFn)sym("cuCtxSetCurrent");
  memAlloc = (MemAllocFn)sym("cuMemAlloc_v2");
  memFree = (MemFreeFn)sym("cuMemFree_v2");
  htod = (HtoDFn)sym("cuMemcpyHtoD_v2");
  dtoh = (DtoHFn)sym("cuMemcpyDtoH_v2");
  sync = (SyncFn)sym("cuCtxSynchronize");
  if (!init || !deviceGet || !primaryRetain || !ctxSet || !memAlloc ||
      !memFree || !htod || !dtoh || !sync)
    return "libcuda.so.1 lacks a driver API entry point";
  int device = 0;
  void *ctx = nullptr;
  if (int rc = init(0))
    return "cuInit failed (CUDA error " + std::to_string(rc) + ")";
  if (int rc = deviceGet(&device, 0))
    return "no CUDA device (CUDA error " + std::to_string(rc) + ")";
  if (primaryRetain(&ctx, device) || ctxSet(ctx))
    return "cannot create a CUDA context on device 0";
  return "";
}

} // namespace attnc
