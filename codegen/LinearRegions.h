//===- LinearRegions.h - Scalar functions of a linear op's regions -*- C++ -*-===//
//
// What the CPU and CUDA linear emitters (and the hybrid's linear branch)
// share: a parameter's slot in AttncKernelArgs::params, and the op's
// feature-expression and decay regions printed as scalar functions.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_LINEARREGIONS_H
#define ATTNC_CODEGEN_LINEARREGIONS_H

#include "dialect/AttnOps.h"

#include "llvm/Support/raw_ostream.h"

namespace attnc {

/// Position of parameter `name` in `params` (the order of
/// AttncKernelArgs::params), or -1.
int paramIndexOf(mlir::ArrayAttr params, llvm::StringRef name);

/// Emits `attnc_feature_x(args, b, h, n, d, Nq, Nk, x)` (when `feature` and
/// the op's feature is an expression) and `attnc_decay(args, b, h, n, d, Nq,
/// Nk)` (when `decay`): the regions as ATTNC_HD functions.
mlir::LogicalResult emitLinearRegions(mlir::attn::LinearAttentionOp op,
                                      bool feature, bool decay,
                                      llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_CODEGEN_LINEARREGIONS_H
