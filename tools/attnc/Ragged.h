//===- Ragged.h - Packed variable-length batches for `attnc run` -*- C++ -*-===//
//
// `attnc run --cu-seqlens-q F --cu-seqlens-k F` takes q, k, v packed as
// [tokens, heads, dim] (docs/runtime.md §3e). The reference executor runs
// the padded equivalent ([B, heads, longest, dim] with each sequence's
// lengths), so inputs are unpacked once; the compiled backends get the
// packed tensors through attnc_run_cpu_varlen / attnc_launch_cuda_varlen,
// and their packed results are unpacked again for --check.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TOOLS_ATTNC_RAGGED_H
#define ATTNC_TOOLS_ATTNC_RAGGED_H

#include "lib/Reference/Reference.h"
#include "tools/attnc/Paged.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attnc {

/// The offsets of a packed batch, as given (checked by checkRaggedBatch).
struct RaggedBatch {
  std::vector<int32_t> cuQ, cuK;
  int64_t batch() const { return static_cast<int64_t>(cuQ.size()) - 1; }
};

/// Reads the two int32 rank-1 .npy files. Returns an error message or "".
std::string loadRaggedBatch(const std::string &qPath, const std::string &kPath,
                            RaggedBatch &out);

/// The rules the runtime enforces, for the reference backend, which has no
/// runtime: B + 1 >= 2 entries each, equal counts, 0 first, non-decreasing.
std::string checkRaggedBatch(const RaggedBatch &batch);

/// Turns the packed q [Tq, H, D], k [Tk, G, D], v [Tk, G, Dv] of `inputs`
/// into the padded [B, ., longest, .] tensors the reference takes (zeros
/// past each sequence) and sets its sequence lengths.
std::string unpackInputs(const RaggedBatch &batch, reference::Inputs &inputs);

/// [B, H, P, X] padded rows -> [T, H, X] packed by `cu`.
reference::Tensor packRows(const reference::Tensor &padded,
                           const std::vector<int32_t> &cu);
/// [B, H, P] padded lse -> [H, T] packed by `cu`.
reference::Tensor packLse(const reference::Tensor &padded,
                          const std::vector<int32_t> &cu);

/// Runs the package's CPU (or, with `cuda`, CUDA) backend on `inputs`
/// (padded, rounded to the storage dtype) and fills `outputs` in the padded
/// form (o 0 and lse -inf past each sequence): q packed by `batch` (or
/// dense without one), k and v packed by it, or with `paging` in a shuffled
/// page pool (tools/attnc/Paged.h) through the paged entry points.
/// `kvSplits`: attnc_package_set_kv_splits (CUDA split-KV decode).
std::string runRaggedPackage(mlir::Operation *op, const std::string &dir,
                             const RaggedBatch *batch,
                             const PagingOptions *paging,
                             const reference::Inputs &inputs, bool wantLse,
                             bool cuda, reference::Outputs &outputs,
                             int kvSplits = 0);

} // namespace attnc

#endif // ATTNC_TOOLS_ATTNC_RAGGED_H
