//===- DependencyOfKernel.cpp - A library the fixture kernel links --------===//
//
// This file implements libattnc_test_dep, which the fixture CPU kernel
// (NaiveAttentionCpu.cpp) links. It defines an attnc-prefixed entry and a
// signature for it: dlsym on the fixture's handle finds both through the
// dependency, and the runtime must refuse them because they are not the
// package library's own symbols (RuntimeTest's
// SymbolsOfDependenciesAreRefused).
//
//===----------------------------------------------------------------------===//

#include "attnc/kernel_abi.h"

#include <cstdlib>

extern "C" __attribute__((visibility("default")))
const char attnc_dep_entry_signature[] = "attnc-signature 1;name=naive";

extern "C" __attribute__((visibility("default"))) int
attnc_dep_entry(const AttncKernelArgs *) {
  // Reaching this means the runtime called into a dependency.
  std::abort();
}

/// Referenced by the fixture so that the linker keeps the dependency.
extern "C" __attribute__((visibility("default"))) int attnc_dep_marker() {
  return 1;
}
