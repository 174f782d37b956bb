//===- ExprEmitter.cpp - attn regions as C expressions --------------------===//
//
// This file implements the region-to-C translation shared by the CPU and
// CUDA emitters. Output is deterministic: temporaries are numbered in op
// order, never named after pointers.
//
//===----------------------------------------------------------------------===//

#include "codegen/ExprEmitter.h"

#include "dialect/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <cstdio>

using namespace mlir;

namespace attnc {

std::string floatLiteral(double value) {
  if (std::isnan(value))
    return "attnc_nan()";
  if (std::isinf(value))
    return value > 0 ? "attnc_inf()" : "(-attnc_inf())";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9g", static_cast<double>(float(value)));
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos)
    s += ".0";
  return s + "f";
}

static const char *cType(Type t) {
  if (t.isInteger(1))
    return "bool";
  if (t.isInteger(32))
    return "int";
  if (t.isInteger(64))
    return "long long";
  return "float";
}

static const char *cmpIOp(arith::CmpIPredicate p) {
  switch (p) {
  case arith::CmpIPredicate::eq:
    return "==";
  case arith::CmpIPredicate::ne:
    return "!=";
  case arith::CmpIPredicate::slt:
    return "<";
  case arith::CmpIPredicate::sle:
    return "<=";
  case arith::CmpIPredicate::sgt:
    return ">";
  case arith::CmpIPredicate::sge:
    return ">=";
  default:
    return nullptr;
  }
}

