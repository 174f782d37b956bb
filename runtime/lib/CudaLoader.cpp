//===- CudaLoader.cpp - Loading and launching CUDA kernels ----------------===//
//
// This file implements the CUDA path of the runtime on top of the driver API,
// resolved from libcuda.so.1 with dlsym (never linked). cuda.h supplies only
// types and the macros that map names such as cuCtxPushCurrent to their
// current ABI (cuCtxPushCurrent_v2); the symbol names below are taken from
// those macros, so they follow the header.
//
// Module selection for a context on a device of compute capability X.Y: the
// package's cubin for "sm_XY" if it has one, else the package's .cu compiled
// by NVRTC for sm_XY (the cubin kept per arch, so a second context on the
// same arch does not compile again). Modules are cached per context, keyed by
// cuCtxGetId where the driver has it, since context handles can be reused.
//
//===----------------------------------------------------------------------===//

#include "CudaLoader.h"

#include "Signature.h"

#include <cuda.h>
#include <nvrtc.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include <dlfcn.h>
#include <unistd.h>

using namespace attnc::rt;

#define ATTNC_STR2(x) #x
#define ATTNC_STR(x) ATTNC_STR2(x)

// Driver functions the launch path needs. Each name is expanded through
// cuda.h's macros before it is stringified for dlsym.
#define ATTNC_CUDA_REQUIRED(X)                                                 \
  X(cuInit)                                                                    \
  X(cuGetErrorName)                                                            \
  X(cuGetErrorString)                                                          \
  X(cuCtxGetCurrent)                                                           \
  X(cuCtxPushCurrent)                                                          \
  X(cuCtxPopCurrent)                                                           \
  X(cuCtxGetDevice)                                                            \
  X(cuStreamGetCtx)                                                            \
  X(cuDeviceGetAttribute)                                                      \
  X(cuPointerGetAttribute)                                                     \
  X(cuModuleLoadData)                                                          \
  X(cuModuleUnload)                                                            \
  X(cuModuleGetFunction)                                                       \
  X(cuModuleGetGlobal)                                                         \
  X(cuMemcpyDtoH)                                                              \
  X(cuFuncSetAttribute)                                                        \
  X(cuLaunchKernel)

// Functions used when present (cuCtxGetId arrived with CUDA 12.0; the
// stream-ordered allocator with 11.2). Sessions (prologue kernels, runtime
// block masks) need the memory functions and say so when they are missing.
#define ATTNC_CUDA_OPTIONAL(X)                                                 \
  X(cuCtxGetId)                                                                \
  X(cuMemAlloc)                                                                \
  X(cuMemFree)                                                                 \
  X(cuMemAllocAsync)                                                           \
  X(cuMemFreeAsync)                                                            \
  X(cuMemsetD8Async)                                                           \
  X(cuMemcpyHtoDAsync)                                                         \
  X(cuMemcpyDtoHAsync)                                                         \
  X(cuStreamSynchronize)

#define ATTNC_NVRTC_FUNCTIONS(X)                                               \
  X(nvrtcGetErrorString)                                                       \
  X(nvrtcCreateProgram)                                                        \
  X(nvrtcCompileProgram)                                                       \
  X(nvrtcGetProgramLogSize)                                                    \
  X(nvrtcGetProgramLog)                                                        \
  X(nvrtcGetCUBINSize)                                                         \
  X(nvrtcGetCUBIN)                                                             \
  X(nvrtcDestroyProgram)

