//===- ExprProgram.h - Evaluate an attn region on scalars -------*- C++ -*-===//
//
// The reference executor evaluates mask, score, feature and decay regions
// millions of times; walking MLIR ops each time would be slow and obscure.
// An ExprProgram is the region flattened once into a list of scalar
// instructions over slots (block arguments first, then op results), then
// run in double precision (integers in int64).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_REFERENCE_EXPRPROGRAM_H
#define ATTNC_LIB_REFERENCE_EXPRPROGRAM_H

#include "mlir/IR/Block.h"
#include "mlir/Support/LogicalResult.h"

#include "llvm/ADT/StringMap.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attnc::reference {

/// One scalar: int64 for integers and booleans, double for floats.
union Scalar {
  int64_t i;
  double f;
};

/// A runtime parameter's values with the strides of its index space.
struct ParamValues {
  std::vector<int64_t> shape;
  std::vector<double> values; ///< C order; i32 params hold exact integers
};

class ExprProgram {
public:
  /// Flattens `block` (whose terminator is attn.yield). Parameters read by
  /// attn.param are bound to `params`, and the gradients attn.param_grad
  /// adds to (a derivative region's) to `paramGrads`, shaped like the
  /// parameters; both must outlive the program. Emits an error on the op
  /// and fails for an op the reference does not know (a compiler bug, not
  /// a user error: the frontend never makes one).
  static mlir::FailureOr<ExprProgram>
  compile(mlir::Block &block, const llvm::StringMap<ParamValues> &params,
          llvm::StringMap<ParamValues> *paramGrads = nullptr);

  /// Flattens only what the i1 values `conjuncts` of `block` depend on and
  /// yields their conjunction (true for none): a part of a mask evaluated
  /// on its own (lib/Analysis/GridTiles.cpp). Fails like compile, also on
  /// a parameter read (there are no parameters to bind).
  static mlir::FailureOr<ExprProgram>
  compileConjunction(mlir::Block &block, llvm::ArrayRef<mlir::Value> conjuncts);

  /// Runs the program; `args` holds one scalar per block argument. A
  /// parameter index out of range sets `error` (if still empty) and reads 0.
  Scalar run(const Scalar *args, std::string &error) const;

private:
  enum class Opcode;
  static mlir::FailureOr<ExprProgram>
  build(mlir::Block &block, const llvm::StringMap<ParamValues> &params,
        llvm::StringMap<ParamValues> *paramGrads,
        llvm::ArrayRef<mlir::Value> *conjuncts);
  struct Instr {
    Opcode opcode;
    int dst = 0;
    int a = 0, b = 0, c = 0;
    int64_t predicate = 0;
    Scalar constant{0};
    const ParamValues *param = nullptr;
    ParamValues *grad = nullptr; ///< attn.param_grad's destination
    std::string paramName;
    bool paramIsInt = false;
    std::vector<int> indices;
  };
  std::vector<Instr> instrs;
  int numArgs = 0;
  int numSlots = 0;
  int resultSlot = 0;
};

} // namespace attnc::reference

#endif // ATTNC_LIB_REFERENCE_EXPRPROGRAM_H
