//===- Runtime.cpp - The attnc runtime C API ------------------------------===//
//
// This file implements the functions declared in attnc/runtime.h. Each entry
// point runs its body inside `guarded`, which turns an Error into the return
// code and the thread's last-error text and keeps C++ exceptions (allocation
// failure, mostly) from crossing the C ABI.
//
//===----------------------------------------------------------------------===//

#include "attnc/runtime.h"

#include "ArgCheck.h"
#include "Package.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include <sys/stat.h>

#ifndef ATTNC_RUNTIME_VERSION
#define ATTNC_RUNTIME_VERSION "0.1.0"
#endif

using namespace attnc::rt;

namespace {

thread_local std::string tLastError;

void setLastError(const std::string &message) {
  try {
    tLastError = message;
  } catch (...) {
    tLastError.clear();
  }
}

template <typename F> int guarded(F &&body) {
  try {
    Error e = body();
    if (e.failed()) {
      setLastError(e.message);
      return e.code;
    }
    return ATTNC_OK;
  } catch (const std::bad_alloc &) {
    setLastError("out of memory");
    return ATTNC_ERROR_OUT_OF_MEMORY;
  } catch (const std::exception &ex) {
    setLastError(std::string("internal error: ") + ex.what());
    return ATTNC_ERROR_INTERNAL;
  } catch (...) {
    setLastError("internal error: unknown exception");
    return ATTNC_ERROR_INTERNAL;
  }
}

Error nullPackage() {
  return makeError(ATTNC_ERROR_INVALID_ARGUMENT, "package is null");
}

Error openPackage(const char *dir, attnc_package **out) {
  if (!out)
    return makeError(ATTNC_ERROR_INVALID_ARGUMENT, "out is null");
  *out = nullptr;
  if (!dir || !*dir)
    return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                     "package directory is null or empty");
  char *resolved = ::realpath(dir, nullptr);
  if (!resolved)
    return makeError(ATTNC_ERROR_IO, "cannot open package '" +
                                         sanitize(dir, 512) +
                                         "': " + std::strerror(errno));
  std::string path = resolved;
  std::free(resolved);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return makeError(ATTNC_ERROR_IO, "cannot open package '" +
                                         sanitize(dir, 512) +
                                         "': not a directory");
  auto pkg = std::make_unique<attnc_package>();
  pkg->dir = path;
  Error e = readManifest(path, pkg->manifest);
  if (e.failed()) {
    // Say which package: a program may open several.
    if (e.message.compare(0, 15, "manifest.json: ") == 0)
      e.message = sanitize(path, 512) + "/" + e.message;
    return e;
  }
  *out = pkg.release();
  return success();
}

Error runCpu(attnc_package *pkg, const CallTensors &t) {
  if (!pkg)
    return nullPackage();
  const Manifest &m = pkg->manifest;
  if (!m.cpu)
    return makeError(ATTNC_ERROR_UNSUPPORTED,
                     "package '" + m.name + "' has no CPU code");
  AttncKernelArgs args;
  Error e = checkArguments(m, t, Target::Cpu, args, nullptr);
  if (e.failed())
    return e;
  CpuEntryFn fn = nullptr;
  e = pkg->cpu.resolve(pkg->dir + "/" + m.cpu->library, m.cpu->entry, fn);
  if (e.failed())
    return e;
  int status = fn(&args);
  if (status != 0)
    return makeError(ATTNC_ERROR_KERNEL,
                     "CPU kernel '" + m.cpu->entry + "' of package '" + m.name +
                         "' failed with status " + std::to_string(status));
  return success();
}

Error launchCuda(attnc_package *pkg, const CallTensors &t, void *stream) {
  if (!pkg)
    return nullPackage();
  const Manifest &m = pkg->manifest;
  if (!m.cuda)
    return makeError(ATTNC_ERROR_UNSUPPORTED,
                     "package '" + m.name + "' has no CUDA code");
  CudaLaunch launch;
  Error e = checkArguments(m, t, Target::Cuda, launch.args, &launch.pointers);
  if (e.failed())
    return e;
  launch.heads = m.heads;
  return pkg->cuda.launch(pkg->dir, m, launch, stream);
}

} // namespace

