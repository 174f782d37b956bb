//===- Manifest.h - Reading a package's manifest.json -----------*- C++ -*-===//
//
// This file declares the in-memory form of a package manifest and the reader
// that builds it. The reader checks every field it knows (type, range, the
// family/normalize/has_lse combinations, file names that stay inside the
// package) and reports the first problem as
// "manifest.json: 'heads' must be a positive integer, got -3". Fields it does
// not know are ignored, so a newer compiler may add information without
// breaking older runtimes; incompatible changes bump 'format'.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_MANIFEST_H
#define ATTNC_RUNTIME_MANIFEST_H

#include "Error.h"
#include "ParamDims.h"
#include "Requirements.h"

#include "attnc/runtime.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace attnc {
namespace rt {

/// The manifest format this runtime reads.
constexpr int kManifestFormat = 1;

struct ManifestParam {
  std::string name;
  attnc_dtype dtype = ATTNC_I32;
  /// The dims text (runtime/lib/ParamDims.h): "bn", "h[13][13]", "" for a
  /// scalar; `shape` is its parsed form.
  std::string dims;
  std::vector<ParamDim> shape;
  /// Whether the backward writes this parameter's gradient ("grad").
  bool grad = false;
};

/// One `require` condition of the spec (docs/language.md §3a): checked
/// before every launch.
struct ManifestRequirement {
  std::string text; ///< as written in the spec, for messages
  int line = 0;     ///< its line in the spec
  std::string programText;
  RequirementProgram program;
};

struct ManifestCpu {
  std::string source;  ///< optional, for reference
  std::string library; ///< file name of the shared object
  std::string entry;   ///< exported C symbol
  /// The runtime block-mask builder; empty when the package has none.
  std::string blockMaskEntry;
  int blockMaskHeads = 0; ///< 1 or heads, with blockMaskEntry
  /// The mask reads params: a call without a block mask builds one first
  /// (docs/runtime.md §3b, "Automatic block masks").
  bool autoBlockMask = false;
  /// The backward entry (softmax family, `attnc compile --backward`).
  std::string backwardEntry;
  /// The entry also runs packed variable-length batches (ABI 6).
  bool ragged = false;
};

struct ManifestCuda {
  std::string source; ///< file name of the .cu, compiled by NVRTC on demand
  std::string header; ///< optional
  std::string kernel; ///< the __global__ function's name
  int blockThreads = 0;
  int sharedBytes = 0;
  /// Grid x: "q_blocks" (ceil(Nq / block_q), the softmax family) or
  /// "value_tiles" (valueTiles blocks, the linear family).
  std::string grid = "q_blocks";
  int valueTiles = 0;
  /// With "q_blocks": a fixed number of q-tiles when nonzero (a token grid's
  /// boxes, docs/language.md §3c), else ceil(Nq / block_q).
  int qTiles = 0;
  std::vector<std::string> archs;
  /// Prologue kernels (docs/runtime.md, "CUDA sessions"); empty names: the
  /// package has none. All run with prologueThreads threads per block.
  int prologueThreads = 0;
  std::string blockMaskKernel, blockMaskCsrKernel;
  int blockMaskHeads = 0; ///< 1 or heads, with blockMaskKernel
  bool autoBlockMask = false; ///< as ManifestCpu::autoBlockMask
  std::string selectKMeanKernel, selectKernel;
  std::string hybridStatesKernel, hybridScanKernel;
  int hybridFeatureDim = 0;
  /// The merge kernel (softmax family, attnc_merge_states_cuda) and its
  /// threads per block; empty: none.
  std::string mergeKernel;
  int mergeThreads = 0;
  /// The attention kernel also runs packed variable-length batches (ABI 6).
  bool ragged = false;
  /// Split-KV decode (ABI 7, docs/runtime.md §3g): the merge kernel of the
  /// partial results (launched with mergeThreads threads) and the most
  /// splits the attention kernel takes; empty and 0: none.
  std::string splitMergeKernel;
  int maxKvSplits = 0;
  /// The backward (softmax family, `attnc compile --backward`): its four
  /// kernels (docs/runtime.md, "Backward"), empty names when the package
  /// has none; the backward plan's tiles, threads and dynamic shared memory.
  std::string backwardRowsKernel, backwardKeyMajorKernel,
      backwardQueryMajorKernel, backwardParamsKernel;
  int backwardBlockQ = 0, backwardBlockK = 0, backwardThreads = 0,
      backwardSharedBytes = 0;
  /// The backward's kernels walk a block mask of the schedule's tiles.
  bool backwardBlockMask = false;
  /// Arch ("sm_80") to cubin file name, in manifest order.
  std::vector<std::pair<std::string, std::string>> cubins;

  /// Returns the cubin file for `arch`, or null.
  const std::string *findCubin(std::string_view arch) const;
};

struct Manifest {
  int format = 0;
  int abiVersion = 0;
  std::string attncVersion;
  std::string specHash;
  std::string name;
  std::string family;            ///< "softmax" or "linear"
  attnc_dtype dtype = ATTNC_F32; ///< f32, f16 or bf16
  int heads = 0;
  int kvHeads = 0;
  int headDim = 0;
  int valueDim = 0;
  std::string normalize; ///< "softmax", "sum" or "none"
  bool hasLse = false;
  /// Rows F of the linear family's state (after the feature map); 0 for the
  /// softmax family.
  int featureDim = 0;
  /// True for the causal linear family: the kernel takes an initial state
  /// and hands out the final one (state [B, H, F, Dv], and z [B, H, F] with
  /// normalize "sum").
  bool hasState = false;
  std::vector<ManifestParam> params;
  std::vector<ManifestRequirement> requirements;
  attnc_schedule schedule = {0, 0, 0, 0, 0};
  std::optional<ManifestCpu> cpu;
  std::optional<ManifestCuda> cuda;
};

/// Parses and validates manifest text. On failure returns an
/// ATTNC_ERROR_MANIFEST error whose message starts with "manifest.json: ".
Error parseManifest(std::string_view text, Manifest &out);

/// Reads `dir`/manifest.json (at most 1 MiB), parses it and checks that each
/// file it names exists in `dir`.
Error readManifest(const std::string &dir, Manifest &out);

/// Resolves `file` (a plain name from the manifest) in the package `dir`
/// and checks that its real path stays inside `dir`: a symlink to a file
/// outside the package is refused before anything opens it. `field` names
/// the manifest field in messages.
Error realPathInPackage(const std::string &dir, const std::string &field,
                        const std::string &file, std::string &out);

/// Reads a whole file (at most `maxBytes`) into `out`.
Error readFile(const std::string &path, size_t maxBytes, std::string &out);

} // namespace rt
} // namespace attnc

#endif // ATTNC_RUNTIME_MANIFEST_H
