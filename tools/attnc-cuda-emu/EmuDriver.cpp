//===- EmuDriver.cpp - A libcuda.so.1 that runs kernels on the CPU --------===//
//
// This file implements the driver API entry points that attnc_runtime and
// attnc-gpu-check resolve, with libcuda's exported names, on top of the
// CPU emulator. Put on the library path as libcuda.so.1 (with the NVRTC
// stand-in as $ATTNC_NVRTC_LIBRARY), it lets the unmodified runtime load a
// package's .cu, check and launch it, and the unmodified GPU test runner
// compare its outputs, on a machine without a GPU:
//
// - one device, compute capability 8.0, 163 KiB of opt-in shared memory
//   (an A100, the oldest GPU the tensor-core path targets);
// - device memory is host memory, each allocation ending at an inaccessible
//   page, so a kernel that runs past the end of a tensor crashes;
// - modules are host shared objects from EmuNvrtc.cpp (real cubins are
//   refused); launches run synchronously through attnc_emu_launch.
//
// Kernels must take attnc's one by-value AttncKernelArgs parameter (every
// attnc CUDA kernel does): the driver copies it and calls the kernel with it.
//
//===----------------------------------------------------------------------===//

#include "EmuDevice.h"

#include "attnc/kernel_abi.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

namespace {

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

// CUresult values (cuda.h).
constexpr CUresult kSuccess = 0;
constexpr CUresult kInvalidValue = 1;
constexpr CUresult kOutOfMemory = 2;
constexpr CUresult kInvalidDevice = 101;
constexpr CUresult kInvalidImage = 200;
constexpr CUresult kInvalidContext = 201;
constexpr CUresult kInvalidHandle = 400;
constexpr CUresult kNotFound = 500;
constexpr CUresult kLaunchFailed = 719;

// Attribute numbers (cuda.h).
constexpr int kAttrMaxThreadsPerBlock = 1, kAttrMultiprocessors = 16,
              kAttrMajor = 75, kAttrMinor = 76, kAttrSharedOptin = 97;
/// The emulated device's SM count: an H100 SXM's, so that launch-time
/// rules that read it (split-KV decode) decide as they would there.
constexpr int kMultiprocessors = 132;
constexpr int kPointerMemoryType = 2, kMemoryTypeDevice = 2;
constexpr int kFuncMaxDynamicShared = 8;
constexpr int kDefaultSharedLimit = 48 * 1024;
constexpr int kSharedOptin = 163 * 1024;

struct Context {
  int unused;
};
struct Module {
  void *handle;
  void *launch; ///< attnc_emu_launch of this module
  /// Variables handed out by cuModuleGetGlobal, forgotten at unload.
  std::vector<const char *> globals;
};
struct Function {
  Module *module;
  void *symbol;
  int maxDynamicShared = kDefaultSharedLimit;
};

struct Allocation {
  void *map;
  size_t mapBytes;
  char *data;
  size_t bytes;
};

Context gContext = {0};
Context *gCurrent = nullptr;
std::vector<Context *> gStack;
std::mutex gMutex;
std::map<const char *, Allocation> gAllocations; // by data pointer
std::vector<Function *> gFunctions;
std::string gLastError;
CUresult gLastCode = kSuccess;

CUresult failWith(CUresult r, const std::string &message) {
  gLastError = "CUDA emulator: " + message;
  gLastCode = r;
  std::fprintf(stderr, "%s\n", gLastError.c_str());
  return r;
}

/// The allocation holding [p, p + bytes), or null.
const Allocation *findAllocation(const void *p, size_t bytes) {
  const char *c = static_cast<const char *>(p);
  auto it = gAllocations.upper_bound(c);
  if (it == gAllocations.begin())
    return nullptr;
  --it;
  const Allocation &a = it->second;
  if (c < a.data || bytes > a.bytes ||
      c - a.data > static_cast<ptrdiff_t>(a.bytes - bytes))
    return nullptr;
  return &a;
}

/// Module globals handed out by cuModuleGetGlobal (__constant__ and
/// __device__ variables), by address, with their sizes: device memory too.
std::map<const char *, size_t> gModuleGlobals;

/// True when [p, p + bytes) lies in one module global.
bool findModuleGlobal(const void *p, size_t bytes) {
  const char *c = static_cast<const char *>(p);
  auto it = gModuleGlobals.upper_bound(c);
  if (it == gModuleGlobals.begin())
    return false;
  --it;
  return c >= it->first && bytes <= it->second &&
         c - it->first <= static_cast<ptrdiff_t>(it->second - bytes);
}

struct KernelCall {
  void (*kernel)(AttncKernelArgs);
  AttncKernelArgs args;
};

void callKernel(void *p) {
  KernelCall *call = static_cast<KernelCall *>(p);
  call->kernel(call->args);
}

#if defined(__x86_64__)
constexpr int kHostMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr int kHostMachine = EM_AARCH64;
#else
constexpr int kHostMachine = -1;
#endif

} // namespace

