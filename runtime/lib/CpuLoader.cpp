//===- CpuLoader.cpp - Loading a package's CPU kernel ---------------------===//
//
// This file implements CpuLibrary with dlopen and dlsym. The library is
// opened RTLD_LOCAL so that two packages exporting the same helper symbols
// cannot interpose on each other, and RTLD_NOW so that a missing dependency
// shows up as a load error here rather than as a crash mid-kernel.
// RTLD_NODELETE: a kernel built with OpenMP pulls in libgomp, whose idle
// worker threads outlive the call; unmapping it at close would crash them.
//
// dlsym on a handle also searches the library's dependencies (libc among
// them), so a manifest naming "abort" as its entry would find it there;
// every symbol is therefore checked with dladdr to be defined in the
// package's own library.
//
//===----------------------------------------------------------------------===//

#include "CpuLoader.h"

#include "Signature.h"

#include <cstring>

#include <dlfcn.h>
#include <link.h>

using namespace attnc::rt;

CpuLibrary::~CpuLibrary() {
  if (handle)
    ::dlclose(handle);
}

Error CpuLibrary::lookup(const std::string &name, void *&out) {
  ::dlerror();
  void *sym = ::dlsym(handle, name.c_str());
  Dl_info info{};
  if (!sym)
    return makeError(ATTNC_ERROR_LOAD, "the CPU library '" +
                                           sanitize(path, 512) +
                                           "' has no symbol '" + name + "'");
  if (!::dladdr(sym, &info) || !info.dli_fname || loadedName != info.dli_fname)
    return makeError(ATTNC_ERROR_LOAD,
                     "the CPU library '" + sanitize(path, 512) +
                         "' does not define '" + name + "' itself (found in '" +
                         sanitize(info.dli_fname ? info.dli_fname : "?", 256) +
                         "'); entries must be the package's own symbols");
  out = sym;
  return success();
}

Error CpuLibrary::load(const std::string &dir, const Manifest &m) {
  if (handle)
    return success();
  std::string real;
  if (Error e = realPathInPackage(dir, "cpu.library", m.cpu->library, real);
      e.failed())
    return e;
  // dlerror() is per thread on glibc, but clear it first anyway.
  ::dlerror();
  void *h = ::dlopen(real.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (!h) {
    const char *why = ::dlerror();
    return makeError(ATTNC_ERROR_LOAD,
                     "cannot load the CPU library '" + sanitize(real, 512) +
                         "': " + (why ? why : "unknown dlopen error"));
  }
  struct link_map *map = nullptr;
  if (::dlinfo(h, RTLD_DI_LINKMAP, &map) != 0 || !map || !map->l_name) {
    ::dlclose(h);
    return makeError(ATTNC_ERROR_LOAD, "cannot inspect the CPU library '" +
                                           sanitize(real, 512) + "'");
  }
  handle = h;
  path = real;
  loadedName = map->l_name;
  // The kernel's own signature against the manifest, before any entry can
  // be resolved (and so before any launch).
  const std::string symbol = signatureSymbol(m.cpu->entry);
  void *sig = nullptr;
  Error e = lookup(symbol, sig);
  if (e.failed()) {
    e.code = ATTNC_ERROR_SIGNATURE;
    e.message = "package '" + m.name + "': " + e.message +
                " (the signature the compiler writes into every kernel; "
                "recompile the package)";
  } else {
    const char *text = static_cast<const char *>(sig);
    e = checkSignature(
        m, SignatureTarget::Cpu,
        std::string_view(text, ::strnlen(text, kMaxSignatureBytes)),
        "the CPU library '" + m.cpu->library + "'");
  }
  if (e.failed()) {
    ::dlclose(handle);
    handle = nullptr;
    return e;
  }
  return success();
}

Error CpuLibrary::resolveSymbol(const std::string &dir, const Manifest &m,
                                const std::string &name, void *&out) {
  std::lock_guard<std::mutex> lock(mutex);
  if (Error e = load(dir, m); e.failed())
    return e;
  return lookup(name, out);
}

Error CpuLibrary::resolve(const std::string &dir, const Manifest &m,
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
  if (Error e = load(dir, m); e.failed())
    return e;
  void *sym = nullptr;
  if (Error e = lookup(m.cpu->entry, sym); e.failed())
    return e;
  CpuEntryFn f = reinterpret_cast<CpuEntryFn>(sym);
  fn.store(f, std::memory_order_release);
  out = f;
  return success();
}
