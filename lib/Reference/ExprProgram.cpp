//===- ExprProgram.cpp - Evaluate an attn region on scalars ---------------===//
//
// This file implements the flattening of attn regions into scalar
// instructions and their evaluation. Integer semantics follow the .attn
// language: floor division and modulo, and a division by zero gives 0
// instead of undefined behaviour.
//
//===----------------------------------------------------------------------===//

#include "lib/Reference/ExprProgram.h"

#include "dialect/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;

namespace attnc::reference {

enum class ExprProgram::Opcode {
  Const, Copy, AddI, SubI, MulI, FloorDivI, RemI, AddF, SubF, MulF, DivF,
  RemF, NegF, IToF, CmpI, CmpF, And, Or, Xor, Select, MinI, MaxI, MinF, MaxF,
  Exp, Log, Sqrt, Tanh, AbsF, AbsI, Floor, Pow, Cos, Sin, Log1p, Expm1, Param,
  ParamGrad
};

FailureOr<ExprProgram>
ExprProgram::compile(Block &block, const llvm::StringMap<ParamValues> &params,
                     llvm::StringMap<ParamValues> *paramGrads) {
  return build(block, params, paramGrads, nullptr);
}

FailureOr<ExprProgram>
ExprProgram::compileConjunction(Block &block, ArrayRef<Value> conjuncts) {
  static const llvm::StringMap<ParamValues> noParams;
  return build(block, noParams, nullptr, &conjuncts);
}

FailureOr<ExprProgram>
ExprProgram::build(Block &block, const llvm::StringMap<ParamValues> &params,
                   llvm::StringMap<ParamValues> *paramGrads,
                   ArrayRef<Value> *conjuncts) {
  ExprProgram program;
  llvm::DenseMap<Value, int> slots;
  for (BlockArgument arg : block.getArguments())
    slots[arg] = program.numSlots++;
  program.numArgs = program.numSlots;
  // With conjuncts: only the ops they depend on.
  llvm::DenseSet<Operation *> needed;
  if (conjuncts) {
    SmallVector<Value> work(conjuncts->begin(), conjuncts->end());
    while (!work.empty())
      if (Operation *def = work.pop_back_val().getDefiningOp();
          def && needed.insert(def).second)
        work.append(def->operand_begin(), def->operand_end());
  }

  for (Operation &op : block) {
    if (auto yield = dyn_cast<attn::YieldOp>(op)) {
      program.resultSlot = slots.lookup(yield.getValue());
      break;
    }
    if (conjuncts && !needed.contains(&op))
      continue;
    Instr in;
    auto operand = [&](unsigned i) { return slots.lookup(op.getOperand(i)); };
    if (auto grad = dyn_cast<attn::ParamGradOp>(op)) {
      auto it = paramGrads ? paramGrads->find(grad.getName())
                           : llvm::StringMap<ParamValues>::iterator();
      if (!paramGrads || it == paramGrads->end())
        return op.emitError() << "the reference executor has no gradient "
                                 "buffer for parameter '"
                              << grad.getName() << "'";
      in.opcode = Opcode::ParamGrad;
      in.grad = &it->second;
      in.paramName = grad.getName().str();
      in.a = slots.lookup(grad.getValue());
      for (Value index : grad.getIndices())
        in.indices.push_back(slots.lookup(index));
      program.instrs.push_back(std::move(in));
      continue;
    }
    if (op.getNumOperands() > 0)
      in.a = operand(0);
    if (op.getNumOperands() > 1)
      in.b = operand(1);
    if (op.getNumOperands() > 2)
      in.c = operand(2);
    bool known =
        TypeSwitch<Operation *, bool>(&op)
            .Case([&](arith::ConstantOp c) {
              in.opcode = Opcode::Const;
              if (auto f = dyn_cast<FloatAttr>(c.getValue()))
                in.constant.f = f.getValueAsDouble();
              else if (auto i = dyn_cast<IntegerAttr>(c.getValue()))
                in.constant.i = c.getType().isInteger(1)
                                    ? int64_t(i.getValue().getBoolValue())
                                    : i.getValue().getSExtValue();
              else
                return false;
              return true;
            })
            .Case([&](arith::CmpIOp c) {
              in.opcode = Opcode::CmpI;
              in.predicate = static_cast<int64_t>(c.getPredicate());
              return true;
            })
            .Case([&](arith::CmpFOp c) {
              in.opcode = Opcode::CmpF;
              in.predicate = static_cast<int64_t>(c.getPredicate());
              return true;
            })
            .Case([&](attn::ParamOp p) {
              auto it = params.find(p.getName());
              if (it == params.end())
                return false;
              in.opcode = Opcode::Param;
              in.param = &it->second;
              in.paramName = p.getName().str();
              in.paramIsInt = p.getType().isInteger(32);
              for (Value index : p.getIndices())
                in.indices.push_back(slots.lookup(index));
              return true;
            })
            .Default([&](Operation *o) {
              static const std::pair<StringRef, Opcode> table[] = {
                  {"arith.addi", Opcode::AddI},
                  {"arith.subi", Opcode::SubI},
                  {"arith.muli", Opcode::MulI},
                  {"arith.floordivsi", Opcode::FloorDivI},
                  {"arith.remsi", Opcode::RemI},
                  {"arith.addf", Opcode::AddF},
                  {"arith.subf", Opcode::SubF},
                  {"arith.mulf", Opcode::MulF},
                  {"arith.divf", Opcode::DivF},
                  {"arith.remf", Opcode::RemF},
                  {"arith.negf", Opcode::NegF},
                  {"arith.sitofp", Opcode::IToF},
                  {"arith.extsi", Opcode::Copy},
                  {"arith.andi", Opcode::And},
                  {"arith.ori", Opcode::Or},
                  {"arith.xori", Opcode::Xor},
                  {"arith.select", Opcode::Select},
                  {"arith.minsi", Opcode::MinI},
                  {"arith.maxsi", Opcode::MaxI},
                  {"arith.minimumf", Opcode::MinF},
                  {"arith.maximumf", Opcode::MaxF},
                  {"math.exp", Opcode::Exp},
                  {"math.log", Opcode::Log},
                  {"math.sqrt", Opcode::Sqrt},
                  {"math.tanh", Opcode::Tanh},
                  {"math.absf", Opcode::AbsF},
                  {"math.absi", Opcode::AbsI},
                  {"math.floor", Opcode::Floor},
                  {"math.powf", Opcode::Pow},
                  {"math.cos", Opcode::Cos},
                  {"math.sin", Opcode::Sin},
                  {"math.log1p", Opcode::Log1p},
                  {"math.expm1", Opcode::Expm1}};
              StringRef name = o->getName().getStringRef();
              for (auto &[opName, code] : table) {
                if (name == opName) {
                  in.opcode = code;
                  return true;
                }
              }
              return false;
            });
    if (!known || op.getNumResults() != 1)
      return op.emitError() << "the reference executor cannot evaluate '"
                            << op.getName() << "'";
    in.dst = program.numSlots++;
    slots[op.getResult(0)] = in.dst;
    program.instrs.push_back(std::move(in));
  }
  if (conjuncts) {
    // result = true && c0 && c1 ...
    Instr all;
    all.opcode = Opcode::Const;
    all.constant.i = 1;
    all.dst = program.numSlots++;
    program.instrs.push_back(all);
    for (Value c : *conjuncts) {
      Instr in;
      in.opcode = Opcode::And;
      in.a = all.dst;
      in.b = slots.lookup(c);
      in.dst = all.dst = program.numSlots++;
      program.instrs.push_back(in);
    }
    program.resultSlot = all.dst;
  }
  return program;
}

static bool compareInt(int64_t predicate, int64_t a, int64_t b) {
  switch (static_cast<arith::CmpIPredicate>(predicate)) {
  case arith::CmpIPredicate::eq:
    return a == b;
  case arith::CmpIPredicate::ne:
    return a != b;
  case arith::CmpIPredicate::slt:
    return a < b;
  case arith::CmpIPredicate::sle:
    return a <= b;
  case arith::CmpIPredicate::sgt:
    return a > b;
  case arith::CmpIPredicate::sge:
    return a >= b;
  case arith::CmpIPredicate::ult:
    return uint64_t(a) < uint64_t(b);
  case arith::CmpIPredicate::ule:
    return uint64_t(a) <= uint64_t(b);
  case arith::CmpIPredicate::ugt:
    return uint64_t(a) > uint64_t(b);
  case arith::CmpIPredicate::uge:
    return uint64_t(a) >= uint64_t(b);
  }
  return false;
}

static bool compareFloat(int64_t predicate, double a, double b) {
  bool unordered = std::isnan(a) || std::isnan(b);
  switch (static_cast<arith::CmpFPredicate>(predicate)) {
  case arith::CmpFPredicate::AlwaysFalse:
    return false;
  case arith::CmpFPredicate::OEQ:
    return !unordered && a == b;
  case arith::CmpFPredicate::OGT:
    return !unordered && a > b;
  case arith::CmpFPredicate::OGE:
    return !unordered && a >= b;
  case arith::CmpFPredicate::OLT:
    return !unordered && a < b;
  case arith::CmpFPredicate::OLE:
    return !unordered && a <= b;
  case arith::CmpFPredicate::ONE:
    return !unordered && a != b;
  case arith::CmpFPredicate::ORD:
    return !unordered;
  case arith::CmpFPredicate::UEQ:
    return unordered || a == b;
  case arith::CmpFPredicate::UGT:
    return unordered || a > b;
  case arith::CmpFPredicate::UGE:
    return unordered || a >= b;
  case arith::CmpFPredicate::ULT:
    return unordered || a < b;
  case arith::CmpFPredicate::ULE:
    return unordered || a <= b;
  case arith::CmpFPredicate::UNE:
    return unordered || a != b;
  case arith::CmpFPredicate::UNO:
    return unordered;
  case arith::CmpFPredicate::AlwaysTrue:
    return true;
  }
  return false;
}

/// NaN-propagating min/max, as arith.minimumf/maximumf define them.
static double minimumF(double a, double b) {
  return (std::isnan(a) || std::isnan(b)) ? NAN : std::fmin(a, b);
}
static double maximumF(double a, double b) {
  return (std::isnan(a) || std::isnan(b)) ? NAN : std::fmax(a, b);
}

Scalar ExprProgram::run(const Scalar *args, std::string &error) const {
  // Small regions are the norm; avoid a heap allocation per evaluation.
  Scalar local[64];
  std::vector<Scalar> heap;
  Scalar *s = local;
  if (numSlots > 64) {
    heap.resize(numSlots);
    s = heap.data();
  }
  for (int i = 0; i < numArgs; ++i)
    s[i] = args[i];
  for (const Instr &in : instrs) {
    Scalar a = s[in.a], b = s[in.b], c = s[in.c];
    Scalar &r = s[in.dst];
    switch (in.opcode) {
    case Opcode::Const:
      r = in.constant;
      break;
    case Opcode::Copy:
      r = a;
      break;
    case Opcode::AddI:
      r.i = int64_t(uint64_t(a.i) + uint64_t(b.i));
      break;
    case Opcode::SubI:
      r.i = int64_t(uint64_t(a.i) - uint64_t(b.i));
      break;
    case Opcode::MulI:
      r.i = int64_t(uint64_t(a.i) * uint64_t(b.i));
      break;
    case Opcode::FloorDivI:
      if (b.i == 0 || (a.i == INT64_MIN && b.i == -1)) {
        r.i = 0;
      } else {
        int64_t q = a.i / b.i;
        if ((a.i % b.i != 0) && ((a.i < 0) != (b.i < 0)))
          --q;
        r.i = q;
      }
      break;
    case Opcode::RemI:
      r.i = (b.i == 0 || b.i == -1) ? 0 : a.i % b.i;
      break;
    case Opcode::AddF:
      r.f = a.f + b.f;
      break;
    case Opcode::SubF:
      r.f = a.f - b.f;
      break;
    case Opcode::MulF:
      r.f = a.f * b.f;
      break;
    case Opcode::DivF:
      r.f = a.f / b.f;
      break;
    case Opcode::RemF:
      r.f = std::fmod(a.f, b.f);
      break;
    case Opcode::NegF:
      r.f = -a.f;
      break;
    case Opcode::IToF:
      r.f = double(a.i);
      break;
    case Opcode::CmpI:
      r.i = compareInt(in.predicate, a.i, b.i);
      break;
    case Opcode::CmpF:
      r.i = compareFloat(in.predicate, a.f, b.f);
      break;
    case Opcode::And:
      r.i = a.i & b.i;
      break;
    case Opcode::Or:
      r.i = a.i | b.i;
      break;
    case Opcode::Xor:
      r.i = a.i ^ b.i;
      break;
    case Opcode::Select:
      r = a.i ? b : c;
      break;
    case Opcode::MinI:
      r.i = std::min(a.i, b.i);
      break;
    case Opcode::MaxI:
      r.i = std::max(a.i, b.i);
      break;
    case Opcode::MinF:
      r.f = minimumF(a.f, b.f);
      break;
    case Opcode::MaxF:
      r.f = maximumF(a.f, b.f);
      break;
    case Opcode::Exp:
      r.f = std::exp(a.f);
      break;
    case Opcode::Log:
      r.f = std::log(a.f);
      break;
    case Opcode::Sqrt:
      r.f = std::sqrt(a.f);
      break;
    case Opcode::Tanh:
      r.f = std::tanh(a.f);
      break;
    case Opcode::AbsF:
      r.f = std::fabs(a.f);
      break;
    case Opcode::AbsI:
      r.i = a.i < 0 ? int64_t(0 - uint64_t(a.i)) : a.i;
      break;
    case Opcode::Floor:
      r.f = std::floor(a.f);
      break;
    case Opcode::Pow:
      r.f = std::pow(a.f, b.f);
      break;
    case Opcode::Cos:
      r.f = std::cos(a.f);
      break;
    case Opcode::Sin:
      r.f = std::sin(a.f);
      break;
    case Opcode::Log1p:
      r.f = std::log1p(a.f);
      break;
    case Opcode::Expm1:
      r.f = std::expm1(a.f);
      break;
    case Opcode::ParamGrad: {
      ParamValues &grad = *in.grad;
      int64_t flat = 0;
      for (size_t d = 0; d < in.indices.size(); ++d) {
        int64_t index = s[in.indices[d]].i;
        // The forward read the same element and reported it out of range.
        if (index < 0 || index >= grad.shape[d]) {
          flat = -1;
          break;
        }
        flat = flat * grad.shape[d] + index;
      }
      if (flat >= 0)
        grad.values[flat] += a.f;
      break;
    }
    case Opcode::Param: {
      const ParamValues &p = *in.param;
      int64_t flat = 0;
      bool inRange = true;
      for (size_t d = 0; d < in.indices.size(); ++d) {
        int64_t index = s[in.indices[d]].i;
        if (index < 0 || index >= p.shape[d]) {
          inRange = false;
          if (error.empty())
            error = "parameter '" + in.paramName + "' index " +
                    std::to_string(index) + " out of range [0, " +
                    std::to_string(p.shape[d]) + ") in dimension " +
                    std::to_string(d);
          break;
        }
        flat = flat * p.shape[d] + index;
      }
      double v = inRange ? p.values[flat] : 0.0;
      if (in.paramIsInt)
        r.i = int64_t(v);
      else
        r.f = v;
      break;
    }
    }
  }
  return s[resultSlot];
}

} // namespace attnc::reference
