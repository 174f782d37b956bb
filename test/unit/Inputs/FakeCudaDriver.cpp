//===- FakeCudaDriver.cpp - A stand-in libcuda for runtime tests ----------===//
//
// This file implements the few driver API entry points attnc_runtime
// resolves, with the exact exported names of libcuda.so.1 (including the
// _v2 suffixes), so that RuntimeTest.cpp can drive the CUDA launch path on a
// machine without a GPU: "device memory" is whatever address ranges the test
// registers, modules are the bytes handed to cuModuleLoadData, and a launch
// records its configuration and argument block instead of running.
//
// It declares its own types rather than including cuda.h: the values below
// are the driver's stable ABI, and spelling them out independently checks
// the names and numbers the runtime takes from the header.
//
//===----------------------------------------------------------------------===//

#include "FakeCudaDriver.h"

#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
struct Ctx {
  int unused;
};
struct Module {
  std::string image;
};
struct Function {
  Module *module;
};
typedef Ctx *CUcontext;
typedef Module *CUmodule;
typedef Function *CUfunction;
typedef void *CUstream;

constexpr CUresult kSuccess = 0;
constexpr CUresult kInvalidValue = 1;
constexpr CUresult kNotInitialized = 3;
constexpr CUresult kInvalidImage = 200;
constexpr CUresult kInvalidContext = 201;
constexpr CUresult kInvalidHandle = 400;
constexpr CUresult kNotFound = 500;

constexpr int kAttrMajor = 75, kAttrMinor = 76, kAttrSharedOptin = 97;
constexpr int kPointerMemoryType = 2;
constexpr int kFuncMaxDynamicShared = 8;

struct Range {
  const char *begin;
  size_t size;
  unsigned memoryType; // 1 host, 2 device
};

} // namespace

FakeCudaState gState;

namespace {

Ctx gContext = {0};
std::vector<Range> gRanges;
// Handles live until exit: a test may still hold them after an unload.
std::vector<std::unique_ptr<Module>> gModules;
std::vector<std::unique_ptr<Function>> gFunctions;

} // namespace

#define FAKE_API extern "C" __attribute__((visibility("default")))

FAKE_API FakeCudaState *fake_cuda_state() { return &gState; }

FAKE_API void fake_cuda_reset() {
  std::memset(&gState, 0, sizeof(gState));
  gState.major = 8;
  gState.minor = 0;
  gState.sharedOptin = 101376;
  gState.contextCurrent = 1;
  gState.kernelName = "attnc_fake_fwd";
  gState.contextId = 42;
  gRanges.clear();
}

FAKE_API void fake_cuda_add_range(const void *p, size_t size,
                                  unsigned memoryType) {
  gRanges.push_back({static_cast<const char *>(p), size, memoryType});
}

FAKE_API CUresult cuInit(unsigned) { return gState.initResult; }

FAKE_API CUresult cuGetErrorName(CUresult r, const char **out) {
  switch (r) {
  case kSuccess:
    *out = "CUDA_SUCCESS";
    return kSuccess;
  case kInvalidValue:
    *out = "CUDA_ERROR_INVALID_VALUE";
    return kSuccess;
  case kNotInitialized:
    *out = "CUDA_ERROR_NOT_INITIALIZED";
    return kSuccess;
  case kNotFound:
    *out = "CUDA_ERROR_NOT_FOUND";
    return kSuccess;
  case kInvalidImage:
    *out = "CUDA_ERROR_INVALID_IMAGE";
    return kSuccess;
  }
  *out = nullptr;
  return kInvalidValue;
}

FAKE_API CUresult cuGetErrorString(CUresult r, const char **out) {
  switch (r) {
  case kInvalidValue:
    *out = "invalid argument";
    return kSuccess;
  case kNotInitialized:
    *out = "initialization error";
    return kSuccess;
  case kNotFound:
    *out = "named symbol not found";
    return kSuccess;
  case kInvalidImage:
    *out = "device kernel image is invalid";
    return kSuccess;
  }
  *out = nullptr;
  return kInvalidValue;
}

FAKE_API CUresult cuCtxGetCurrent(CUcontext *ctx) {
  *ctx = gState.contextCurrent ? &gContext : nullptr;
  return kSuccess;
}

FAKE_API CUresult cuCtxPushCurrent_v2(CUcontext ctx) {
  if (ctx != &gContext)
    return kInvalidContext;
  ++gState.pushes;
  return kSuccess;
}

FAKE_API CUresult cuCtxPopCurrent_v2(CUcontext *ctx) {
  ++gState.pops;
  *ctx = &gContext;
  return kSuccess;
}

FAKE_API CUresult cuCtxGetDevice(CUdevice *dev) {
  *dev = 0;
  return kSuccess;
}

FAKE_API CUresult cuCtxGetId(CUcontext ctx, unsigned long long *id) {
  if (!ctx)
    return kInvalidContext;
  // The handle stays the same when a test "recreates" the context; the id
  // tells them apart, as with the real driver.
  *id = gState.contextId;
  return kSuccess;
}

FAKE_API CUresult cuStreamGetCtx(CUstream stream, CUcontext *ctx) {
  if (!stream)
    return kInvalidHandle;
  *ctx = &gContext;
  return kSuccess;
}