namespace {

constexpr size_t kMaxCubinBytes = size_t(1) << 30;
constexpr size_t kMaxSourceBytes = size_t(64) << 20;
constexpr int kDefaultSharedLimit = 48 * 1024;
constexpr size_t kMaxLogBytes = 4000;

struct Driver {
  void *handle = nullptr;
#define ATTNC_MEMBER(name) decltype(&::name) name = nullptr;
  ATTNC_CUDA_REQUIRED(ATTNC_MEMBER)
  ATTNC_CUDA_OPTIONAL(ATTNC_MEMBER)
};

struct Nvrtc {
  void *handle = nullptr;
  /// Where cuda_fp16.h and friends are, for --include-path; may be empty.
  std::string includeDir;
  ATTNC_NVRTC_FUNCTIONS(ATTNC_MEMBER)
#undef ATTNC_MEMBER
};

//===----------------------------------------------------------------------===//
// Loading libcuda and libnvrtc
//===----------------------------------------------------------------------===//

std::mutex gDriverMutex;
std::string gDriverPath = "libcuda.so.1";
bool gDriverTried = false;
std::shared_ptr<const Driver> gDriver;
Error gDriverError;

std::string cuError(const Driver &d, const char *call, CUresult r) {
  const char *name = nullptr, *text = nullptr;
  if (d.cuGetErrorName(r, &name) != CUDA_SUCCESS || !name)
    name = nullptr;
  if (d.cuGetErrorString(r, &text) != CUDA_SUCCESS || !text)
    text = nullptr;
  std::string s = std::string(call) + ": ";
  s += name ? name : "CUDA error " + std::to_string(static_cast<int>(r));
  if (text)
    s += std::string(": ") + text;
  return s;
}

Error loadDriver(const std::string &path, std::shared_ptr<const Driver> &out) {
  auto unavailable = [](const std::string &why) {
    return makeError(ATTNC_ERROR_CUDA_UNAVAILABLE,
                     "CUDA driver not available (" + why + ")");
  };
  ::dlerror();
  // The driver is never dlclosed: the CUDA runtime and other libraries in the
  // process share it, and unloading it under them is not supported.
  void *h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char *why = ::dlerror();
    return unavailable(why ? why : path + ": cannot be loaded");
  }
  auto d = std::make_shared<Driver>();
  d->handle = h;
#define ATTNC_LOAD_REQUIRED(name)                                              \
  d->name = reinterpret_cast<decltype(d->name)>(::dlsym(h, ATTNC_STR(name)));  \
  if (!d->name)                                                                \
    return unavailable(path + " has no symbol '" ATTNC_STR(name) "'");
#define ATTNC_LOAD_OPTIONAL(name)                                              \
  d->name = reinterpret_cast<decltype(d->name)>(::dlsym(h, ATTNC_STR(name)));
  ATTNC_CUDA_REQUIRED(ATTNC_LOAD_REQUIRED)
  ATTNC_CUDA_OPTIONAL(ATTNC_LOAD_OPTIONAL)
#undef ATTNC_LOAD_REQUIRED
#undef ATTNC_LOAD_OPTIONAL
  CUresult r = d->cuInit(0);
  if (r != CUDA_SUCCESS)
    return unavailable(cuError(*d, "cuInit", r));
  out = std::move(d);
  return success();
}

/// Returns the process's driver, loading it on first use. A failure is
/// remembered: retrying dlopen on every launch would only repeat it.
Error getDriver(std::shared_ptr<const Driver> &out) {
  std::lock_guard<std::mutex> lock(gDriverMutex);
  if (!gDriverTried) {
    gDriverTried = true;
    gDriverError = loadDriver(gDriverPath, gDriver);
  }
  if (gDriverError.failed())
    return gDriverError;
  out = gDriver;
  return success();
}

std::mutex gNvrtcMutex;
bool gNvrtcTried = false;
Nvrtc gNvrtc;
Error gNvrtcError;

/// The names to try for libnvrtc, newest first: plain sonames through the
/// loader's search path, then the same names in the usual toolkit folders.
std::vector<std::string> nvrtcCandidates() {
  if (const char *env = std::getenv("ATTNC_NVRTC_LIBRARY"))
    if (*env)
      return {env};
  static const char *const names[] = {"libnvrtc.so.13", "libnvrtc.so.12",
                                      "libnvrtc.so.11.2", "libnvrtc.so"};
  std::vector<std::string> dirs;
  for (const char *var : {"CUDA_HOME", "CUDA_PATH"})
    if (const char *env = std::getenv(var))
      if (*env)
        dirs.push_back(std::string(env) + "/lib64/");
  dirs.push_back("/usr/local/cuda/lib64/");
  std::vector<std::string> out;
  for (const char *n : names)
    out.push_back(n);
  for (const std::string &dir : dirs)
    for (const char *n : names)
      out.push_back(dir + n);
  return out;
}

bool hasCudaHeaders(const std::string &dir) {
  return !dir.empty() && ::access((dir + "/cuda_fp16.h").c_str(), R_OK) == 0;
}

/// Generated kernels include <cuda_fp16.h> and <cuda_bf16.h>, which NVRTC
/// does not bundle: find the toolkit's include directory, preferring the
/// one next to the libnvrtc actually loaded so that headers and compiler
/// match.
std::string findCudaIncludeDir(void *nvrtcSymbol) {
  if (const char *env = std::getenv("ATTNC_NVRTC_INCLUDE"))
    if (*env)
      return env;
  std::vector<std::string> candidates;
  Dl_info info;
  if (nvrtcSymbol && ::dladdr(nvrtcSymbol, &info) && info.dli_fname) {
    if (char *real = ::realpath(info.dli_fname, nullptr)) {
      std::string lib = real;
      std::free(real);
      // <root>/lib64/libnvrtc.so.13 or <root>/targets/<arch>/lib/...
      size_t slash = lib.rfind('/');
      if (slash != std::string::npos) {
        std::string libDir = lib.substr(0, slash);
        size_t up = libDir.rfind('/');
        if (up != std::string::npos)
          candidates.push_back(libDir.substr(0, up) + "/include");
      }
    }
  }
  for (const char *var : {"CUDA_HOME", "CUDA_PATH"})
    if (const char *env = std::getenv(var))
      if (*env)
        candidates.push_back(std::string(env) + "/include");
#ifdef ATTNC_CUDA_BUILD_INCLUDE_DIR
  candidates.push_back(ATTNC_CUDA_BUILD_INCLUDE_DIR);
#endif
  candidates.push_back("/usr/local/cuda/include");
  for (const std::string &dir : candidates)
    if (hasCudaHeaders(dir))
      return dir;
  return "";
}

