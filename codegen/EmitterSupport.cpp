//===- EmitterSupport.cpp - Helpers shared by the emitters ----------------===//
//
// This file implements the small op queries declared in EmitterSupport.h.
//
//===----------------------------------------------------------------------===//

#include "codegen/EmitterSupport.h"

#include <cctype>

using namespace mlir;

namespace attnc {

const char *dtypeShortName(attn::Dtype dtype) {
  switch (dtype) {
  case attn::Dtype::f16:
    return "f16";
  case attn::Dtype::bf16:
    return "bf16";
  case attn::Dtype::f32:
    break;
  }
  return "f32";
}

std::string kernelBaseName(Operation *op) {
  std::string name = SymbolTable::getSymbolName(op).getValue().str();
  for (char &c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return name;
}

bool isIdentityScore(attn::AttentionOp op) {
  Block &block = op.getScore().front();
  auto yield = cast<attn::YieldOp>(block.getTerminator());
  return yield.getValue() == block.getArgument(6);
}

} // namespace attnc
