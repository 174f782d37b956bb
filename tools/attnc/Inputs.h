//===- Inputs.h - Tensors for `attnc run` -----------------------*- C++ -*-===//
//
// Loading q, k, v and parameters from .npy files (or making seeded random
// ones), rounding them to the spec's storage dtype, and writing outputs.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TOOLS_ATTNC_INPUTS_H
#define ATTNC_TOOLS_ATTNC_INPUTS_H

#include "lib/Reference/Reference.h"

#include <string>
#include <vector>

namespace attnc {

/// Reads `name=path` pairs into `inputs`, checking element types against
/// the op (q, k, v: float32 or float16; i32 params: int32; f32 params and
/// the linear family's initial `state` and `z`: float32). On failure returns
/// a message naming the input and file.
/// With `outputGradient`, also accepts `do=FILE.npy` (float32): dO, the
/// gradient of o, for a backward run.
std::string loadInputs(mlir::Operation *op,
                       const std::vector<std::string> &assignments,
                       reference::Inputs &inputs,
                       reference::Tensor *outputGradient = nullptr);

/// A seeded standard-normal dO of o's shape [B, H, Nq, Dv] (float32 values).
reference::Tensor randomOutputGradient(const reference::Problem &p,
                                       uint64_t seed);

/// Makes seeded random inputs for shape "B,Nq[,Nk]": q, k, v standard
/// normal; i32 params over n as sorted segment ids (document-like), other
/// i32 params in [0, 4); f32 params uniform in [0.05, 1). With
/// `randomState` (causal linear family only), also an initial state,
/// standard normal, and with normalize sum a normalizer uniform in
/// [0.5, 1.5).
std::string makeRandomInputs(mlir::Operation *op, const std::string &shape,
                             uint64_t seed, bool randomState,
                             reference::Inputs &inputs,
                             int meanSegment = 32);

/// Rounds q, k and v to the op's storage dtype, as a kernel would store
/// them; parameters are used as given.
void roundToStorageDtype(mlir::Operation *op, reference::Inputs &inputs);

/// Writes q, k, v (float32), every parameter (int32 or float32) and the
/// initial state if any (state, z) as DIR/NAME.npy, e.g. to carry inputs to
/// a GPU machine.
std::string saveInputs(mlir::Operation *op, const reference::Inputs &inputs,
                       const std::string &dir);

/// Writes `t` as float32 .npy; returns an error message or "".
std::string writeTensor(const std::string &path, const reference::Tensor &t);

} // namespace attnc

#endif // ATTNC_TOOLS_ATTNC_INPUTS_H
