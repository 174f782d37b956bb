//===- FakeCudaDriver.h - Control block of the fake libcuda -----*- C++ -*-===//
//
// This file declares the state FakeCudaDriver.cpp exposes to RuntimeTest.cpp
// (through dlsym of fake_cuda_state): the fake device's properties, call
// counters, and what the last module load and launch received.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TEST_FAKECUDADRIVER_H
#define ATTNC_TEST_FAKECUDADRIVER_H

#include "attnc/kernel_abi.h"

#include <cstddef>

struct FakeCudaState {
  // Set by the test.
  int initResult;     ///< what cuInit returns
  int major, minor;   ///< compute capability
  int sharedOptin;    ///< CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN
  int contextCurrent; ///< 0: cuCtxGetCurrent yields no context
  const char *kernelName;       ///< the only name cuModuleGetFunction finds
  unsigned long long contextId; ///< what cuCtxGetId reports

  // Counters.
  int moduleLoads, moduleUnloads, launches, pushes, pops, setAttributes;

  // The last module image: its first bytes (NUL-terminated) and size.
  char lastImage[64];
  size_t lastImageSize;
  int lastSetAttributeValue;

  // The last launch.
  unsigned grid[3], block[3], sharedBytes;
  void *stream;
  AttncKernelArgs args;
};

/// Memory types for fake_cuda_add_range (CUmemorytype values).
enum { kFakeHostMemory = 1, kFakeDeviceMemory = 2 };

typedef FakeCudaState *(*FakeCudaStateFn)();
typedef void (*FakeCudaResetFn)();
typedef void (*FakeCudaAddRangeFn)(const void *p, size_t size,
                                   unsigned memoryType);

#endif // ATTNC_TEST_FAKECUDADRIVER_H
