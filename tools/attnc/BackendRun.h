//===- BackendRun.h - Run a compiled package from attnc ---------*- C++ -*-===//
//
// `attnc run --backend cpu` goes through the same runtime library users
// link: open the package, hand it tensors in the storage dtype, read o and
// lse back. `--check` then compares against the reference executor with
// the per-dtype tolerances of docs/testing.md.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TOOLS_ATTNC_BACKENDRUN_H
#define ATTNC_TOOLS_ATTNC_BACKENDRUN_H

#include "lib/Reference/Reference.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attnc {

/// `attnc run --block-mask`: what the runtime block mask held, and with
/// `repeat` > 0 the median times of building it and of the attention that
/// uses it.
struct BlockMaskReport {
  int repeat = 0;
  long long rows = 0, heads = 0, nnz = 0, full = 0, partial = 0;
  long long staticTiles = 0;
  /// The same attention over the static plan, timed the same way.
  double buildMs = 0, runMs = 0, staticMs = 0;
};

/// Runs the CPU backend of the package in `packageDir` on `inputs` (already
/// rounded to the storage dtype), with the initial state when `inputs` has
/// one; `wantState` also reads back the final state (and z). With
/// `blockMask`, builds the runtime block mask from the inputs first and runs
/// over its tiles, filling `*blockMask`. Returns an error message or "".
std::string runPackageOnCpu(mlir::Operation *op, const std::string &packageDir,
                            const reference::Inputs &inputs, bool wantLse,
                            bool wantState, reference::Outputs &outputs,
                            BlockMaskReport *blockMask = nullptr,
                            int kvSplits = 0);

/// The runtime block mask of one call (`attnc explain --block-mask`): the
/// builder's counts, and the map of batch 0, head 0 as one byte per tile
/// (0 skipped, 1 partial, 2 full), q-blocks by k-blocks.
struct BlockMaskMap {
  long long nnz = 0, full = 0, partial = 0, staticTiles = 0, rows = 0;
  int heads = 0, qBlocks = 0, kBlocks = 0;
  std::vector<uint8_t> tiles;
};

/// Builds the runtime block mask of the CPU package in `packageDir` from
/// `inputs` (rounded to the storage dtype) without running the attention.
/// Returns an error message or "".
std::string buildBlockMaskOnCpu(mlir::Operation *op,
                                const std::string &packageDir,
                                const reference::Inputs &inputs,
                                BlockMaskMap &map);

/// Makes a fresh directory for a package built by `attnc run` or `attnc
/// explain --block-mask`; "" when it cannot.
std::string temporaryPackageDir();

/// `attnc run SPEC --package DIR`: checks that the package was compiled
/// from `specText` (its manifest's spec_hash, which the runtime checks
/// against the kernel). Returns an error message or "".
/// runPackageOnCpu on the CUDA backend: the tensors copied to device 0
/// (CudaDevice), attnc_launch_cuda_state, the outputs copied back. No
/// block masks.
std::string runPackageOnCuda(mlir::Operation *op, const std::string &packageDir,
                             const reference::Inputs &inputs, bool wantLse,
                             bool wantState, reference::Outputs &outputs,
                             int kvSplits = 0);

std::string checkPackageSpec(const std::string &packageDir,
                             llvm::StringRef specText);

/// The documented tolerance for comparing a backend (the CPU's, or with
/// `cuda` the GPU's) to the reference: the largest allowed
/// max|got - ref| / max(max|ref|, 1).
double toleranceFor(mlir::Operation *op, bool cuda = false);

/// The tolerance of the linear family's final state (and z): float32 in
/// every dtype, so the f32 bound.
double toleranceForState();

/// Compares `got` to `want` (o, lse when `compareLse`, the final state and
/// z when `compareState`); prints a one-line verdict to `os`. Returns true
/// when within tolerance (the CUDA bounds when `cuda`). The state is float32
/// in every dtype, so it is held to the f32 bound.
bool compareToReference(mlir::Operation *op, const reference::Outputs &got,
                        const reference::Outputs &want, bool compareLse,
                        bool compareState, bool cuda, llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_TOOLS_ATTNC_BACKENDRUN_H
