//===- MergeStates.h - Merging partial attention states ---------*- C++ -*-===//
//
// attnc_merge_states_cpu: the exact combination of softmax attention results
// over disjoint key sets (docs/runtime.md, "Merging attention states").
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_MERGESTATES_H
#define ATTNC_RUNTIME_MERGESTATES_H

#include "Error.h"

#include "attnc/runtime.h"

namespace attnc {
namespace rt {

/// Checks the tensors (checkMergeArguments) and merges on the host.
Error mergeStatesCpu(const attnc_tensor *oParts, const attnc_tensor *lseParts,
                     int parts, const attnc_tensor *o, const attnc_tensor *lse);

} // namespace rt
} // namespace attnc

#endif // ATTNC_RUNTIME_MERGESTATES_H
