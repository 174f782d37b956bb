//===- CudaDevice.cpp - Device copies of host buffers for attnc run -------===//
//
// The few driver API entry points `attnc run --backend cuda` needs, resolved
// with dlopen (the runtime resolves its own the same way).
//
//===----------------------------------------------------------------------===//

#include "tools/attnc/CudaDevice.h"

#include <dlfcn.h>

namespace attnc {

struct CudaDevice::Api {
  typedef int (*InitFn)(unsigned);
  typedef int (*DeviceGetFn)(int *, int);
  typedef int (*PrimaryRetainFn)(void **, int);
  typedef int (*CtxSetFn)(void *);
  typedef int (*MemAllocFn)(unsigned long long *, size_t);
  typedef int (*MemFreeFn)(unsigned long long);
  typedef int (*HtoDFn)(unsigned long long, const void *, size_t);
  typedef int (*DtoHFn)(void *, unsigned long long, size_t);
  typedef int (*SyncFn)();
  InitFn init = nullptr;
  DeviceGetFn deviceGet = nullptr;
  PrimaryRetainFn primaryRetain = nullptr;
  CtxSetFn ctxSet = nullptr;
  MemAllocFn memAlloc = nullptr;
  MemFreeFn memFree = nullptr;
  HtoDFn htod = nullptr;
  DtoHFn dtoh = nullptr;
  SyncFn sync = nullptr;
};

CudaDevice::~CudaDevice() {
  if (api)
    for (auto &[buffer, ptr] : copies)
      api->memFree(ptr);
  delete api;
}

std::string CudaDevice::open() {
  void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!h)
    return std::string("no CUDA driver (libcuda.so.1: ") + dlerror() + ")";
  auto a = new Api;
  auto sym = [&](const char *name) { return dlsym(h, name); };
  a->init = (Api::InitFn)sym("cuInit");
  a->deviceGet = (Api::DeviceGetFn)sym("cuDeviceGet");
  a->primaryRetain = (Api::PrimaryRetainFn)sym("cuDevicePrimaryCtxRetain");
  a->ctxSet = (Api::CtxSetFn)sym("cuCtxSetCurrent");
  a->memAlloc = (Api::MemAllocFn)sym("cuMemAlloc_v2");
  a->memFree = (Api::MemFreeFn)sym("cuMemFree_v2");
  a->htod = (Api::HtoDFn)sym("cuMemcpyHtoD_v2");
  a->dtoh = (Api::DtoHFn)sym("cuMemcpyDtoH_v2");
  a->sync = (Api::SyncFn)sym("cuCtxSynchronize");
  if (!a->init || !a->deviceGet || !a->primaryRetain || !a->ctxSet ||
      !a->memAlloc || !a->memFree || !a->htod || !a->dtoh || !a->sync) {
    delete a;
    return "libcuda.so.1 lacks a driver API entry point";
  }
  api = a;
  int device = 0;
  void *ctx = nullptr;
  if (int rc = api->init(0))
    return "cuInit failed (CUDA error " + std::to_string(rc) + ")";
  if (int rc = api->deviceGet(&device, 0))
    return "no CUDA device (CUDA error " + std::to_string(rc) + ")";
  if (api->primaryRetain(&ctx, device) || api->ctxSet(ctx))
    return "cannot create a CUDA context on device 0";
  return "";
}

std::string CudaDevice::mirror(const Buffer &host, attnc_tensor &device) {
  if (!api)
    return "the CUDA device is not open";
  unsigned long long ptr = 0;
  // At least 16 bytes: a non-null, aligned pointer for empty tensors too.
  const size_t bytes = host.bytes.size() < 16 ? 16 : host.bytes.size();
  if (int rc = api->memAlloc(&ptr, bytes))
    return "cuMemAlloc of " + std::to_string(bytes) +
           " bytes failed (CUDA error " + std::to_string(rc) + ")";
  copies[&host] = ptr;
  if (!host.bytes.empty())
    if (int rc = api->htod(ptr, host.bytes.data(), host.bytes.size()))
      return "cuMemcpyHtoD failed (CUDA error " + std::to_string(rc) + ")";
  device = host.view;
  device.data = reinterpret_cast<void *>(ptr);
  return "";
}

std::string CudaDevice::fetch(Buffer &host) {
  auto it = copies.find(&host);
  if (!api || it == copies.end())
    return "no device copy to fetch";
  if (int rc = api->sync())
    return "the CUDA kernels failed (CUDA error " + std::to_string(rc) + ")";
  if (!host.bytes.empty())
    if (int rc = api->dtoh(host.bytes.data(), it->second, host.bytes.size()))
      return "cuMemcpyDtoH failed (CUDA error " + std::to_string(rc) + ")";
  return "";
}

} // namespace attnc