FAKE_API CUresult cuDeviceGetAttribute(int *value, int attribute, CUdevice) {
  switch (attribute) {
  case kAttrMajor:
    *value = gState.major;
    return kSuccess;
  case kAttrMinor:
    *value = gState.minor;
    return kSuccess;
  case kAttrSharedOptin:
    *value = gState.sharedOptin;
    return kSuccess;
  }
  return kInvalidValue;
}

FAKE_API CUresult cuPointerGetAttribute(void *data, int attribute,
                                        CUdeviceptr ptr) {
  if (attribute != kPointerMemoryType)
    return kInvalidValue;
  const char *p = reinterpret_cast<const char *>(ptr);
  for (const Range &r : gRanges) {
    if (p >= r.begin && p < r.begin + r.size) {
      *static_cast<unsigned *>(data) = r.memoryType;
      return kSuccess;
    }
  }
  return kInvalidValue;
}

FAKE_API CUresult cuModuleLoadData(CUmodule *module, const void *image) {
  // Cubins are ELF (size from the section headers, not needed here); the
  // test's fake cubins are text. Record a prefix and a plausible size.
  const char *bytes = static_cast<const char *>(image);
  size_t size = 0;
  if (std::memcmp(bytes,
                  "\x7f"
                  "ELF",
                  4) == 0) {
    // A 64-bit ELF ends with its section headers: e_shoff + e_shnum *
    // e_shentsize.
    unsigned long long shoff = 0;
    unsigned short shentsize = 0, shnum = 0;
    std::memcpy(&shoff, bytes + 0x28, 8);
    std::memcpy(&shentsize, bytes + 0x3a, 2);
    std::memcpy(&shnum, bytes + 0x3c, 2);
    size = static_cast<size_t>(shoff) + size_t(shentsize) * shnum;
  } else {
    size = std::strlen(bytes);
  }
  if (size == 0)
    return kInvalidImage;
  ++gState.moduleLoads;
  std::memset(gState.lastImage, 0, sizeof(gState.lastImage));
  std::memcpy(gState.lastImage, bytes,
              size < sizeof(gState.lastImage) - 1
                  ? size
                  : sizeof(gState.lastImage) - 1);
  gState.lastImageSize = size;
  gModules.push_back(
      std::make_unique<Module>(Module{std::string(bytes, size)}));
  *module = gModules.back().get();
  return kSuccess;
}

FAKE_API CUresult cuModuleUnload(CUmodule module) {
  ++gState.moduleUnloads;
  (void)module;
  return kSuccess;
}

FAKE_API CUresult cuModuleGetFunction(CUfunction *fn, CUmodule module,
                                      const char *name) {
  if (std::strcmp(name, gState.kernelName) != 0)
    return kNotFound;
  gFunctions.push_back(std::make_unique<Function>(Function{module}));
  *fn = gFunctions.back().get();
  return kSuccess;
}

/// The kernel's signature: the fake finds the text the compiler writes
/// ("attnc-signature ...", a __constant__ string in a real cubin, a line in
/// the tests' fake ones) anywhere in the image, under any name ending in
/// "_signature" (the runtime asks for the kernel's name + "_signature").
FAKE_API CUresult cuModuleGetGlobal_v2(CUdeviceptr *out, size_t *bytes,
                                       CUmodule module, const char *name) {
  if (!module)
    return kInvalidHandle;
  const std::string suffix = "_signature", symbol = name;
  if (symbol.size() <= suffix.size() ||
      symbol.compare(symbol.size() - suffix.size(), suffix.size(), suffix) != 0)
    return kNotFound;
  size_t at = module->image.find("attnc-signature ");
  if (at == std::string::npos)
    return kNotFound;
  const char *text = module->image.c_str() + at;
  if (out)
    *out = reinterpret_cast<CUdeviceptr>(text);
  if (bytes)
    *bytes = std::strlen(text) + 1;
  return kSuccess;
}

FAKE_API CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t bytes) {
  std::memcpy(dst, reinterpret_cast<const void *>(src), bytes);
  return kSuccess;
}

FAKE_API CUresult cuFuncSetAttribute(CUfunction, int attribute, int value) {
  if (attribute != kFuncMaxDynamicShared)
    return kInvalidValue;
  ++gState.setAttributes;
  gState.lastSetAttributeValue = value;
  return kSuccess;
}

FAKE_API CUresult cuLaunchKernel(CUfunction, unsigned gx, unsigned gy,
                                 unsigned gz, unsigned bx, unsigned by,
                                 unsigned bz, unsigned shared, CUstream stream,
                                 void **params, void **extra) {
  if (!params || extra)
    return kInvalidValue;
  ++gState.launches;
  gState.grid[0] = gx;
  gState.grid[1] = gy;
  gState.grid[2] = gz;
  gState.block[0] = bx;
  gState.block[1] = by;
  gState.block[2] = bz;
  gState.sharedBytes = shared;
  gState.stream = stream;
  // The kernel's one by-value parameter; a real driver copies as many bytes
  // as the kernel's parameter metadata says.
  std::memcpy(&gState.args, params[0], sizeof(AttncKernelArgs));
  return kSuccess;
}
