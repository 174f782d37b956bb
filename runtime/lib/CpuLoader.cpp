//===- CpuLoader.cpp - Loading a package's CPU kernel ---------------------===//
//
// This file implements CpuLibrary with dlopen and dlsym. The library is
// opened RTLD_LOCAL so that two packages exporting the same helper symbols
// cannot interpose on each other, and RTLD_NOW so that a missing dependency
// shows up as a load error here rather than as a crash mid-kernel.
// RTLD_NODELETE: a kernel built with OpenMP pulls in libgomp, whose idle
// worker threads outlive the call; unmapping it at close would crash them.
//
//===----------------------------------------------------------------------===//

#include "CpuLoader.h"

#include <dlfcn.h>

using namespace attnc::rt;

CpuLibrary::~CpuLibrary() {
  if (handle)
    ::dlclose(handle);
}

Error CpuLibrary::load(const std::string &path) {
  if (handle)
    return success();
  // dlerror() is per thread on glibc, but clear it first anyway.
  ::dlerror();
  handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (!handle) {
    const char *why = ::dlerror();
    return makeError(ATTNC_ERROR_LOAD,
                     "cannot load the CPU library '" + sanitize(path, 512) +
                         "': " + (why ? why : "unknown dlopen error"));
  }
  return success();
}

Error CpuLibrary::resolveSymbol(const std::string &path,
                                const std::string &name, void *&out) {
  std::lock_guard<std::mutex> lock(mutex);
  if (Error e = load(path); e.failed())
    return e;
  ::dlerror();
  out = ::dlsym(handle, name.c_str());
  if (!out)
    return makeError(ATTNC_ERROR_LOAD, "the CPU library '" +
                                           sanitize(path, 512) +
                                           "' has no symbol '" + name + "'");
  return success();
}

Error CpuLibrary::resolve(const std::string &path, const std::string &entry,
                          CpuEntryFn &out) {
  if (CpuEntryFn f = fn.load(std::memory_order_acquire)) {
    out = f;
    return success();
  }
  std::lock_guard<std::mutex> lock(mutex);
  if (CpuEntryFn f = fn.load(std::memory_order_relaxed)) {
    out = f;
    return success();
  }
  if (Error e = load(path); e.failed())
    return e;
  ::dlerror();
  void *sym = ::dlsym(handle, entry.c_str());
  if (!sym)
    return makeError(ATTNC_ERROR_LOAD, "the CPU library '" +
                                           sanitize(path, 512) +
                                           "' has no symbol '" + entry + "'");
  CpuEntryFn f = reinterpret_cast<CpuEntryFn>(sym);
  fn.store(f, std::memory_order_release);
  out = f;
  return success();
}
