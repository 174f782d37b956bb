//===- AttnKernelOps.h - attn kernel-level ops ------------------*- C++ -*-===//
//
// Declares the kernel-level ops of the attn dialect (AttnKernelOps.td):
// attn.kernel and the tile, loop and chunk ops inside it.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECT_ATTNKERNELOPS_H
#define ATTNC_DIALECT_ATTNKERNELOPS_H

#include "dialect/AttnOps.h"

#include "mlir/IR/RegionKindInterface.h"

#define GET_OP_CLASSES
#include "dialect/AttnKernelOps.h.inc"

#endif // ATTNC_DIALECT_ATTNKERNELOPS_H