Error getNvrtc(const Nvrtc *&out) {
  std::lock_guard<std::mutex> lock(gNvrtcMutex);
  if (!gNvrtcTried) {
    gNvrtcTried = true;
    std::string lastWhy;
    void *h = nullptr;
    for (const std::string &name : nvrtcCandidates()) {
      ::dlerror();
      h = ::dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (h)
        break;
      const char *why = ::dlerror();
      lastWhy = why ? why : name + ": cannot be loaded";
    }
    const char *override = std::getenv("ATTNC_NVRTC_LIBRARY");
    if (!h && override && *override) {
      gNvrtcError = makeError(
          ATTNC_ERROR_COMPILE,
          "NVRTC not available ($ATTNC_NVRTC_LIBRARY: " + lastWhy + ")");
    } else if (!h) {
      gNvrtcError =
          makeError(ATTNC_ERROR_COMPILE,
                    "NVRTC not available (tried libnvrtc.so.13, .12, .11.2 and "
                    "libnvrtc.so on the library path, in $CUDA_HOME/lib64, "
                    "$CUDA_PATH/lib64 and /usr/local/cuda/lib64, or "
                    "$ATTNC_NVRTC_LIBRARY; last error: " +
                        lastWhy + ")");
    } else {
      gNvrtc.handle = h;
#define ATTNC_LOAD_NVRTC(name)                                                 \
  gNvrtc.name =                                                                \
      reinterpret_cast<decltype(gNvrtc.name)>(::dlsym(h, ATTNC_STR(name)));    \
  if (!gNvrtc.name && !gNvrtcError.failed())                                   \
    gNvrtcError = makeError(ATTNC_ERROR_COMPILE,                               \
                            "NVRTC not available (the loaded libnvrtc has no " \
                            "symbol '" ATTNC_STR(name) "')");
      ATTNC_NVRTC_FUNCTIONS(ATTNC_LOAD_NVRTC)
#undef ATTNC_LOAD_NVRTC
      if (!gNvrtcError.failed())
        gNvrtc.includeDir = findCudaIncludeDir(
            reinterpret_cast<void *>(gNvrtc.nvrtcCreateProgram));
    }
  }
  if (gNvrtcError.failed())
    return gNvrtcError;
  out = &gNvrtc;
  return success();
}

//===----------------------------------------------------------------------===//
// Contexts and modules
//===----------------------------------------------------------------------===//

bool isDefaultStream(CUstream s) {
  return s == nullptr || s == CU_STREAM_LEGACY || s == CU_STREAM_PER_THREAD;
}

/// Makes `ctx` current for the guard's lifetime if it is not already.
class ContextGuard {
public:
  ContextGuard(const Driver &d) : d(d) {}
  ~ContextGuard() {
    if (pushed) {
      CUcontext popped;
      d.cuCtxPopCurrent(&popped);
    }
  }

  Error enter(CUcontext ctx) {
    CUcontext current = nullptr;
    CUresult r = d.cuCtxGetCurrent(&current);
    if (r != CUDA_SUCCESS)
      return makeError(ATTNC_ERROR_CUDA, cuError(d, "cuCtxGetCurrent", r));
    if (current == ctx)
      return success();
    r = d.cuCtxPushCurrent(ctx);
    if (r != CUDA_SUCCESS)
      return makeError(ATTNC_ERROR_CUDA, cuError(d, "cuCtxPushCurrent", r));
    pushed = true;
    return success();
  }

private:
  const Driver &d;
  bool pushed = false;
};

/// Finds the context a launch on `stream` runs in.
Error streamContext(const Driver &d, CUstream stream, CUcontext &ctx) {
  ctx = nullptr;
  if (isDefaultStream(stream)) {
    CUresult r = d.cuCtxGetCurrent(&ctx);
    if (r != CUDA_SUCCESS)
      return makeError(ATTNC_ERROR_CUDA, cuError(d, "cuCtxGetCurrent", r));
    if (!ctx)
      return makeError(ATTNC_ERROR_CUDA,
                       "no CUDA context is current on this thread; make one "
                       "current (cudaSetDevice and any CUDA runtime call, or "
                       "cuCtxSetCurrent) or pass a stream");
    return success();
  }
  CUresult r = d.cuStreamGetCtx(stream, &ctx);
  if (r != CUDA_SUCCESS)
    return makeError(ATTNC_ERROR_CUDA, cuError(d, "cuStreamGetCtx", r) +
                                           " (is the stream valid?)");
  return success();
}

