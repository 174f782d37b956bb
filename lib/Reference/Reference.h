//===- Reference.h - The reference executor: attnc's oracle -----*- C++ -*-===//
//
// A plain evaluation of an attn op's meaning: every score of the softmax
// family one by one, the linear family's recurrence one token at a time,
// all in double. No tiling, no cleverness: it is what every backend is
// tested against, so it must be obviously right by reading.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_REFERENCE_REFERENCE_H
#define ATTNC_LIB_REFERENCE_REFERENCE_H

#include "lib/Reference/ExprProgram.h"

#include "mlir/IR/Operation.h"

#include "llvm/ADT/StringMap.h"

#include <optional>
#include <string>
#include <vector>

namespace attnc::reference {

/// A dense C-order tensor of doubles.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<double> data;
  int64_t dim(size_t i) const { return shape[i]; }
};

struct Inputs {
  Tensor q, k, v;
  llvm::StringMap<ParamValues> params;
  /// The causal linear family's initial state S [B, H, F, Dv] and, with
  /// normalize sum (where it must come with S), the normalizer z [B, H, F];
  /// absent, both start at zero.
  std::optional<Tensor> state, z;
  /// A ragged batch (softmax family, docs/runtime.md §3e): each sequence's
  /// query and key counts, B entries each; empty for a dense batch. q, k, v
  /// (and the params' n) are then padded to the longest sequence (at least
  /// 1), sequence b reads only its first seqQ[b] / seqK[b] rows, and every
  /// variable (q, k, Nq, Nk, the decode alignment) is its own. Padded rows
  /// of o are 0 and their lse -inf.
  std::vector<int64_t> seqQ, seqK;
};

struct Outputs {
  Tensor o;     ///< [B, H, Nq, Dv]
  Tensor lse;   ///< [B, H, Nq], softmax family only
  Tensor state; ///< [B, H, F, Dv] after the last key, causal linear only
  Tensor z;     ///< [B, H, F] after the last key, causal linear with sum only
};

/// The sizes an op's tensors must have, derived from q and k.
struct Problem {
  int64_t batch = 0, heads = 0, kvHeads = 0, queries = 0, keys = 0;
  int64_t headDim = 0, valueDim = 0;
  int64_t featureDim = 0; ///< F, the state's rows (linear family)
};

/// Whether `op` has a recurrent state (the causal linear family), and
/// whether that state has a normalizer z (normalize sum).
bool hasState(mlir::Operation *op);
bool hasNormalizerState(mlir::Operation *op);

/// Checks q, k, v, every declared parameter and the initial state against
/// the op (rank, shape, presence; no extras). On failure returns a message
/// that names the input, e.g.
/// "input 'k': expected shape [2, 4, 77, 64], got [2, 4, 77, 32]".
std::string checkInputs(mlir::Operation *op, const Inputs &inputs,
                        Problem &problem);

/// Runs `op` (attn.attention or attn.linear_attention) on checked inputs.
/// Fails with `error` set when an expression reads a parameter out of range.
mlir::LogicalResult run(mlir::Operation *op, const Inputs &inputs,
                        Outputs &outputs, std::string &error);

} // namespace attnc::reference

#endif // ATTNC_LIB_REFERENCE_REFERENCE_H
