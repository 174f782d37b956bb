//===- ArgCheck.h - Checking kernel arguments -------------------*- C++ -*-===//
//
// This file declares the checks every attnc_run_cpu and attnc_launch_cuda
// call passes before a kernel sees its arguments: ranks, dtypes, shapes
// derived from the manifest, strides, null pointers, overflow, output
// overlap and alignment. A kernel trusts AttncKernelArgs completely (it does
// no bounds checks), so everything a kernel could trip over is caught here,
// with messages that name the tensor and say what was expected.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_ARGCHECK_H
#define ATTNC_RUNTIME_ARGCHECK_H

#include "CudaLoader.h"
#include "Error.h"
#include "Manifest.h"

#include "attnc/kernel_abi.h"
#include "attnc/runtime.h"

#include <initializer_list>
#include <vector>

namespace attnc {
namespace rt {

enum class Target { Cpu, Cuda };

/// The tensors of one call, as the C API received them.
struct CallTensors {
  const attnc_tensor *q = nullptr;
  const attnc_tensor *k = nullptr;
  const attnc_tensor *v = nullptr;
  const attnc_tensor *o = nullptr;
  const attnc_tensor *lse = nullptr;
  const attnc_tensor *params = nullptr;
  int numParams = 0;
  /// The linear family's recurrent state; null for none.
  const attnc_linear_state *state = nullptr;
  /// No output: o and lse are neither checked nor passed (block-mask builds,
  /// which read only the shapes and the params).
  bool noOutput = false;
  /// A packed variable-length batch (ABI 6); null for a dense call.
  const attnc_varlen *varlen = nullptr;
  /// A paged KV cache (ABI 7); null for contiguous k and v.
  const attnc_paged_kv *paged = nullptr;
};

/// Evaluates the spec's `require` conditions (docs/language.md §3a) for
/// these lengths; the first one violated is an ATTNC_ERROR_INVALID_ARGUMENT
/// that quotes it. checkArguments calls it for every launch.
Error checkRequirements(const Manifest &m, long long Nq, long long Nk);

/// What one tensor must look like.
struct Expect {
  std::string label; ///< "tensor 'q'" or "param 'doc'"
  attnc_dtype dtype;
  int rank;
  long long shape[4];
  bool contiguous; ///< strides must be row-major
  bool output;     ///< elements must not overlap
  bool vectorized; ///< CUDA: 16-byte base and row alignment
};

/// A rank-4 tensor [d0, d1, d2, d3] of `dtype`, any positive strides (last
/// 1), 16-byte vectorized on CUDA.
Expect expect4(const char *name, attnc_dtype dtype, long long d0, long long d1,
               long long d2, long long d3, bool output);

/// The lse output: float32, contiguous, of `shape` ([B, H, Nq] for dense
/// queries, [H, total_q] for packed ones).
Expect lseExpect(std::initializer_list<long long> shape);

/// The error of an lse given to a package without one (has_lse false).
Error lseNotProduced(const Manifest &m);

/// A packed [tokens, heads, dim] tensor of a ragged or paged call.
Expect packedExpect(const char *name, attnc_dtype dtype, long long tokens,
                    long long heads, long long dim, bool output);

/// The kernel's view of a packed [tokens, heads, dim] tensor: batch stride
/// 0 (a kernel adds its sequence's first token along [2]), [1] heads, [2]
/// tokens.
AttncStrides4 packedStrides(const attnc_tensor *t);

/// checkTensor for a packed tensor; one of no tokens is checked for rank,
/// dtype and shape only (its data is never read). `because` says where the
/// expected token count comes from.
Error checkPackedTensor(const attnc_tensor *t, Expect e, Target target,
                        const std::string &because,
                        std::vector<CudaLaunch::Pointer> *ptrs);

/// One cu_seqlens tensor: int32, rank 1, contiguous, host memory, `entries`
/// entries (B + 1; -1: at least 2, the tensor fixes B), 0 first,
/// non-decreasing. `total` receives the last entry, `longest` the longest
/// sequence; `batchFrom` names the tensor that fixed B.
Error checkSeqOffsets(const attnc_tensor *t, const char *name,
                      long long entries, long long &total, long long &longest,
                      const char *batchFrom = "cu_seqlens_q");

/// Checks one tensor against `e` (rank, dtype, shape, data, strides,
/// extent, overlap, alignment); appends its pointer to `pointers` if given.
Error checkTensor(const attnc_tensor *t, const Expect &e, Target target,
                  std::vector<CudaLaunch::Pointer> *pointers);

/// The params of a call: their count and each one's dtype and shape from
/// the manifest's dims with sizes B, H, Nk and head_dim.
Error checkParams(const Manifest &m, const CallTensors &t, long long B,
                  long long Nk, Target target,
                  std::vector<CudaLaunch::Pointer> *ptrs);

/// checkArguments for a packed variable-length batch (t.varlen, docs/
/// runtime.md §3e): cu_seqlens (host int32 [B + 1], starting at 0,
/// non-decreasing), q, k, v, o as [tokens, heads, dim], lse as [H, total_q],
/// the params at the padded lengths. Fills `args` with batch-stride-0 views,
/// the padded lengths and the host cu_seqlens; `totalQ` receives
/// cu_seqlens_q[B] (0: nothing to run).
Error checkVarlenArguments(const Manifest &m, const CallTensors &t,
                           Target target, AttncKernelArgs &args,
                           long long &totalQ,
                           std::vector<CudaLaunch::Pointer> *pointers);

/// checkArguments for a paged KV cache (t.paged, docs/runtime.md §3f): the
/// block table (host int32 [B, max_pages], every page a sequence reads
/// inside the pool), kv_lens (host int32 [B]), k and v as page pools of the
/// layout, q/o/lse dense or packed by cu_seqlens_q, the params at the
/// longest kv length. Fills `args` with the pools' strides, host pointers
/// to the tables and the padded lengths; `rows` receives the number of query
/// rows (0: nothing to run).
Error checkPagedArguments(const Manifest &m, const CallTensors &t,
                          Target target, AttncKernelArgs &args,
                          long long &rows,
                          std::vector<CudaLaunch::Pointer> *pointers);

/// Checks `t` against `m` for `target` and fills `args`. For CUDA, also lists
/// every pointer passed in `pointers`, for the driver's memory-type check.
Error checkArguments(const Manifest &m, const CallTensors &t, Target target,
                     AttncKernelArgs &args,
                     std::vector<CudaLaunch::Pointer> *pointers);

/// Checks the gradients of a backward call (after checkArguments filled
/// `forward`) for `target` and fills `out`; for CUDA also lists every
/// pointer in `pointers`.
Error checkBackwardArguments(const Manifest &m, const AttncKernelArgs &forward,
                             const attnc_backward_tensors *grads,
                             int numParams, Target target,
                             AttncBackwardArgs &out,
                             std::vector<CudaLaunch::Pointer> *pointers);

/// The most pieces one attnc_merge_states_* call merges.
constexpr int kMaxMergeParts = 4096;

/// attnc_merge_states_*: `parts` pairs of o [B, H, Nq, Dv] (f32, f16 or
/// bf16, one dtype, any positive strides, last 1) and lse [B, H, Nq]
/// (float32, contiguous), and the merged o and lse of the same shapes.
/// Fills `shape` with B, H, Nq, Dv and `dtype` with o's dtype.
Error checkMergeArguments(const attnc_tensor *oParts,
                          const attnc_tensor *lseParts, int parts,
                          const attnc_tensor *o, const attnc_tensor *lse,
                          Target target, long long (&shape)[4],
                          attnc_dtype &dtype);

/// Formats a shape for messages: "[2, 8, 128, 64]".
std::string shapeString(const long long *shape, int rank);

/// Returns the size in bytes of one element, or 0 for an invalid dtype.
size_t dtypeSize(attnc_dtype dtype);

} // namespace rt
} // namespace attnc

#endif // ATTNC_RUNTIME_ARGCHECK_H