FailureOr<std::string> emitRegionAsC(Block &block, ArrayRef<std::string> args,
                                     ParamReader readParam, StringRef prefix,
                                     StringRef indent, raw_ostream &os,
                                     ParamGradWriter writeGrad) {
  llvm::DenseMap<Value, std::string> names;
  for (auto [arg, name] : llvm::zip(block.getArguments(), args))
    names[arg] = name;
  unsigned counter = 0;
  for (Operation &op : block) {
    if (auto yield = dyn_cast<attn::YieldOp>(op))
      return names.lookup(yield.getValue());
    auto in = [&](unsigned i) { return names.lookup(op.getOperand(i)); };
    if (auto grad = dyn_cast<attn::ParamGradOp>(op)) {
      if (!writeGrad)
        return op.emitError() << "a parameter gradient cannot be emitted here";
      std::vector<std::string> indices;
      for (Value v : grad.getIndices())
        indices.push_back(names.lookup(v));
      os << indent
         << writeGrad(grad.getName(), indices, names.lookup(grad.getValue()))
         << "\n";
      continue;
    }
    std::string expr;
    auto binary = [&](const char *sym) {
      expr = "(" + in(0) + " " + sym + " " + in(1) + ")";
      return true;
    };
    auto call = [&](const char *fn) {
      expr = std::string(fn) + "(" + in(0);
      for (unsigned i = 1; i < op.getNumOperands(); ++i)
        expr += ", " + in(i);
      expr += ")";
      return true;
    };
    bool ok =
        TypeSwitch<Operation *, bool>(&op)
            .Case([&](arith::ConstantOp c) {
              if (auto f = dyn_cast<FloatAttr>(c.getValue())) {
                expr = floatLiteral(f.getValueAsDouble());
                return true;
              }
              if (auto i = dyn_cast<IntegerAttr>(c.getValue())) {
                if (c.getType().isInteger(1))
                  expr = i.getValue().getBoolValue() ? "true" : "false";
                else
                  expr = std::to_string(i.getValue().getSExtValue()) + "LL";
                return true;
              }
              return false;
            })
            // Wrapping, not C's signed +, - and * (undefined on overflow).
            .Case([&](arith::AddIOp) { return call("attnc_addi"); })
            .Case([&](arith::SubIOp) { return call("attnc_subi"); })
            .Case([&](arith::MulIOp) { return call("attnc_muli"); })
            .Case([&](arith::FloorDivSIOp) { return call("attnc_floordiv"); })
            .Case([&](arith::RemSIOp) { return call("attnc_rem"); })
            .Case([&](arith::AddFOp) { return binary("+"); })
            .Case([&](arith::SubFOp) { return binary("-"); })
            .Case([&](arith::MulFOp) { return binary("*"); })
            .Case([&](arith::DivFOp) { return binary("/"); })
            .Case([&](arith::RemFOp) { return call("fmodf"); })
            .Case([&](arith::NegFOp) {
              expr = "(-" + in(0) + ")";
              return true;
            })
            .Case([&](arith::SIToFPOp) {
              expr = "(float)" + in(0);
              return true;
            })
            .Case([&](arith::ExtSIOp) {
              expr = "(long long)" + in(0);
              return true;
            })
            .Case([&](arith::CmpIOp c) {
              const char *sym = cmpIOp(c.getPredicate());
              return sym && binary(sym);
            })
            .Case([&](arith::CmpFOp c) {
              // Ordered predicates are C's comparisons; UNE is `!=`.
              switch (c.getPredicate()) {
              case arith::CmpFPredicate::OEQ:
                return binary("==");
              case arith::CmpFPredicate::UNE:
                return binary("!=");
              case arith::CmpFPredicate::OLT:
                return binary("<");
              case arith::CmpFPredicate::OLE:
                return binary("<=");
              case arith::CmpFPredicate::OGT:
                return binary(">");
              case arith::CmpFPredicate::OGE:
                return binary(">=");
              case arith::CmpFPredicate::ONE:
                expr = "(" + in(0) + " < " + in(1) + " || " + in(0) + " > " +
                       in(1) + ")";
                return true;
              default:
                return false;
              }
            })
            .Case([&](arith::AndIOp) { return binary("&"); })
            .Case([&](arith::OrIOp) { return binary("|"); })
            .Case([&](arith::XOrIOp) { return binary("^"); })
            .Case([&](arith::SelectOp) {
              expr = "(" + in(0) + " ? " + in(1) + " : " + in(2) + ")";
              return true;
            })
            .Case([&](arith::MinSIOp) { return call("attnc_mini"); })
            .Case([&](arith::MaxSIOp) { return call("attnc_maxi"); })
            .Case([&](arith::MinimumFOp) { return call("attnc_minimumf"); })
            .Case([&](arith::MaximumFOp) { return call("attnc_maximumf"); })
            .Case([&](math::ExpOp) { return call("expf"); })
            .Case([&](math::LogOp) { return call("logf"); })
            .Case([&](math::SqrtOp) { return call("sqrtf"); })
            .Case([&](math::TanhOp) { return call("tanhf"); })
            .Case([&](math::AbsFOp) { return call("fabsf"); })
            .Case([&](math::AbsIOp) { return call("attnc_absi"); })
            .Case([&](math::FloorOp) { return call("floorf"); })
            .Case([&](math::PowFOp) { return call("powf"); })
            .Case([&](math::CosOp) { return call("cosf"); })
            .Case([&](math::SinOp) { return call("sinf"); })
            .Case([&](math::Log1pOp) { return call("log1pf"); })
            .Case([&](math::ExpM1Op) { return call("expm1f"); })
            .Case([&](attn::ParamOp p) {
              std::vector<std::string> indices;
              for (Value v : p.getIndices())
                indices.push_back(names.lookup(v));
              expr = readParam(p.getName(), indices);
              return true;
            })
            .Default([](Operation *) { return false; });
    if (!ok || op.getNumResults() != 1)
      return op.emitError() << "cannot emit '" << op.getName()
                            << "' as C code";
    std::string name = (prefix + std::to_string(counter++)).str();
    os << indent << "const " << cType(op.getResult(0).getType()) << " " << name
       << " = " << expr << ";\n";
    names[op.getResult(0)] = name;
  }
  return block.getParentOp()->emitError() << "region has no attn.yield";
}

} // namespace attnc
