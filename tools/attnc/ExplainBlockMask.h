//===- ExplainBlockMask.h - `attnc explain --block-mask` --------*- C++ -*-===//
//
// The static plan cannot see through masks that read params or use `/` and
// `%` (documents, grids): it counts every tile it cannot bound as visited.
// `explain --block-mask` measures what the runtime block mask (docs/runtime.md
// §3a) keeps instead: it compiles a temporary CPU package, draws random
// inputs (the same generator as `attnc run --random`), builds the mask and
// prints its counts beside the static plan's; with --svg it draws the
// runtime map of batch 0, head 0.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TOOLS_ATTNC_EXPLAINBLOCKMASK_H
#define ATTNC_TOOLS_ATTNC_EXPLAINBLOCKMASK_H

#include "mlir/IR/Operation.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>

namespace attnc {

struct RuntimeMaskRequest {
  int64_t nq = 0, nk = 0;
  uint64_t seed = 0;
  int meanSegment = 32;
  /// Where to draw the runtime map; "" for none.
  std::string svgPath;
};

/// Prints the runtime block mask's counts for one random call of `op`
/// (scheduled to the kernel level; `specText` is its spec). Errors are
/// reported as `attnc: error:` lines.
mlir::LogicalResult explainRuntimeBlockMask(mlir::Operation *op,
                                            llvm::StringRef specText,
                                            const RuntimeMaskRequest &request,
                                            llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_TOOLS_ATTNC_EXPLAINBLOCKMASK_H