#define EMU_API extern "C" __attribute__((visibility("default")))

EMU_API CUresult cuInit(unsigned) { return kSuccess; }

EMU_API CUresult cuGetErrorName(CUresult r, const char **out) {
  switch (r) {
  case kSuccess:
    *out = "CUDA_SUCCESS";
    return kSuccess;
  case kInvalidValue:
    *out = "CUDA_ERROR_INVALID_VALUE";
    return kSuccess;
  case kOutOfMemory:
    *out = "CUDA_ERROR_OUT_OF_MEMORY";
    return kSuccess;
  case kInvalidDevice:
    *out = "CUDA_ERROR_INVALID_DEVICE";
    return kSuccess;
  case kInvalidImage:
    *out = "CUDA_ERROR_INVALID_IMAGE";
    return kSuccess;
  case kInvalidContext:
    *out = "CUDA_ERROR_INVALID_CONTEXT";
    return kSuccess;
  case kInvalidHandle:
    *out = "CUDA_ERROR_INVALID_HANDLE";
    return kSuccess;
  case kNotFound:
    *out = "CUDA_ERROR_NOT_FOUND";
    return kSuccess;
  case kLaunchFailed:
    *out = "CUDA_ERROR_LAUNCH_FAILED";
    return kSuccess;
  }
  *out = nullptr;
  return kInvalidValue;
}

/// The emulator's own description of the last failure, so that it reaches
/// the runtime's error message (attnc_last_error).
EMU_API CUresult cuGetErrorString(CUresult r, const char **out) {
  const char *name = nullptr;
  if (cuGetErrorName(r, &name) != kSuccess)
    return kInvalidValue;
  *out = r == gLastCode && !gLastError.empty() ? gLastError.c_str() : name;
  return kSuccess;
}

EMU_API CUresult cuDeviceGet(int *device, int ordinal) {
  if (ordinal != 0)
    return kInvalidDevice;
  *device = 0;
  return kSuccess;
}

EMU_API CUresult cuDevicePrimaryCtxRetain(Context **ctx, int device) {
  if (device != 0)
    return kInvalidDevice;
  *ctx = &gContext;
  return kSuccess;
}

EMU_API CUresult cuCtxSetCurrent(Context *ctx) {
  gCurrent = ctx;
  return kSuccess;
}

EMU_API CUresult cuCtxGetCurrent(Context **ctx) {
  *ctx = gCurrent;
  return kSuccess;
}

EMU_API CUresult cuCtxPushCurrent_v2(Context *ctx) {
  if (ctx != &gContext)
    return kInvalidContext;
  gStack.push_back(gCurrent);
  gCurrent = ctx;
  return kSuccess;
}

EMU_API CUresult cuCtxPopCurrent_v2(Context **ctx) {
  if (ctx)
    *ctx = gCurrent;
  if (gStack.empty())
    return kInvalidContext;
  gCurrent = gStack.back();
  gStack.pop_back();
  return kSuccess;
}

EMU_API CUresult cuCtxGetDevice(int *device) {
  *device = 0;
  return kSuccess;
}

EMU_API CUresult cuCtxGetId(Context *ctx, unsigned long long *id) {
  if (ctx != &gContext)
    return kInvalidContext;
  *id = 1;
  return kSuccess;
}

EMU_API CUresult cuCtxSynchronize() {
  return kSuccess;
} // launches are synchronous

EMU_API CUresult cuStreamGetCtx(void *stream, Context **ctx) {
  *ctx = stream ? &gContext : gCurrent;
  return kSuccess;
}

EMU_API CUresult cuDeviceGetAttribute(int *value, int attribute, int device) {
  if (device != 0)
    return kInvalidDevice;
  switch (attribute) {
  case kAttrMaxThreadsPerBlock:
    *value = 1024;
    return kSuccess;
  case kAttrMultiprocessors:
    *value = kMultiprocessors;
    return kSuccess;
  case kAttrMajor:
    *value = 8;
    return kSuccess;
  case kAttrMinor:
    *value = 0;
    return kSuccess;
  case kAttrSharedOptin:
    *value = kSharedOptin;
    return kSuccess;
  }
  return kInvalidValue;
}

