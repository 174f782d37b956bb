//===- attnc-translate.cpp - The emitters as MLIR translations -------------===//
//
// Runs attnc's emitters on kernel-level .mlir (what `attnc --emit=kernel`
// prints, possibly edited), as mlir-translate does, so that lit tests pin
// what each printer accepts and the errors it gives for IR it has no
// translation for:
//   attnc-translate --attn-to-cuda | --attn-to-cuda-header | --attn-to-cpu
// Every attention op of the module is printed, in order.
//
//===----------------------------------------------------------------------===//

#include "codegen/CpuEmitter.h"
#include "codegen/CudaEmitter.h"
#include "dialect/AttnKernelOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "mlir/Tools/mlir-translate/Translation.h"

using namespace mlir;

namespace {

using Emit = LogicalResult (*)(Operation *, llvm::raw_ostream &);

LogicalResult emitEach(ModuleOp module, llvm::raw_ostream &os, Emit emit) {
  bool any = false;
  for (Operation &op : module.getBody()->getOperations()) {
    if (!isa<attn::AttentionOp, attn::LinearAttentionOp>(op))
      continue;
    any = true;
    if (failed(emit(&op, os)))
      return failure();
  }
  if (!any)
    return module.emitError() << "no attn.attention or attn.linear_attention "
                                 "to translate";
  return success();
}

void registerDialects(DialectRegistry &registry) {
  registry.insert<attn::AttnDialect, arith::ArithDialect, math::MathDialect,
                  func::FuncDialect>();
}

} // namespace

int main(int argc, char **argv) {
  TranslateFromMLIRRegistration cuda(
      "attn-to-cuda", "the CUDA .cu of each op's CUDA attn.kernel",
      [](ModuleOp m, llvm::raw_ostream &os) {
        return emitEach(m, os, attnc::emitCuda);
      },
      registerDialects);
  TranslateFromMLIRRegistration header(
      "attn-to-cuda-header", "the host-launcher header of each CUDA kernel",
      [](ModuleOp m, llvm::raw_ostream &os) {
        return emitEach(m, os, attnc::emitCudaHeader);
      },
      registerDialects);
  TranslateFromMLIRRegistration cpu(
      "attn-to-cpu", "the CPU C++ of each op's CPU attn.kernel",
      [](ModuleOp m, llvm::raw_ostream &os) {
        return emitEach(m, os, attnc::emitCpu);
      },
      registerDialects);
  return failed(mlirTranslateMain(argc, argv, "attnc translation driver"));
}