//===----------------------------------------------------------------------===//
// Errors and versions
//===----------------------------------------------------------------------===//

const char *attnc_last_error(void) { return tLastError.c_str(); }

const char *attnc_status_name(int status) {
  switch (status) {
  case ATTNC_OK:
    return "ATTNC_OK";
  case ATTNC_ERROR_INVALID_ARGUMENT:
    return "ATTNC_ERROR_INVALID_ARGUMENT";
  case ATTNC_ERROR_IO:
    return "ATTNC_ERROR_IO";
  case ATTNC_ERROR_MANIFEST:
    return "ATTNC_ERROR_MANIFEST";
  case ATTNC_ERROR_UNSUPPORTED:
    return "ATTNC_ERROR_UNSUPPORTED";
  case ATTNC_ERROR_LOAD:
    return "ATTNC_ERROR_LOAD";
  case ATTNC_ERROR_KERNEL:
    return "ATTNC_ERROR_KERNEL";
  case ATTNC_ERROR_CUDA_UNAVAILABLE:
    return "ATTNC_ERROR_CUDA_UNAVAILABLE";
  case ATTNC_ERROR_CUDA:
    return "ATTNC_ERROR_CUDA";
  case ATTNC_ERROR_COMPILE:
    return "ATTNC_ERROR_COMPILE";
  case ATTNC_ERROR_OUT_OF_MEMORY:
    return "ATTNC_ERROR_OUT_OF_MEMORY";
  case ATTNC_ERROR_INTERNAL:
    return "ATTNC_ERROR_INTERNAL";
  }
  return "unknown";
}

const char *attnc_dtype_name(attnc_dtype dtype) {
  switch (dtype) {
  case ATTNC_F32:
    return "f32";
  case ATTNC_F16:
    return "f16";
  case ATTNC_BF16:
    return "bf16";
  case ATTNC_I32:
    return "i32";
  default:
    return "unknown";
  }
}

int attnc_abi_version(void) { return ATTNC_ABI_VERSION; }

const char *attnc_runtime_version(void) { return ATTNC_RUNTIME_VERSION; }

//===----------------------------------------------------------------------===//
// Packages
//===----------------------------------------------------------------------===//

int attnc_package_open(const char *dir, attnc_package **out) {
  return guarded([&] { return openPackage(dir, out); });
}

void attnc_package_close(attnc_package *pkg) { delete pkg; }

const char *attnc_package_dir(const attnc_package *pkg) {
  return pkg ? pkg->dir.c_str() : nullptr;
}

const char *attnc_package_name(const attnc_package *pkg) {
  return pkg ? pkg->manifest.name.c_str() : nullptr;
}

const char *attnc_package_family(const attnc_package *pkg) {
  return pkg ? pkg->manifest.family.c_str() : nullptr;
}

const char *attnc_package_normalize(const attnc_package *pkg) {
  return pkg ? pkg->manifest.normalize.c_str() : nullptr;
}

const char *attnc_package_spec_hash(const attnc_package *pkg) {
  return pkg ? pkg->manifest.specHash.c_str() : nullptr;
}

const char *attnc_package_attnc_version(const attnc_package *pkg) {
  return pkg ? pkg->manifest.attncVersion.c_str() : nullptr;
}

attnc_dtype attnc_package_dtype(const attnc_package *pkg) {
  return pkg ? pkg->manifest.dtype : ATTNC_F32;
}

int attnc_package_heads(const attnc_package *pkg) {
  return pkg ? pkg->manifest.heads : 0;
}

int attnc_package_kv_heads(const attnc_package *pkg) {
  return pkg ? pkg->manifest.kvHeads : 0;
}

int attnc_package_head_dim(const attnc_package *pkg) {
  return pkg ? pkg->manifest.headDim : 0;
}

int attnc_package_value_dim(const attnc_package *pkg) {
  return pkg ? pkg->manifest.valueDim : 0;
}

int attnc_package_has_lse(const attnc_package *pkg) {
  return pkg && pkg->manifest.hasLse;
}