unsigned long long contextKey(const Driver &d, CUcontext ctx) {
  unsigned long long id = 0;
  if (d.cuCtxGetId && d.cuCtxGetId(ctx, &id) == CUDA_SUCCESS)
    return id;
  return static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(ctx));
}

struct LoadedModule {
  std::shared_ptr<const Driver> driver;
  CUcontext ctx = nullptr;
  unsigned long long key = 0;
  CUmodule module = nullptr;
  CUfunction function = nullptr;
};

std::string hexPointer(const void *p) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%p", p);
  return buf;
}

} // namespace

//===----------------------------------------------------------------------===//
// NVRTC
//===----------------------------------------------------------------------===//

Error attnc::rt::compileWithNvrtc(const std::string &source,
                                  const std::string &name,
                                  const std::string &arch, std::string &cubin) {
  const Nvrtc *n = nullptr;
  Error e = getNvrtc(n);
  if (e.failed())
    return e;
  auto nvrtcFailure = [&](const char *call, nvrtcResult r) {
    const char *text = n->nvrtcGetErrorString(r);
    return makeError(ATTNC_ERROR_COMPILE,
                     std::string(call) + ": " + (text ? text : "NVRTC error"));
  };

  nvrtcProgram prog = nullptr;
  nvrtcResult r = n->nvrtcCreateProgram(&prog, source.c_str(), name.c_str(), 0,
                                        nullptr, nullptr);
  if (r != NVRTC_SUCCESS)
    return nvrtcFailure("nvrtcCreateProgram", r);
  std::string archOption = "--gpu-architecture=" + arch;
  std::string includeOption = "--include-path=" + n->includeDir;
  const char *options[] = {archOption.c_str(), "-std=c++17", "-default-device",
                           includeOption.c_str()};
  r = n->nvrtcCompileProgram(prog, n->includeDir.empty() ? 3 : 4, options);
  if (r != NVRTC_SUCCESS) {
    std::string log;
    size_t logSize = 0;
    if (n->nvrtcGetProgramLogSize(prog, &logSize) == NVRTC_SUCCESS &&
        logSize > 1) {
      log.resize(logSize);
      if (n->nvrtcGetProgramLog(prog, &log[0]) != NVRTC_SUCCESS)
        log.clear();
      while (!log.empty() && (log.back() == '\0' || log.back() == '\n'))
        log.pop_back();
      if (log.size() > kMaxLogBytes)
        log = log.substr(0, kMaxLogBytes) + "\n...";
    }
    const char *text = n->nvrtcGetErrorString(r);
    n->nvrtcDestroyProgram(&prog);
    return makeError(ATTNC_ERROR_COMPILE,
                     "NVRTC failed to compile '" + sanitize(name) + "' for " +
                         arch + ": " + (text ? text : "NVRTC error") +
                         (n->includeDir.empty()
                              ? " (no CUDA include directory with cuda_fp16.h "
                                "was found; set $ATTNC_NVRTC_INCLUDE)"
                              : "") +
                         (log.empty() ? "" : "\n" + log));
  }
  size_t size = 0;
  r = n->nvrtcGetCUBINSize(prog, &size);
  if (r != NVRTC_SUCCESS) {
    n->nvrtcDestroyProgram(&prog);
    return nvrtcFailure("nvrtcGetCUBINSize", r);
  }
  if (size == 0) {
    n->nvrtcDestroyProgram(&prog);
    return makeError(ATTNC_ERROR_COMPILE,
                     "NVRTC produced no cubin for '" + sanitize(name) + "'");
  }
  std::string out(size, '\0');
  r = n->nvrtcGetCUBIN(prog, &out[0]);
  n->nvrtcDestroyProgram(&prog);
  if (r != NVRTC_SUCCESS)
    return nvrtcFailure("nvrtcGetCUBIN", r);
  cubin = std::move(out);
  return success();
}

//===----------------------------------------------------------------------===//
// CudaModules
//===----------------------------------------------------------------------===//

