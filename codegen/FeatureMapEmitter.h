//===- FeatureMapEmitter.h - Feature maps phi as C functions ----*- C++ -*-===//
//
// The linear family's `feature` and a hybrid spec's linear branch apply a
// feature map phi to q and k rows. This emitter prints one C function per
// map (valid C++ and CUDA C++), the same arithmetic as the reference
// executor's FeatureMap (lib/Reference/Reference.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_FEATUREMAPEMITTER_H
#define ATTNC_CODEGEN_FEATUREMAPEMITTER_H

#include "dialect/AttnOps.h"

#include "llvm/Support/raw_ostream.h"

namespace attnc {

/// Emits `static inline void NAME(const AttncKernelArgs &args, long long b,
/// long long h, long long n, const float *x, float *phi)`: phi (F floats)
/// of the D channels x of the token at position n. Expression maps also get
/// `NAME_x(args, b, h, n, d, Nq, Nk, x)`, the region `exprBlock` (signature
/// (b, h, n, d, Nq, Nk, x) -> f32) as a scalar function. `weightParam` is
/// the index in args.params of hedgehog's weight [H, D, D] (unused
/// otherwise). The emitted code needs the prelude and the macro `D`.
mlir::LogicalResult emitFeatureMapFunction(llvm::raw_ostream &os,
                                           llvm::StringRef name,
                                           mlir::attn::Feature kind,
                                           mlir::Block &exprBlock,
                                           int weightParam);

} // namespace attnc

#endif // ATTNC_CODEGEN_FEATUREMAPEMITTER_H
