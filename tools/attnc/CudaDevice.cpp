//===- CudaDevice.cpp - Device copies of host buffers for attnc run -------===//
//
// Device copies through the host tools' driver calls (tools/cuda-driver).
//
//===----------------------------------------------------------------------===//

#include "tools/attnc/CudaDevice.h"

#include <memory>

namespace attnc {

CudaDevice::~CudaDevice() {
  if (api)
    for (auto &[buffer, ptr] : copies)
      api->memFree(ptr);
  delete api;
}

std::string CudaDevice::open() {
  auto a = std::make_unique<CudaDriverApi>();
  if (std::string e = a->load(); !e.empty())
    return e;
  api = a.release();
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