/// Reads the signature the compiler wrote into the module (a __constant__
/// string named after the kernel) and compares it with the manifest
/// (Signature.h), before the module is used. cuModuleGetGlobal finds only
/// the module's own variables.
Error checkModuleSignature(const Driver &d, CUmodule module,
                           const Manifest &manifest, const std::string &what) {
  const std::string symbol = signatureSymbol(manifest.cuda->kernel);
  CUdeviceptr ptr = 0;
  size_t bytes = 0;
  CUresult r = d.cuModuleGetGlobal(&ptr, &bytes, module, symbol.c_str());
  if (r != CUDA_SUCCESS)
    return makeError(ATTNC_ERROR_SIGNATURE,
                     "package '" + manifest.name + "': " + what +
                         " has no symbol '" + symbol + "' (" +
                         cuError(d, "cuModuleGetGlobal", r) +
                         "; the signature the compiler writes into every "
                         "kernel; recompile the package)");
  std::string text(std::min(bytes, kMaxSignatureBytes), '\0');
  if (!text.empty()) {
    r = d.cuMemcpyDtoH(&text[0], ptr, text.size());
    if (r != CUDA_SUCCESS)
      return makeError(ATTNC_ERROR_CUDA, cuError(d, "cuMemcpyDtoH", r) +
                                             " (reading the signature of " +
                                             what + ")");
  }
  text.resize(::strnlen(text.c_str(), text.size()));
  return checkSignature(manifest, SignatureTarget::Cuda, text, what);
}

struct CudaModules::Impl {
  std::mutex mutex;
  std::vector<LoadedModule> modules;
  /// Cubins NVRTC produced, by arch.
  std::map<std::string, std::string> compiled;

  /// Returns the kernel for the current context `ctx`, loading its module on
  /// first use. Called with `mutex` held and `ctx` current.
  Error getFunction(const std::shared_ptr<const Driver> &driver,
                    const std::string &dir, const Manifest &manifest,
                    CUcontext ctx, CUfunction &out);
};

