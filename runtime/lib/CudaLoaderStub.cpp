//===- CudaLoaderStub.cpp - The CUDA path when built without CUDA ---------===//
//
// This file implements CudaLoader.h for builds that found no CUDA headers
// (cuda.h, nvrtc.h): every CUDA entry point reports that this build of the
// runtime has no CUDA support, and the CPU path is unaffected.
//
//===----------------------------------------------------------------------===//

#include "CudaLoader.h"

using namespace attnc::rt;

namespace {

Error unsupported() {
  return makeError(ATTNC_ERROR_CUDA_UNAVAILABLE,
                   "CUDA driver not available (this attnc runtime was built "
                   "without the CUDA headers)");
}

} // namespace

struct CudaModules::Impl {};

CudaModules::CudaModules() = default;

CudaModules::~CudaModules() = default;

Error CudaModules::launch(const std::string &, const Manifest &,
                          const CudaLaunch &, void *) {
  return unsupported();
}

Error CudaModules::prepare(const std::string &, const Manifest &, void *) {
  return unsupported();
}

Error CudaModules::run(const std::string &, const Manifest &,
                       const CudaLaunch &, void *,
                       const std::function<Error(CudaSession &)> &) {
  return unsupported();
}

void attnc::rt::freeCudaMemory(void *, void *) {}

Error attnc::rt::compileWithNvrtc(const std::string &, const std::string &,
                                  const std::string &, std::string &) {
  return makeError(ATTNC_ERROR_COMPILE,
                   "NVRTC not available (this attnc runtime was built without "
                   "the CUDA headers)");
}

void attnc::rt::setCudaDriverLibraryForTesting(const char *) {}

bool attnc::rt::cudaSupportCompiledIn() { return false; }