int attnc_package_has_state(const attnc_package *pkg) {
  return pkg && pkg->manifest.hasState;
}

int attnc_package_feature_dim(const attnc_package *pkg) {
  return pkg ? pkg->manifest.featureDim : 0;
}

int attnc_package_has_cpu(const attnc_package *pkg) {
  return pkg && pkg->manifest.cpu.has_value();
}

int attnc_package_has_cuda(const attnc_package *pkg) {
  return pkg && pkg->manifest.cuda.has_value();
}

int attnc_package_num_params(const attnc_package *pkg) {
  return pkg ? static_cast<int>(pkg->manifest.params.size()) : 0;
}

int attnc_package_param(const attnc_package *pkg, int index,
                        attnc_param_info *out) {
  return guarded([&] {
    if (!pkg)
      return nullPackage();
    if (!out)
      return makeError(ATTNC_ERROR_INVALID_ARGUMENT, "out is null");
    const auto &params = pkg->manifest.params;
    if (index < 0 || static_cast<size_t>(index) >= params.size())
      return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                       "param index " + std::to_string(index) +
                           " is out of range: package '" + pkg->manifest.name +
                           "' has " + std::to_string(params.size()) +
                           " params");
    out->name = params[index].name.c_str();
    out->dtype = params[index].dtype;
    out->dims = params[index].dims.c_str();
    return success();
  });
}

int attnc_package_schedule(const attnc_package *pkg, attnc_schedule *out) {
  return guarded([&] {
    if (!pkg)
      return nullPackage();
    if (!out)
      return makeError(ATTNC_ERROR_INVALID_ARGUMENT, "out is null");
    *out = pkg->manifest.schedule;
    return success();
  });
}

//===----------------------------------------------------------------------===//
// Running
//===----------------------------------------------------------------------===//

int attnc_run_cpu(attnc_package *pkg, const attnc_tensor *q,
                  const attnc_tensor *k, const attnc_tensor *v,
                  const attnc_tensor *o, const attnc_tensor *lse,
                  const attnc_tensor *params, int num_params) {
  return guarded([&] {
    return runCpu(pkg, CallTensors{q, k, v, o, lse, params, num_params});
  });
}

int attnc_launch_cuda(attnc_package *pkg, const attnc_tensor *q,
                      const attnc_tensor *k, const attnc_tensor *v,
                      const attnc_tensor *o, const attnc_tensor *lse,
                      const attnc_tensor *params, int num_params,
                      void *cuda_stream) {
  return guarded([&] {
    return launchCuda(pkg, CallTensors{q, k, v, o, lse, params, num_params},
                      cuda_stream);
  });
}

int attnc_run_cpu_state(attnc_package *pkg, const attnc_tensor *q,
                        const attnc_tensor *k, const attnc_tensor *v,
                        const attnc_tensor *o, const attnc_tensor *lse,
                        const attnc_tensor *params, int num_params,
                        const attnc_linear_state *state) {
  return guarded([&] {
    return runCpu(pkg, CallTensors{q, k, v, o, lse, params, num_params, state});
  });
}

int attnc_launch_cuda_state(attnc_package *pkg, const attnc_tensor *q,
                            const attnc_tensor *k, const attnc_tensor *v,
                            const attnc_tensor *o, const attnc_tensor *lse,
                            const attnc_tensor *params, int num_params,
                            const attnc_linear_state *state,
                            void *cuda_stream) {
  return guarded([&] {
    return launchCuda(pkg,
                      CallTensors{q, k, v, o, lse, params, num_params, state},
                      cuda_stream);
  });
}

int attnc_prepare_cuda(attnc_package *pkg, void *cuda_stream) {
  return guarded([&] {
    if (!pkg)
      return nullPackage();
    if (!pkg->manifest.cuda)
      return makeError(ATTNC_ERROR_UNSUPPORTED,
                       "package '" + pkg->manifest.name + "' has no CUDA code");
    return pkg->cuda.prepare(pkg->dir, pkg->manifest, cuda_stream);
  });
}
