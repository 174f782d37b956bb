//===- ManifestEmitter.h - The package manifest as JSON ---------*- C++ -*-===//
//
// The manifest is the contract between a compiled package and the runtime
// (docs/runtime.md): entry points, tensor signature, dtypes, schedule,
// archs, attnc version and the spec's hash.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_MANIFESTEMITTER_H
#define ATTNC_CODEGEN_MANIFESTEMITTER_H

#include "mlir/IR/Operation.h"

#include "llvm/Support/raw_ostream.h"

#include <map>
#include <string>
#include <vector>

#include "codegen/BackwardCudaEmitter.h"

#include <optional>

namespace attnc {

/// The attnc release, recorded in manifests and printed by
/// `attnc --version`.
extern const char *const kAttncVersion;

/// What the package holds besides the op's own description.
struct PackageContents {
  std::string specHash;
  std::string cpuSource, cpuLibrary, cpuEntry;    ///< empty: no CPU backend
  /// The CPU backward entry (attnc compile --backward); empty: none.
  std::string cpuBackwardEntry;
  /// The runtime block-mask builder and its heads (1 or H); empty: none.
  std::string cpuBlockMaskEntry;
  int64_t blockMaskHeads = 0;
  /// The runtime builds the block mask per call when none is given
  /// (autoBlockMask, codegen/CpuEmitter.h).
  bool autoBlockMask = false;
  std::string cudaSource, cudaHeader, cudaKernel; ///< empty: no CUDA backend
  int64_t cudaBlockThreads = 0, cudaSharedBytes = 0;
  /// Kernels the runtime launches before the attention kernel (empty:
  /// none): the device block-mask builder, content-based selection, a
  /// hybrid's linear-branch states; all with cudaPrologueThreads threads.
  std::string cudaBlockMaskKernel, cudaBlockMaskCsrKernel;
  std::string cudaSelectKMeanKernel, cudaSelectKernel;
  std::string cudaHybridStatesKernel, cudaHybridScanKernel;
  /// The merge kernel (softmax family) and its threads per block.
  std::string cudaMergeKernel;
  int64_t cudaMergeThreads = 0;
  int64_t cudaPrologueThreads = 0, hybridFeatureDim = 0;
  /// The CUDA backward's kernels and plan (attnc compile --backward); none
  /// when the op has no CUDA backward kernel.
  std::optional<CudaBackwardInfo> cudaBackward;
  /// "q_blocks" or "value_tiles" (then cudaValueTiles blocks along x).
  std::string cudaGrid;
  int64_t cudaValueTiles = 0;
  /// Grid x of a box kernel (a token grid's boxes), else 0: ceil(Nq / BQ).
  int64_t cudaQTiles = 0;
  std::vector<std::string> archs;
  std::map<std::string, std::string> cubins; ///< arch -> file
};

/// Writes manifest.json for `op` (deterministic key order).
void emitManifest(mlir::Operation *op, const PackageContents &contents,
                  llvm::raw_ostream &os);

/// Which compiled code a signature is written into.
enum class KernelTarget { Cpu, Cuda };

/// The signature a kernel carries (docs/runtime.md, "Kernel signatures"):
/// "attnc-signature 1;abi_version=...;...;spec_hash=..." from the same
/// values as the manifest; the runtime renders it from the manifest
/// (runtime/lib/Signature.cpp) and refuses a kernel whose signature
/// differs.
std::string kernelSignature(mlir::Operation *op,
                            const PackageContents &contents,
                            KernelTarget target);

/// Appends the signature to a kernel's source as the definition of
/// `ENTRY_signature` (CPU: an exported const char array) or
/// `KERNEL_signature` (CUDA: a __constant__ array).
void emitKernelSignature(mlir::Operation *op, const PackageContents &contents,
                         KernelTarget target, llvm::raw_ostream &os);

/// 64-bit FNV-1a of `text`, as 16 hex digits.
std::string hashText(llvm::StringRef text);

} // namespace attnc

#endif // ATTNC_CODEGEN_MANIFESTEMITTER_H
