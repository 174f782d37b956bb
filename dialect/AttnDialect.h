//===- AttnDialect.h - The attn dialect -------------------------*- C++ -*-===//
//
// Declares the attn dialect class, its enums and attributes.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECT_ATTNDIALECT_H
#define ATTNC_DIALECT_ATTNDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"

#include "dialect/AttnDialect.h.inc"
#include "dialect/AttnEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialect/AttnAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialect/AttnTypes.h.inc"

#endif // ATTNC_DIALECT_ATTNDIALECT_H
