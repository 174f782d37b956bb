//===- CudaDevice.h - Device copies of host buffers for attnc run -*- C++ -*-===//
//
// `attnc run --backend cuda` prepares its tensors on the host (HostTensors.h)
// and hands the runtime device copies: this class opens the CUDA driver
// (dlopen, so that attnc runs where there is none), makes device 0's primary
// context current, mirrors host buffers into device memory and copies
// results back. Under the CPU emulator's libcuda (docs/testing.md) the
// same code runs the kernels on the CPU.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TOOLS_ATTNC_CUDADEVICE_H
#define ATTNC_TOOLS_ATTNC_CUDADEVICE_H

#include "tools/attnc/HostTensors.h"
#include "tools/cuda-driver/CudaDriverApi.h"

#include <map>
#include <string>

namespace attnc {

class CudaDevice {
public:
  CudaDevice() = default;
  CudaDevice(const CudaDevice &) = delete;
  CudaDevice &operator=(const CudaDevice &) = delete;
  /// Frees every device copy.
  ~CudaDevice();

  /// Loads libcuda.so.1 and makes device 0's primary context current;
  /// returns "" or why not.
  std::string open();

  /// Copies `host` to device memory; `device` is its view there (same
  /// shape and strides). One copy per buffer; "" or the failure.
  std::string mirror(const Buffer &host, attnc_tensor &device);

  /// Waits for the device, then copies the device copy of `host` back into
  /// it; "" or the failure.
  std::string fetch(Buffer &host);

private:
  CudaDriverApi *api = nullptr;
  std::map<const Buffer *, unsigned long long> copies;
};

} // namespace attnc

#endif // ATTNC_TOOLS_ATTNC_CUDADEVICE_H