EMU_API CUresult cuMemAlloc_v2(CUdeviceptr *out, size_t bytes) {
  std::lock_guard<std::mutex> lock(gMutex);
  // cudaMalloc's 256-byte alignment, and the end (rounded to that) against
  // an inaccessible page.
  const size_t page = static_cast<size_t>(getpagesize());
  const size_t rounded = (bytes + 255) / 256 * 256;
  const size_t dataPages = (rounded + page - 1) / page * page;
  const size_t mapBytes = dataPages + page;
  void *map = mmap(nullptr, mapBytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED)
    return kOutOfMemory;
  char *base = static_cast<char *>(map);
  mprotect(base + dataPages, page, PROT_NONE);
  char *data = base + dataPages - rounded;
  gAllocations[data] = {map, mapBytes, data, bytes};
  *out = reinterpret_cast<CUdeviceptr>(data);
  return kSuccess;
}

EMU_API CUresult cuMemFree_v2(CUdeviceptr ptr) {
  std::lock_guard<std::mutex> lock(gMutex);
  auto it = gAllocations.find(reinterpret_cast<const char *>(ptr));
  if (it == gAllocations.end())
    return kInvalidValue;
  munmap(it->second.map, it->second.mapBytes);
  gAllocations.erase(it);
  return kSuccess;
}

EMU_API CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src,
                                 size_t bytes) {
  std::lock_guard<std::mutex> lock(gMutex);
  if (!findAllocation(reinterpret_cast<void *>(dst), bytes))
    return kInvalidValue;
  std::memcpy(reinterpret_cast<void *>(dst), src, bytes);
  return kSuccess;
}

EMU_API CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t bytes) {
  std::lock_guard<std::mutex> lock(gMutex);
  if (!findAllocation(reinterpret_cast<void *>(src), bytes) &&
      !findModuleGlobal(reinterpret_cast<void *>(src), bytes))
    return kInvalidValue;
  std::memcpy(dst, reinterpret_cast<void *>(src), bytes);
  return kSuccess;
}

// The stream-ordered allocator and async copies: launches are synchronous
// here, so stream order is program order.
EMU_API CUresult cuMemAllocAsync(CUdeviceptr *out, size_t bytes, void *) {
  return cuMemAlloc_v2(out, bytes);
}

EMU_API CUresult cuMemFreeAsync(CUdeviceptr ptr, void *) {
  return cuMemFree_v2(ptr);
}

EMU_API CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src,
                                      size_t bytes, void *) {
  return cuMemcpyHtoD_v2(dst, src, bytes);
}

EMU_API CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src,
                                      size_t bytes, void *) {
  return cuMemcpyDtoH_v2(dst, src, bytes);
}

EMU_API CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char value,
                                 size_t bytes, void *) {
  std::lock_guard<std::mutex> lock(gMutex);
  if (!findAllocation(reinterpret_cast<void *>(dst), bytes))
    return kInvalidValue;
  std::memset(reinterpret_cast<void *>(dst), value, bytes);
  return kSuccess;
}

EMU_API CUresult cuStreamSynchronize(void *) { return kSuccess; }

EMU_API CUresult cuPointerGetAttribute(void *data, int attribute,
                                       CUdeviceptr ptr) {
  if (attribute != kPointerMemoryType)
    return kInvalidValue;
  std::lock_guard<std::mutex> lock(gMutex);
  if (!findAllocation(reinterpret_cast<void *>(ptr), 1))
    return kInvalidValue; // what libcuda says for unregistered host memory
  *static_cast<unsigned *>(data) = kMemoryTypeDevice;
  return kSuccess;
}

EMU_API CUresult cuModuleLoadData(Module **module, const void *image) {
  const unsigned char *bytes = static_cast<const unsigned char *>(image);
  Elf64_Ehdr header;
  std::memcpy(&header, bytes, sizeof header);
  if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
      header.e_ident[EI_CLASS] != ELFCLASS64)
    return failWith(kInvalidImage, "the module image is not a 64-bit ELF file");
  if (header.e_machine != kHostMachine)
    return failWith(kInvalidImage,
                    "the module is not a host shared object (a real cubin?); "
                    "the emulator runs what its NVRTC stand-in builds: "
                    "compile the package with --no-cuda-build");
  // ld puts the section headers last: they end the file.
  const size_t size =
      header.e_shoff + static_cast<size_t>(header.e_shnum) * header.e_shentsize;
  char path[] = "/tmp/attnc-emu-module-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0)
    return failWith(kInvalidImage, "cannot write the module to /tmp");
  bool written = write(fd, bytes, size) == static_cast<ssize_t>(size);
  close(fd);
  void *handle = written ? dlopen(path, RTLD_NOW | RTLD_LOCAL) : nullptr;
  const char *why = handle ? nullptr : dlerror();
  unlink(path);
  if (!handle)
    return failWith(kInvalidImage, std::string("cannot load the module: ") +
                                       (why ? why : "short write"));
  void *launch = dlsym(handle, "attnc_emu_launch");
  if (!launch) {
    dlclose(handle);
    return failWith(kInvalidImage, "the module lacks attnc_emu_launch");
  }
  *module = new Module{handle, launch, {}};
  return kSuccess;
}

