//===- ExprEmitter.h - attn regions as C expressions ------------*- C++ -*-===//
//
// Both backends inline the user's mask, score, feature and decay regions
// into generated code. This translator prints a region's arith/math ops as
// C statements (valid C++ and CUDA C++), one `const` temporary per op, using
// the helper functions of the emitted prelude (see KernelPrelude.h) for
// operations whose C spelling differs from the .attn semantics.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_EXPREMITTER_H
#define ATTNC_CODEGEN_EXPREMITTER_H

#include "mlir/IR/Block.h"
#include "mlir/Support/LogicalResult.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace attnc {

/// Returns the C expression that reads parameter `name` at `indices`.
using ParamReader = llvm::function_ref<std::string(
    llvm::StringRef name, const std::vector<std::string> &indices)>;

/// Returns the C statement that adds `value` to the gradient of parameter
/// `name` at `indices` (attn.param_grad in a derivative region).
using ParamGradWriter = llvm::function_ref<std::string(
    llvm::StringRef name, const std::vector<std::string> &indices,
    const std::string &value)>;

/// Prints the statements computing `block`'s yielded value, indented by
/// `indent`, and returns the C name holding it. `args` are the C
/// expressions of the block arguments; temporaries are named `prefix`N.
/// attn.param_grad becomes `writeGrad`'s statement (an error without one).
/// Fails with an error on the op for anything it cannot translate.
mlir::FailureOr<std::string> emitRegionAsC(mlir::Block &block,
                                           llvm::ArrayRef<std::string> args,
                                           ParamReader readParam,
                                           llvm::StringRef prefix,
                                           llvm::StringRef indent,
                                           llvm::raw_ostream &os,
                                           ParamGradWriter writeGrad = {});

/// A float as a C literal that round-trips (special values through the
/// prelude's helpers).
std::string floatLiteral(double value);

} // namespace attnc

#endif // ATTNC_CODEGEN_EXPREMITTER_H
