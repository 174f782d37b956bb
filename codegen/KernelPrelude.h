//===- KernelPrelude.h - Text every emitted kernel starts with --*- C++ -*-===//
//
// Pieces shared by the CPU and CUDA emitters: the kernel ABI struct (pasted
// from runtime/include/attnc/kernel_abi.h so kernels stay self-contained),
// scalar helpers with the .attn language's semantics, dtype conversion, the
// per-q-block plan computed from the block map, and parameter readers.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_KERNELPRELUDE_H
#define ATTNC_CODEGEN_KERNELPRELUDE_H

#include "lib/Analysis/BlockPlan.h"

#include "dialect/AttnOps.h"

#include "mlir/IR/BuiltinAttributes.h"

#include "llvm/Support/raw_ostream.h"

namespace attnc {

enum class Target { Cpu, Cuda };

/// CPU only: the 8-float vector type (`attnc_v8`), unaligned load/store and
/// a vectorized exp (`attnc_exp8`) shared by both CPU emitters.
void emitCpuVectorHelpers(llvm::raw_ostream &os);

/// The AttncKernelArgs struct alone (for launcher headers).
void emitKernelAbi(llvm::raw_ostream &os);

/// The ABI struct, scalar helpers (`ATTNC_HD` functions usable on host and
/// device) and load/store of the storage dtype `dtype` ("f32", "f16",
/// "bf16") as `attnc_load`/`attnc_store` over `storage_t`.
void emitPrelude(llvm::raw_ostream &os, Target target, llvm::StringRef dtype);

/// `attnc_plan_qblock(qb, Nq, Nk)` returning an AttncPlan, walked with
/// `attnc_plan_next(plan, kb)` and tested with `attnc_plan_full(plan, kb)`:
/// the C form of planQBlock in lib/Analysis/BlockPlan.h (same visited and
/// full blocks) for these clauses and tiles. A non-empty `name` prefixes
/// the names instead (`attnc_NAME_plan_qblock`, `AttncNAMEPlan`, ...) so a
/// kernel can hold a second plan.
void emitBlockPlan(llvm::raw_ostream &os,
                   const std::vector<MaskClause> &clauses, int64_t blockQ,
                   int64_t blockK, llvm::StringRef name = "");

/// One `attnc_param_<name>(args, i0, ...)` reader per parameter, returning 0
/// out of range; `headDim` sizes the d dimension, `heads` the h one.
void emitParamReaders(llvm::raw_ostream &os, mlir::ArrayAttr params,
                      int64_t heads, int64_t headDim);

/// The C expression reading parameter `name` (for ExprEmitter).
std::string paramReadExpr(llvm::StringRef name,
                          const std::vector<std::string> &indices);

/// `attnc_mask(args, b, h, q, k, Nq, Nk)` and `attnc_score(..., s)`: the
/// op's regions as ATTNC_HD functions (inlined by both compilers).
mlir::LogicalResult emitMaskAndScore(mlir::attn::AttentionOp op,
                                     llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_CODEGEN_KERNELPRELUDE_H
