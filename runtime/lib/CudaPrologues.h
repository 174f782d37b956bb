//===- CudaPrologues.h - Work queued before a CUDA attention kernel -*- C++ -*-===//
//
// Some packages' CUDA kernels read data that other kernels of the same
// module compute first, on the same stream (docs/runtime.md, "CUDA
// sessions"): the runtime block mask (classified from the mask's params, or
// chosen by content-based selection) and a hybrid's linear-branch states.
// These functions queue that work in a CudaSession.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_CUDAPROLOGUES_H
#define ATTNC_RUNTIME_CUDAPROLOGUES_H

#include "CudaLoader.h"

namespace attnc {
namespace rt {

/// A block mask in device memory: `mask` points at the AttncBlockMask the
/// kernel reads, followed by its arrays (row_ptr, col, full), all in one
/// allocation `base`. Rows have room for every k-block.
struct DeviceBlockMask {
  void *base = nullptr;
  const AttncBlockMask *mask = nullptr;
  const int *rowPtr = nullptr, *col = nullptr;
  const unsigned char *full = nullptr;
  int heads = 0;
  long long rows = 0, qBlocks = 0, kBlocks = 0;
  /// Device counters [tiles, full tiles, static-plan tiles].
  unsigned long long *totals = nullptr;
};

/// Queues the package's block-mask builder (the selecting one when the
/// package has `select`) for the call `args`. With `keep` the mask's memory
/// outlives the session (freeCudaMemory(session.context(), out.base)).
Error queueBlockMask(CudaSession &s, const Manifest &m,
                     const AttncKernelArgs &args, bool keep,
                     DeviceBlockMask &out);

/// Queues a hybrid's prologue (phi(k), tile states, their prefix sums) into
/// temporaries and points args.scratch at them.
Error queueHybridPrologue(CudaSession &s, const Manifest &m,
                          AttncKernelArgs &args);

} // namespace rt
} // namespace attnc

#endif // ATTNC_RUNTIME_CUDAPROLOGUES_H