EMU_API CUresult cuModuleUnload(Module *module) {
  if (!module)
    return kInvalidHandle;
  {
    std::lock_guard<std::mutex> lock(gMutex);
    for (const char *global : module->globals)
      gModuleGlobals.erase(global);
  }
  dlclose(module->handle);
  delete module;
  return kSuccess;
}

EMU_API CUresult cuModuleGetFunction(Function **fn, Module *module,
                                     const char *name) {
  if (!module)
    return kInvalidHandle;
  void *symbol = dlsym(module->handle, name);
  if (!symbol)
    return kNotFound;
  std::lock_guard<std::mutex> lock(gMutex);
  gFunctions.push_back(new Function{module, symbol});
  *fn = gFunctions.back();
  return kSuccess;
}

EMU_API CUresult cuModuleGetGlobal_v2(CUdeviceptr *out, size_t *bytes,
                                      Module *module, const char *name) {
  if (!module)
    return kInvalidHandle;
  void *symbol = dlsym(module->handle, name);
  void *extra = nullptr;
  Dl_info info;
  if (!symbol || !dladdr1(symbol, &info, &extra, RTLD_DL_SYMENT))
    return kNotFound;
  const ElfW(Sym) *entry = static_cast<const ElfW(Sym) *>(extra);
  if (!entry || ELF64_ST_TYPE(entry->st_info) != STT_OBJECT)
    return kNotFound;
  // Like the driver, only the module's own variables: dlsym would also find
  // a dependency's symbol.
  void *own = nullptr;
  if (dlinfo(module->handle, RTLD_DI_LINKMAP, &own) != 0 ||
      info.dli_fbase !=
          reinterpret_cast<void *>(static_cast<struct link_map *>(own)->l_addr))
    return kNotFound;
  std::lock_guard<std::mutex> lock(gMutex);
  gModuleGlobals[static_cast<const char *>(symbol)] = entry->st_size;
  module->globals.push_back(static_cast<const char *>(symbol));
  if (out)
    *out = reinterpret_cast<CUdeviceptr>(symbol);
  if (bytes)
    *bytes = entry->st_size;
  return kSuccess;
}

EMU_API CUresult cuFuncSetAttribute(Function *fn, int attribute, int value) {
  if (!fn || attribute != kFuncMaxDynamicShared || value < 0 ||
      value > kSharedOptin)
    return kInvalidValue;
  fn->maxDynamicShared = value;
  return kSuccess;
}

EMU_API CUresult cuLaunchKernel(Function *fn, unsigned gx, unsigned gy,
                                unsigned gz, unsigned bx, unsigned by,
                                unsigned bz, unsigned shared, void *,
                                void **params, void **extra) {
  if (!fn)
    return kInvalidHandle;
  if (!params || extra)
    return failWith(kInvalidValue, "launch without kernelParams");
  if (!gx || !gy || !gz || gy > 65535 || gz > 65535)
    return failWith(kInvalidValue, "grid out of range");
  if (static_cast<int>(shared) > fn->maxDynamicShared)
    return failWith(kInvalidValue,
                    std::to_string(shared) +
                        " bytes of dynamic shared memory without "
                        "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)");
  KernelCall call;
  call.kernel = reinterpret_cast<void (*)(AttncKernelArgs)>(fn->symbol);
  std::memcpy(&call.args, params[0], sizeof call.args);
  std::vector<AttncEmuRange> ranges;
  {
    std::lock_guard<std::mutex> lock(gMutex);
    for (const auto &a : gAllocations)
      ranges.push_back({a.second.data, a.second.bytes});
  }
  AttncEmuLaunch launch = {{gx, gy, gz}, {bx, by, bz}, shared,
                           callKernel,   &call,        ranges.data(),
                           ranges.size()};
  char error[600] = "";
  auto run = reinterpret_cast<int (*)(const AttncEmuLaunch *, char *, size_t)>(
      fn->module->launch);
  if (run(&launch, error, sizeof error) != 0)
    return failWith(kLaunchFailed, error);
  return kSuccess;
}
