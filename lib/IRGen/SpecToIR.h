//===- SpecToIR.h - Build attn IR from a checked spec -----------*- C++ -*-===//
//
// Turns the checked AST of an .attn file into a module of attn ops whose
// locations point back into the spec.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_IRGEN_SPECTOIR_H
#define ATTNC_LIB_IRGEN_SPECTOIR_H

#include "lib/Spec/Ast.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace attnc {

/// Builds one attn.attention or attn.linear_attention per spec in `file`.
/// Every spec must have passed spec::checkAttention.
mlir::OwningOpRef<mlir::ModuleOp> buildModule(mlir::MLIRContext *context,
                                              const spec::SpecFile &file,
                                              llvm::StringRef filename);

} // namespace attnc

#endif // ATTNC_LIB_IRGEN_SPECTOIR_H
