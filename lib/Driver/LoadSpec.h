//===- LoadSpec.h - Spec file to verified attn module -----------*- C++ -*-===//
//
// The front half of every attnc command: read a .attn buffer, parse and
// check it, build and verify the attn module. Every problem is reported as
// an MLIR diagnostic at a file:line:col location.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_DRIVER_LOADSPEC_H
#define ATTNC_LIB_DRIVER_LOADSPEC_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/Support/MemoryBuffer.h"

namespace attnc {

/// Parses, checks and lowers the spec in `buffer` (its identifier is used
/// as the file name in locations). Returns null after reporting errors.
mlir::OwningOpRef<mlir::ModuleOp> loadSpec(mlir::MLIRContext *context,
                                           const llvm::MemoryBuffer &buffer);

/// The attention op called `name` in `module`, or the only one when `name`
/// is empty. Reports an error and returns null otherwise.
mlir::Operation *selectAttention(mlir::ModuleOp module, llvm::StringRef name);

} // namespace attnc

#endif // ATTNC_LIB_DRIVER_LOADSPEC_H
