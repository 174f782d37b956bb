//===- AttnDialect.td - The attn dialect --------------------*- tablegen -*-===//
//
// The attn dialect holds what an attention variant computes: head
// configuration, dtypes and the user's expressions as regions of arith/math
// ops. How it is computed (tiles, chunks, stages) is one schedule attribute
// that passes fill in and lower.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_TD
#define ATTN_DIALECT_TD

include "mlir/IR/OpBase.td"

def Attn_Dialect : Dialect {
  let name = "attn";
  let cppNamespace = "::mlir::attn";
  let summary = "Attention variants: what is computed, then how";
  let description = [{
    An `attn.attention` (softmax family) or `attn.linear_attention` (linear
    family) op describes one attention variant. Its regions (mask, score,
    feature, decay) are the user's expressions as arith/math ops whose block
    arguments are the named variables of the .attn language (b, h, q, k, s,
    n, d, x, Nq, Nk). Passes attach one schedule and per-target plans;
    conversion passes then lower each op to `attn.kernel` ops: the kernel
    level (AttnKernelOps.td), explicit loops over tiles and chunks that
    the emitters translate.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
  let useDefaultAttributePrinterParser = 1;
  let useDefaultTypePrinterParser = 1;
  let extraClassDeclaration = [{
    /// Adds the kernel level's types and ops (lib/Dialect/AttnKernelOps.cpp).
    void registerKernelLevel();
  }];
}

#endif // ATTN_DIALECT_TD
