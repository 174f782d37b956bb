//===- attnc-opt.cpp - mlir-opt for the attn dialect ----------------------===//
//
// Runs registered attn passes on .mlir files, as mlir-opt does, so that lit
// tests can pin each pass and the dialect's parser, printer and verifiers.
//
//===----------------------------------------------------------------------===//

#include "dialect/AttnOps.h"
#include "dialect/AttnPasses.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::attn::registerAttncPasses();
  mlir::DialectRegistry registry;
  registry.insert<mlir::attn::AttnDialect, mlir::arith::ArithDialect,
                  mlir::math::MathDialect, mlir::func::FuncDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "attnc optimizer driver\n", registry));
}