Error CudaModules::Impl::getFunction(const std::shared_ptr<const Driver> &dp,
                                     const std::string &dir,
                                     const Manifest &manifest, CUcontext ctx,
                                     CUfunction &out) {
  const Driver &d = *dp;
  unsigned long long key = contextKey(d, ctx);
  for (const LoadedModule &m : modules) {
    if (m.driver == dp && m.key == key && m.ctx == ctx) {
      out = m.function;
      return success();
    }
  }

  const ManifestCuda &cuda = *manifest.cuda;
  CUdevice device;
  CUresult r = d.cuCtxGetDevice(&device);
  if (r != CUDA_SUCCESS)
    return makeError(ATTNC_ERROR_CUDA, cuError(d, "cuCtxGetDevice", r));
  int major = 0, minor = 0;
  r = d.cuDeviceGetAttribute(
      &major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
  if (r == CUDA_SUCCESS)
    r = d.cuDeviceGetAttribute(
        &minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
  if (r != CUDA_SUCCESS)
    return makeError(ATTNC_ERROR_CUDA, cuError(d, "cuDeviceGetAttribute", r));
  std::string arch = "sm_" + std::to_string(major) + std::to_string(minor);

  // The image: the exact-arch cubin, else NVRTC's output for this arch.
  std::string image, what;
  if (const std::string *file = cuda.findCubin(arch)) {
    std::string path;
    Error e = realPathInPackage(dir, "cuda.cubins." + arch, *file, path);
    if (!e.failed())
      e = readFile(path, kMaxCubinBytes, image);
    if (e.failed())
      return e;
    what = "cubin '" + *file + "'";
  } else {
    auto it = compiled.find(arch);
    if (it == compiled.end()) {
      std::string source;
      std::string path;
      Error e = realPathInPackage(dir, "cuda.source", cuda.source, path);
      if (!e.failed())
        e = readFile(path, kMaxSourceBytes, source);
      if (e.failed()) {
        e.message = "the package has no cubin for " + arch +
                    " and its CUDA source cannot be compiled: " + e.message;
        return e;
      }
      std::string cubin;
      e = compileWithNvrtc(source, cuda.source, arch, cubin);
      if (e.failed())
        return e;
      it = compiled.emplace(arch, std::move(cubin)).first;
    }
    image = it->second;
    what = "'" + cuda.source + "' compiled by NVRTC for " + arch;
  }

  LoadedModule m;
  m.driver = dp;
  m.ctx = ctx;
  m.key = key;
  r = d.cuModuleLoadData(&m.module, image.c_str());
  if (r != CUDA_SUCCESS)
    return makeError(ATTNC_ERROR_CUDA, cuError(d, "cuModuleLoadData", r) +
                                           " (loading " + what + ")");
  if (Error e = checkModuleSignature(d, m.module, manifest, what);
      e.failed()) {
    d.cuModuleUnload(m.module);
    return e;
  }
  r = d.cuModuleGetFunction(&m.function, m.module, cuda.kernel.c_str());
  if (r != CUDA_SUCCESS) {
    d.cuModuleUnload(m.module);
    return makeError(ATTNC_ERROR_CUDA,
                     "kernel '" + cuda.kernel + "' not found in " + what +
                         " (" + cuError(d, "cuModuleGetFunction", r) + ")");
  }
  if (cuda.sharedBytes > kDefaultSharedLimit) {
    int optin = 0;
    if (d.cuDeviceGetAttribute(
            &optin, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
            device) == CUDA_SUCCESS &&
        optin > 0 && cuda.sharedBytes > optin) {
      d.cuModuleUnload(m.module);
      return makeError(ATTNC_ERROR_CUDA,
                       "kernel '" + cuda.kernel + "' needs " +
                           std::to_string(cuda.sharedBytes) +
                           " bytes of shared memory, but this " + arch +
                           " device allows at most " + std::to_string(optin) +
                           " per block");
    }
    r = d.cuFuncSetAttribute(m.function,
                             CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                             cuda.sharedBytes);
    if (r != CUDA_SUCCESS) {
      d.cuModuleUnload(m.module);
      return makeError(ATTNC_ERROR_CUDA, cuError(d, "cuFuncSetAttribute", r));
    }
  }
  out = m.function;
  modules.push_back(std::move(m));
  return success();
}

CudaModules::CudaModules() : impl(new Impl) {}

CudaModules::~CudaModules() {
  for (LoadedModule &m : impl->modules) {
    const Driver &d = *m.driver;
    // Skip modules whose context is gone: they went with it, and a reused
    // handle would belong to someone else.
    if (d.cuCtxGetId) {
      unsigned long long id = 0;
      if (d.cuCtxGetId(m.ctx, &id) != CUDA_SUCCESS || id != m.key)
        continue;
    }
    if (d.cuCtxPushCurrent(m.ctx) != CUDA_SUCCESS)
      continue;
    d.cuModuleUnload(m.module);
    CUcontext popped;
    d.cuCtxPopCurrent(&popped);
  }
}

Error CudaModules::prepare(const std::string &dir, const Manifest &manifest,
                           void *stream) {
  std::shared_ptr<const Driver> driver;
  Error e = getDriver(driver);
  if (e.failed())
    return e;
  const Driver &d = *driver;
  CUcontext ctx;
  e = streamContext(d, static_cast<CUstream>(stream), ctx);
  if (e.failed())
    return e;
  ContextGuard guard(d);
  e = guard.enter(ctx);
  if (e.failed())
    return e;
  std::lock_guard<std::mutex> lock(impl->mutex);
  CUfunction f;
  return impl->getFunction(driver, dir, manifest, ctx, f);
}

namespace {

/// The attention kernel's grid: (q-blocks, heads, batch).
Error mainGrid(const Manifest &manifest, const CudaLaunch &launch,
               unsigned (&grid)[3]) {
  const AttncKernelArgs &args = launch.args;
  const ManifestCuda &cuda = *manifest.cuda;
  // The linear family's x is its fixed number of value tiles (the kernel
  // walks every row itself).
  long long blockQ = manifest.schedule.block_q;
  const bool valueTiles = cuda.grid == "value_tiles";
  long long gridX = valueTiles     ? cuda.valueTiles
                    : cuda.qTiles ? cuda.qTiles
                                  : (args.q_len + blockQ - 1) / blockQ;
  if (!valueTiles && gridX > INT_MAX)
    return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                     "q_len " + std::to_string(args.q_len) +
                         " needs more than 2^31-1 blocks of " +
                         std::to_string(blockQ) + " queries");
  if (launch.heads > 65535)
    return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                     "heads " + std::to_string(launch.heads) +
                         " exceed the CUDA grid limit of 65535");
  // Split-KV decode (§3g): z is B x splits.
  const long long gridZ = args.batch * (args.kv_splits > 1 ? args.kv_splits : 1);
  if (gridZ > 65535)
    return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                     "batch " + std::to_string(args.batch) +
                         (args.kv_splits > 1
                              ? " x " + std::to_string(args.kv_splits) +
                                    " kv splits"
                              : std::string()) +
                         " exceeds the CUDA grid limit of 65535");
  grid[0] = static_cast<unsigned>(gridX);
  grid[1] = static_cast<unsigned>(launch.heads);
  grid[2] = static_cast<unsigned>(gridZ);
  return success();
}

/// Checks that every tensor of the call is device memory.
Error checkDevicePointers(const Driver &d, const CudaLaunch &launch) {
  for (const CudaLaunch::Pointer &p : launch.pointers) {
    unsigned int memoryType = 0;
    CUresult r = d.cuPointerGetAttribute(
        &memoryType, CU_POINTER_ATTRIBUTE_MEMORY_TYPE,
        static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(p.data)));
    if (r != CUDA_SUCCESS)
      return makeError(
          ATTNC_ERROR_INVALID_ARGUMENT,
          p.name + ": " + hexPointer(p.data) + " is not CUDA memory (" +
              cuError(d, "cuPointerGetAttribute", r) + "); pass device memory");
    if (memoryType != CU_MEMORYTYPE_DEVICE &&
        memoryType != CU_MEMORYTYPE_UNIFIED)
      return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                       p.name + ": " + hexPointer(p.data) +
                           " is host memory; pass device memory");
  }
  return success();
}

