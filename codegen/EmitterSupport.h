//===- EmitterSupport.h - Helpers shared by the emitters --------*- C++ -*-===//
//
// Small queries on attention ops that both backends and the manifest need.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_EMITTERSUPPORT_H
#define ATTNC_CODEGEN_EMITTERSUPPORT_H

#include "dialect/AttnOps.h"

#include <string>

namespace attnc {

/// "f32", "f16" or "bf16".
const char *dtypeShortName(mlir::attn::Dtype dtype);

/// The C identifier derived from the op's symbol name.
std::string kernelBaseName(mlir::Operation *op);

/// True when the score region yields its `s` argument unchanged.
bool isIdentityScore(mlir::attn::AttentionOp op);

} // namespace attnc

#endif // ATTNC_CODEGEN_EMITTERSUPPORT_H