/// A session on one stream in one context: the package's module, kernels by
/// name, stream-ordered temporaries freed at the end.
class SessionImpl : public CudaSession {
public:
  SessionImpl(const Driver &d, CUcontext ctx, CUstream stream, CUmodule module,
              CUfunction main, const Manifest &manifest,
              const CudaLaunch &launch)
      : d(d), ctx(ctx), stream(stream), module(module), main(main),
        manifest(manifest), call(launch) {}

  ~SessionImpl() override {
    for (CUdeviceptr p : temporaries)
      d.cuMemFreeAsync(p, stream);
  }

  Error alloc(size_t bytes, void *&ptr, bool keep) override {
    ptr = nullptr;
    if (!d.cuMemAllocAsync || !d.cuMemFreeAsync || !d.cuMemAlloc)
      return makeError(ATTNC_ERROR_CUDA_UNAVAILABLE,
                       "this CUDA driver has no stream-ordered allocator "
                       "(cuMemAllocAsync, CUDA 11.2+)");
    CUdeviceptr p = 0;
    CUresult r = keep ? d.cuMemAlloc(&p, bytes ? bytes : 1)
                      : d.cuMemAllocAsync(&p, bytes ? bytes : 1, stream);
    if (r != CUDA_SUCCESS)
      return makeError(r == CUDA_ERROR_OUT_OF_MEMORY ? ATTNC_ERROR_OUT_OF_MEMORY
                                                      : ATTNC_ERROR_CUDA,
                       cuError(d, keep ? "cuMemAlloc" : "cuMemAllocAsync", r) +
                           " (" + std::to_string(bytes) + " bytes)");
    if (!keep)
      temporaries.push_back(p);
    ptr = reinterpret_cast<void *>(static_cast<uintptr_t>(p));
    return success();
  }

  Error zero(void *ptr, size_t bytes) override {
    if (!d.cuMemsetD8Async)
      return missing("cuMemsetD8Async");
    CUresult r = d.cuMemsetD8Async(dev(ptr), 0, bytes, stream);
    return r == CUDA_SUCCESS
               ? success()
               : makeError(ATTNC_ERROR_CUDA, cuError(d, "cuMemsetD8Async", r));
  }

  Error toDevice(void *dst, const void *src, size_t bytes) override {
    if (!d.cuMemcpyHtoDAsync)
      return missing("cuMemcpyHtoDAsync");
    // From pageable memory the copy is staged before the call returns, so
    // `src` may be a temporary.
    CUresult r = d.cuMemcpyHtoDAsync(dev(dst), src, bytes, stream);
    return r == CUDA_SUCCESS
               ? success()
               : makeError(ATTNC_ERROR_CUDA, cuError(d, "cuMemcpyHtoDAsync", r));
  }

  Error toHost(void *dst, const void *src, size_t bytes) override {
    if (!d.cuMemcpyDtoHAsync || !d.cuStreamSynchronize)
      return missing("cuMemcpyDtoHAsync");
    CUresult r = d.cuMemcpyDtoHAsync(dst, dev(src), bytes, stream);
    if (r == CUDA_SUCCESS)
      r = d.cuStreamSynchronize(stream);
    return r == CUDA_SUCCESS
               ? success()
               : makeError(ATTNC_ERROR_CUDA, cuError(d, "cuMemcpyDtoHAsync", r));
  }

  Error launch(const std::string &kernel, unsigned long long grid,
               unsigned threads, void **params,
               unsigned sharedBytes) override {
    if (grid == 0)
      return success();
    if (grid > INT_MAX)
      return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                       "kernel '" + kernel + "' needs " +
                           std::to_string(grid) +
                           " blocks, more than 2^31-1");
    CUfunction f;
    CUresult r = d.cuModuleGetFunction(&f, module, kernel.c_str());
    if (r != CUDA_SUCCESS)
      return makeError(ATTNC_ERROR_CUDA,
                       "kernel '" + kernel + "' not found in the package's "
                       "module (" + cuError(d, "cuModuleGetFunction", r) +
                           ")");
    // Dynamic shared memory above the default limit needs the opt-in
    // attribute on the function (the device's maximum was checked when the
    // module was loaded for the main kernel; a larger request fails here).
    if (sharedBytes > kDefaultSharedLimit) {
      r = d.cuFuncSetAttribute(f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                               static_cast<int>(sharedBytes));
      if (r != CUDA_SUCCESS)
        return makeError(ATTNC_ERROR_CUDA,
                         cuError(d, "cuFuncSetAttribute", r) + " ('" + kernel +
                             "' asks for " + std::to_string(sharedBytes) +
                             " bytes of shared memory)");
    }
    r = d.cuLaunchKernel(f, static_cast<unsigned>(grid), 1, 1, threads, 1, 1,
                         sharedBytes, stream, params, nullptr);
    return r == CUDA_SUCCESS
               ? success()
               : makeError(ATTNC_ERROR_CUDA,
                           cuError(d, "cuLaunchKernel", r) + " ('" + kernel +
                               "')");
  }

  Error launchMain(const AttncKernelArgs &args) override {
    CudaLaunch l = call;
    l.args = args;
    unsigned grid[3];
    Error e = mainGrid(manifest, l, grid);
    if (e.failed())
      return e;
    AttncKernelArgs copy = args;
    void *params[] = {&copy};
    CUresult r = d.cuLaunchKernel(
        main, grid[0], grid[1], grid[2],
        static_cast<unsigned>(manifest.cuda->blockThreads), 1, 1,
        static_cast<unsigned>(manifest.cuda->sharedBytes), stream, params,
        nullptr);
    return r == CUDA_SUCCESS
               ? success()
               : makeError(ATTNC_ERROR_CUDA, cuError(d, "cuLaunchKernel", r));
  }

  void *context() const override { return ctx; }

  Error multiprocessors(int &count) override {
    CUdevice device;
    CUresult r = d.cuCtxGetDevice(&device);
    if (r == CUDA_SUCCESS)
      r = d.cuDeviceGetAttribute(
          &count, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device);
    return r == CUDA_SUCCESS
               ? success()
               : makeError(ATTNC_ERROR_CUDA,
                           cuError(d, "cuDeviceGetAttribute", r));
  }

private:
  static CUdeviceptr dev(const void *p) {
    return static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(p));
  }
  static Error missing(const char *fn) {
    return makeError(ATTNC_ERROR_CUDA_UNAVAILABLE,
                     std::string("this CUDA driver lacks ") + fn);
  }

  const Driver &d;
  CUcontext ctx;
  CUstream stream;
  CUmodule module;
  CUfunction main;
  const Manifest &manifest;
  const CudaLaunch &call;
  std::vector<CUdeviceptr> temporaries;
};

} // namespace

Error CudaModules::run(const std::string &dir, const Manifest &manifest,
                       const CudaLaunch &launch, void *stream,
                       const std::function<Error(CudaSession &)> &body) {
  unsigned grid[3];
  Error e = mainGrid(manifest, launch, grid);
  if (e.failed())
    return e;
  std::shared_ptr<const Driver> driver;
  e = getDriver(driver);
  if (e.failed())
    return e;
  const Driver &d = *driver;
  CUstream cuStream = static_cast<CUstream>(stream);
  CUcontext ctx;
  e = streamContext(d, cuStream, ctx);
  if (e.failed())
    return e;
  ContextGuard guard(d);
  e = guard.enter(ctx);
  if (e.failed())
    return e;
  e = checkDevicePointers(d, launch);
  if (e.failed())
    return e;
  CUfunction f;
  CUmodule module = nullptr;
  {
    std::lock_guard<std::mutex> lock(impl->mutex);
    e = impl->getFunction(driver, dir, manifest, ctx, f);
    if (e.failed())
      return e;
    for (const LoadedModule &m : impl->modules)
      if (m.function == f)
        module = m.module;
  }
  SessionImpl session(d, ctx, cuStream, module, f, manifest, launch);
  return body(session);
}

void attnc::rt::freeCudaMemory(void *context, void *ptr) {
  std::shared_ptr<const Driver> driver;
  if (!ptr || getDriver(driver).failed() || !driver->cuMemFree)
    return;
  const Driver &d = *driver;
  ContextGuard guard(d);
  if (guard.enter(static_cast<CUcontext>(context)).failed())
    return;
  d.cuMemFree(static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(ptr)));
}

Error CudaModules::launch(const std::string &dir, const Manifest &manifest,
                          const CudaLaunch &launch, void *stream) {
  // A session with nothing before the attention kernel (and no memory).
  return run(dir, manifest, launch, stream, [&](CudaSession &s) {
    return s.launchMain(launch.args);
  });
}

void attnc::rt::setCudaDriverLibraryForTesting(const char *path) {
  std::lock_guard<std::mutex> lock(gDriverMutex);
  gDriverPath = path ? path : "libcuda.so.1";
  gDriverTried = false;
  gDriver.reset();
  gDriverError = Error();
}

bool attnc::rt::cudaSupportCompiledIn() { return true; }
