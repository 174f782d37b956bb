//===- SpecToIR.cpp - Build attn IR from a checked spec -------------------===//
//
// This file implements the translation of checked .attn specs into the attn
// dialect. Defaults of the language (kv_heads, value_dim, scale, an all-true
// mask, score s, feature identity, decay 1) are made explicit here so that
// passes and backends see one uniform form. Expressions become arith/math
// ops; the few operators without a direct arith op (floor modulo, sigmoid,
// softplus, elu) are expanded into their definitions.
//
//===----------------------------------------------------------------------===//

#include "lib/IRGen/SpecToIR.h"

#include "runtime/lib/Requirements.h"

#include "dialect/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include "llvm/ADT/StringMap.h"

#include <cmath>

using namespace mlir;

namespace attnc {
namespace {

class IRBuilderFromSpec {
public:
  IRBuilderFromSpec(MLIRContext *ctx, StringRef filename)
      : ctx(ctx), builder(ctx), filename(filename) {}

  Location loc(spec::SourceLoc l) {
    return FileLineColLoc::get(ctx, filename, l.line, l.col);
  }

  /// The op's location: the `attention` statement first (where diagnostics
  /// about the whole op point), then each written clause as a NameLoc that
  /// attn::clauseLoc finds for diagnostics about that clause.
  Location opLoc(const spec::AttentionSpec &s) {
    SmallVector<Location> parts = {loc(s.loc)};
    auto add = [&](StringRef name, spec::SourceLoc l) {
      parts.push_back(NameLoc::get(StringAttr::get(ctx, name), loc(l)));
    };
    if (s.heads.has())
      add("heads", s.heads.loc);
    if (s.kvHeads.has())
      add("kv_heads", s.kvHeads.loc);
    if (s.headDim.has())
      add("head_dim", s.headDim.loc);
    if (s.valueDim.has())
      add("value_dim", s.valueDim.loc);
    if (s.dtype.has())
      add("dtype", s.dtype.loc);
    if (s.chunk.has())
      add("chunk", s.chunk.loc);
    if (s.tile)
      add("tile", s.tile->loc);
    for (const spec::ParamDecl &p : s.params)
      add("param " + p.name, p.loc);
    return FusedLoc::get(ctx, parts);
  }

  void build(ModuleOp module, const spec::AttentionSpec &s) {
    builder.setInsertionPointToEnd(module.getBody());
    if (s.linear)
      buildLinear(s);
    else
      buildSoftmax(s);
  }

private:
  struct Shape {
    int64_t heads, kvHeads, headDim, valueDim;
  };

  Shape shapeOf(const spec::AttentionSpec &s) {
    int64_t heads = *s.heads, headDim = *s.headDim;
    return {heads, s.kvHeads.has() ? *s.kvHeads : heads, headDim,
            s.valueDim.has() ? *s.valueDim : headDim};
  }

  attn::Dtype dtypeOf(const spec::AttentionSpec &s) {
    switch (s.dtype.has() ? *s.dtype : spec::Dtype::F32) {
    case spec::Dtype::F16:
      return attn::Dtype::f16;
    case spec::Dtype::BF16:
      return attn::Dtype::bf16;
    case spec::Dtype::F32:
      break;
    }
    return attn::Dtype::f32;
  }

  attn::Normalize normalizeOf(const spec::AttentionSpec &s,
                              spec::Normalize fallback) {
    switch (s.normalize.has() ? *s.normalize : fallback) {
    case spec::Normalize::Sum:
      return attn::Normalize::sum;
    case spec::Normalize::None:
      return attn::Normalize::none;
    case spec::Normalize::Softmax:
      break;
    }
    return attn::Normalize::softmax;
  }

  ArrayAttr paramsOf(const spec::AttentionSpec &s) {
    SmallVector<Attribute> params;
    for (const spec::ParamDecl &p : s.params) {
      Type elem = p.elem == spec::ParamElem::I32
                      ? Type(builder.getI32Type())
                      : Type(builder.getF32Type());
      params.push_back(attn::ParamAttr::get(ctx, p.name, elem, p.dims, p.frozen));
    }
    return builder.getArrayAttr(params);
  }

  /// The spec's `require` conditions as postfix programs over Nq and Nk
  /// (runtime/lib/Requirements.h); null when there are none.
  ArrayAttr requirementsOf(const spec::AttentionSpec &s) {
    if (s.requirements.empty())
      return {};
    SmallVector<Attribute> list;
    for (const spec::Requirement &r : s.requirements) {
      std::string program;
      appendProgram(*r.expr, program);
      list.push_back(attn::RequireAttr::get(ctx, r.text, program,
                                            static_cast<int64_t>(r.loc.line)));
    }
    return builder.getArrayAttr(list);
  }

  /// Writes `e` in postfix, operands first. Sema allows only ints, bools,
  /// Nq, Nk and the operators below in a requirement.
  static void appendProgram(const spec::Expr &e, std::string &out) {
    auto emit = [&](llvm::StringRef token) {
      if (!out.empty())
        out += ',';
      out += token.str();
    };
    for (const spec::ExprPtr &operand : e.operands)
      appendProgram(*operand, out);
    switch (e.kind) {
    case spec::Expr::Kind::IntLit:
      emit(std::to_string(e.intValue));
      return;
    case spec::Expr::Kind::Var:
      emit(e.name); // Nq or Nk
      return;
    case spec::Expr::Kind::Unary:
      emit(e.op == "!" ? "not" : "neg");
      return;
    case spec::Expr::Kind::Binary: {
      std::string_view token = attnc::rt::requirementBinaryToken(e.op);
      emit(llvm::StringRef(token.data(), token.size()));
      return;
    }
    case spec::Expr::Kind::Ternary:
      emit("sel");
      return;
    case spec::Expr::Kind::Call:
      emit(e.name); // abs, min or max
      return;
    default:
      return;
    }
  }

  /// The grid's axis sizes, or null without one.
  DenseI64ArrayAttr gridOf(const spec::AttentionSpec &s) {
    if (s.grid.empty())
      return {};
    SmallVector<int64_t> sizes;
    for (const spec::GridAxis &a : s.grid)
      sizes.push_back(a.size);
    return builder.getDenseI64ArrayAttr(sizes);
  }

  attn::ScheduleAttr scheduleOf(const spec::AttentionSpec &s) {
    if (!s.tile && !s.chunk.has())
      return {};
    int64_t bq = 0, bk = 0, warps = 0, stages = 0;
    if (s.tile) {
      bq = s.tile->blockQ.value_or(0);
      bk = s.tile->blockK.value_or(0);
      warps = s.tile->warps.value_or(0);
      stages = s.tile->stages.value_or(0);
    }
    return attn::ScheduleAttr::get(ctx, bq, bk, warps, stages,
                                   s.chunk.has() ? *s.chunk : 0);
  }

  attn::ChunkFormAttr chunkFormOf(const spec::AttentionSpec &s) {
    if (!s.chunkForm)
      return {};
    return attn::ChunkFormAttr::get(ctx, *s.chunkForm ==
                                                 spec::ChunkForm::Parallel
                                             ? attn::ChunkForm::chunk_parallel
                                             : attn::ChunkForm::sequential);
  }

  void buildSoftmax(const spec::AttentionSpec &s) {
    Shape shape = shapeOf(s);
    double scale = s.scale.has() ? *s.scale
                                 : 1.0 / std::sqrt(double(shape.headDim));
    auto op = builder.create<attn::AttentionOp>(
        opLoc(s), builder.getStringAttr(s.name),
        builder.getI64IntegerAttr(shape.heads),
        builder.getI64IntegerAttr(shape.kvHeads),
        builder.getI64IntegerAttr(shape.headDim),
        builder.getI64IntegerAttr(shape.valueDim),
        attn::DtypeAttr::get(ctx, dtypeOf(s)), builder.getF64FloatAttr(scale),
        attn::NormalizeAttr::get(ctx,
                                 normalizeOf(s, spec::Normalize::Softmax)),
        paramsOf(s), scheduleOf(s), /*block_map=*/ArrayAttr(),
        /*select=*/attn::SelectRuleAttr(), /*select_value=*/FloatAttr(),
        /*hybrid_feature=*/attn::FeatureAttr(),
        /*hybrid_feature_param=*/StringAttr(), /*combine=*/attn::CombineAttr(),
        /*complement_map=*/ArrayAttr(), attn::CudaPlanAttr(),
        /*cuda_unsupported=*/StringAttr(), attn::CpuPlanAttr(),
        /*cuda_unsupported_clause=*/StringAttr(), requirementsOf(s),
        gridOf(s), /*permute=*/s.permute ? builder.getUnitAttr() : UnitAttr());
    if (s.select) {
      op.setSelectAttr(attn::SelectRuleAttr::get(
          ctx, s.select->rule == spec::SelectRule::TopK
                   ? attn::SelectRule::topk
                   : attn::SelectRule::cumulative));
      op.setSelectValueAttr(builder.getF64FloatAttr(s.select->value));
    }
    current = &s;
    fillRegion(op.getMask(), {"b", "h", "q", "k", "Nq", "Nk"}, false,
               s.mask.get(), s.loc, [&](Location l) -> Value {
                 return builder.create<arith::ConstantOp>(
                     l, builder.getBoolAttr(true));
               },
               builder.getI1Type());
    fillRegion(op.getScore(), {"b", "h", "q", "k", "Nq", "Nk", "s"}, true,
               s.score.get(), s.loc,
               [&](Location) -> Value { return vars.lookup("s"); },
               builder.getF32Type());
    if (s.select)
      fillRegion(op.getKeep(), {"b", "h", "q", "k", "Nq", "Nk"}, false,
                 s.keep.get(), s.select->loc, [&](Location l) -> Value {
                   return builder.create<arith::ConstantOp>(
                       l, builder.getBoolAttr(false));
                 },
                 builder.getI1Type());
    if (s.hybrid)
      buildHybrid(s, op);
  }

  /// The linear branch of a sparse + linear hybrid: its feature map, the
  /// complement domain (default: every key) and the combine weight
  /// (default 1).
  void buildHybrid(const spec::AttentionSpec &s, attn::AttentionOp op) {
    const spec::FeatureSpec &f = *s.hybrid;
    op.setHybridFeatureAttr(
        attn::FeatureAttr::get(ctx, static_cast<attn::Feature>(f.builtin)));
    if (f.builtin == spec::FeatureBuiltin::Hedgehog)
      op.setHybridFeatureParamAttr(builder.getStringAttr(f.weightParam));
    op.setCombineAttr(attn::CombineAttr::get(
        ctx, s.combine && s.combine->rule == spec::CombineRule::Shared
                 ? attn::Combine::shared
                 : attn::Combine::add));
    fillRegion(op.getHybridPhi(), {"b", "h", "n", "d", "Nq", "Nk", "x"}, true,
               f.expr.get(), f.loc,
               [&](Location) -> Value { return vars.lookup("x"); },
               builder.getF32Type());
    fillRegion(op.getComplement(), {"b", "h", "q", "k", "Nq", "Nk"}, false,
               s.complement.get(), f.loc, [&](Location l) -> Value {
                 return builder.create<arith::ConstantOp>(
                     l, builder.getBoolAttr(true));
               },
               builder.getI1Type());
    fillRegion(op.getCombineWeight(), {"b", "h", "q", "Nq", "Nk"}, false,
               s.combine ? s.combine->weight.get() : nullptr, f.loc,
               [&](Location l) -> Value {
                 return builder.create<arith::ConstantOp>(
                     l, builder.getF32FloatAttr(1.0f));
               },
               builder.getF32Type());
  }

  void buildLinear(const spec::AttentionSpec &s) {
    Shape shape = shapeOf(s);
    attn::Feature feature = attn::Feature::identity;
    StringAttr featureParam;
    const spec::Expr *featureExpr = nullptr;
    if (s.feature) {
      // spec::FeatureBuiltin and attn::Feature list the maps in one order.
      feature = static_cast<attn::Feature>(s.feature->builtin);
      featureExpr = s.feature->expr.get();
      if (s.feature->builtin == spec::FeatureBuiltin::Hedgehog)
        featureParam = builder.getStringAttr(s.feature->weightParam);
    }
    attn::Update update = attn::Update::add;
    StringAttr betaParam;
    if (s.update && s.update->rule == spec::UpdateRule::Delta) {
      update = attn::Update::delta;
      betaParam = builder.getStringAttr(s.update->betaParam);
    }
    auto op = builder.create<attn::LinearAttentionOp>(
        opLoc(s), builder.getStringAttr(s.name),
        builder.getI64IntegerAttr(shape.heads),
        builder.getI64IntegerAttr(shape.kvHeads),
        builder.getI64IntegerAttr(shape.headDim),
        builder.getI64IntegerAttr(shape.valueDim),
        attn::DtypeAttr::get(ctx, dtypeOf(s)),
        builder.getF64FloatAttr(s.scale.has() ? *s.scale : 1.0),
        attn::NormalizeAttr::get(ctx, normalizeOf(s, spec::Normalize::None)),
        paramsOf(s), attn::FeatureAttr::get(ctx, feature), featureParam,
        attn::UpdateAttr::get(ctx, update), betaParam,
        builder.getBoolAttr(s.bidirectional), scheduleOf(s),
        chunkFormOf(s), attn::ChunkPlanAttr(), attn::CudaPlanAttr(),
        /*cuda_unsupported=*/StringAttr(), attn::CpuPlanAttr(),
        /*cuda_unsupported_clause=*/StringAttr(), requirementsOf(s));
    current = &s;
    fillRegion(op.getFeatureRegion(), {"b", "h", "n", "d", "Nq", "Nk", "x"},
               true, featureExpr, s.loc,
               [&](Location) -> Value { return vars.lookup("x"); },
               builder.getF32Type());
    fillRegion(op.getDecay(), {"b", "h", "n", "d", "Nq", "Nk"}, false,
               s.decay.get(), s.loc, [&](Location l) -> Value {
                 return builder.create<arith::ConstantOp>(
                     l, builder.getF32FloatAttr(1.0f));
               },
               builder.getF32Type());
  }

  /// Creates the region's block (i64 variables, then optionally one f32),
  /// lowers `expr` (or the default when it is null) and yields it.
  void fillRegion(Region &region, ArrayRef<StringRef> names,
                  bool trailingFloat, const spec::Expr *expr,
                  spec::SourceLoc fallbackLoc,
                  llvm::function_ref<Value(Location)> makeDefault,
                  Type resultType) {
    OpBuilder::InsertionGuard guard(builder);
    Block *block = builder.createBlock(&region);
    Location l = loc(expr ? expr->loc : fallbackLoc);
    vars.clear();
    for (auto [i, name] : llvm::enumerate(names)) {
      bool isFloat = trailingFloat && i + 1 == names.size();
      Type t = isFloat ? Type(builder.getF32Type())
                       : Type(builder.getI64Type());
      vars[name] = block->addArgument(t, l);
    }
    Value result = expr ? lower(*expr) : makeDefault(l);
    if (resultType.isF32())
      result = toFloat(result, l);
    builder.create<attn::YieldOp>(l, result);
  }

  Value toFloat(Value v, Location l) {
    if (v.getType().isInteger(64))
      return builder.create<arith::SIToFPOp>(l, builder.getF32Type(), v);
    return v;
  }

  Value constInt(int64_t v, Location l) {
    return builder.create<arith::ConstantOp>(l, builder.getI64IntegerAttr(v));
  }
  Value constFloat(double v, Location l) {
    return builder.create<arith::ConstantOp>(
        l, builder.getF32FloatAttr(static_cast<float>(v)));
  }

  Value lower(const spec::Expr &e) {
    Location l = loc(e.loc);
    switch (e.kind) {
    case spec::Expr::Kind::IntLit:
      return constInt(e.intValue, l);
    case spec::Expr::Kind::FloatLit:
      return constFloat(e.floatValue, l);
    case spec::Expr::Kind::Var:
      return vars.lookup(e.name);
    case spec::Expr::Kind::Causal:
      return builder.create<arith::CmpIOp>(l, arith::CmpIPredicate::sle,
                                           vars.lookup("k"),
                                           vars.lookup("q"));
    case spec::Expr::Kind::Param:
      return lowerParam(e, l);
    case spec::Expr::Kind::Unary:
      return lowerUnary(e, l);
    case spec::Expr::Kind::Binary:
      return lowerBinary(e, l);
    case spec::Expr::Kind::Ternary: {
      Value c = lower(*e.operands[0]);
      Value a = lower(*e.operands[1]);
      Value b = lower(*e.operands[2]);
      if (e.type == spec::ValueType::Float) {
        a = toFloat(a, l);
        b = toFloat(b, l);
      }
      return builder.create<arith::SelectOp>(l, c, a, b);
    }
    case spec::Expr::Kind::Call:
      return lowerCall(e, l);
    case spec::Expr::Kind::Coord: {
      // Positions are never negative: floor division, then a plain
      // remainder (lib/Analysis/GridTiles.cpp reads this pair back).
      Value div = builder.create<arith::FloorDivSIOp>(
          l, lower(*e.operands[0]), constInt(e.intValue, l));
      return builder.create<arith::RemSIOp>(l, div, constInt(e.extent, l));
    }
    }
    return {};
  }

  Value lowerParam(const spec::Expr &e, Location l) {
    SmallVector<Value> indices;
    for (auto &index : e.operands)
      indices.push_back(lower(*index));
    const spec::ParamDecl *decl = current->findParam(e.name);
    bool isInt = decl->elem == spec::ParamElem::I32;
    Type t = isInt ? Type(builder.getI32Type()) : Type(builder.getF32Type());
    Value v = builder.create<attn::ParamOp>(l, t, e.name, indices);
    if (isInt)
      v = builder.create<arith::ExtSIOp>(l, builder.getI64Type(), v);
    return v;
  }

  Value lowerUnary(const spec::Expr &e, Location l) {
    Value x = lower(*e.operands[0]);
    if (e.op == "!")
      return builder.create<arith::XOrIOp>(
          l, x,
          builder.create<arith::ConstantOp>(l, builder.getBoolAttr(true)));
    if (x.getType().isInteger(64))
      return builder.create<arith::SubIOp>(l, constInt(0, l), x);
    return builder.create<arith::NegFOp>(l, x);
  }

  Value lowerBinary(const spec::Expr &e, Location l) {
    Value a = lower(*e.operands[0]);
    Value b = lower(*e.operands[1]);
    const std::string &op = e.op;
    if (op == "&&")
      return builder.create<arith::AndIOp>(l, a, b);
    if (op == "||")
      return builder.create<arith::OrIOp>(l, a, b);
    if (a.getType().isInteger(1)) // bool == / !=
      return builder.create<arith::CmpIOp>(
          l, op == "==" ? arith::CmpIPredicate::eq : arith::CmpIPredicate::ne,
          a, b);
    bool ints = a.getType().isInteger(64) && b.getType().isInteger(64);
    if (!ints) {
      a = toFloat(a, l);
      b = toFloat(b, l);
    }
    if (ints) {
      if (op == "+")
        return builder.create<arith::AddIOp>(l, a, b);
      if (op == "-")
        return builder.create<arith::SubIOp>(l, a, b);
      if (op == "*")
        return builder.create<arith::MulIOp>(l, a, b);
      if (op == "/")
        return builder.create<arith::FloorDivSIOp>(l, a, b);
      if (op == "%")
        return floorMod(a, b, l);
      static const std::pair<const char *, arith::CmpIPredicate> preds[] = {
          {"==", arith::CmpIPredicate::eq},  {"!=", arith::CmpIPredicate::ne},
          {"<", arith::CmpIPredicate::slt},  {"<=", arith::CmpIPredicate::sle},
          {">", arith::CmpIPredicate::sgt},  {">=", arith::CmpIPredicate::sge}};
      for (auto &[name, pred] : preds)
        if (op == name)
          return builder.create<arith::CmpIOp>(l, pred, a, b);
    } else {
      if (op == "+")
        return builder.create<arith::AddFOp>(l, a, b);
      if (op == "-")
        return builder.create<arith::SubFOp>(l, a, b);
      if (op == "*")
        return builder.create<arith::MulFOp>(l, a, b);
      if (op == "/")
        return builder.create<arith::DivFOp>(l, a, b);
      if (op == "%")
        return floorModF(a, b, l);
      static const std::pair<const char *, arith::CmpFPredicate> preds[] = {
          {"==", arith::CmpFPredicate::OEQ}, {"!=", arith::CmpFPredicate::UNE},
          {"<", arith::CmpFPredicate::OLT},  {"<=", arith::CmpFPredicate::OLE},
          {">", arith::CmpFPredicate::OGT},  {">=", arith::CmpFPredicate::OGE}};
      for (auto &[name, pred] : preds)
        if (op == name)
          return builder.create<arith::CmpFOp>(l, pred, a, b);
    }
    return {};
  }

  /// a mod b with the sign of b (Python's %): arith only has the C remainder.
  Value floorMod(Value a, Value b, Location l) {
    Value zero = constInt(0, l);
    Value r = builder.create<arith::RemSIOp>(l, a, b);
    Value nonZero =
        builder.create<arith::CmpIOp>(l, arith::CmpIPredicate::ne, r, zero);
    Value rNeg =
        builder.create<arith::CmpIOp>(l, arith::CmpIPredicate::slt, r, zero);
    Value bNeg =
        builder.create<arith::CmpIOp>(l, arith::CmpIPredicate::slt, b, zero);
    Value signsDiffer = builder.create<arith::XOrIOp>(l, rNeg, bNeg);
    Value adjust = builder.create<arith::AndIOp>(l, nonZero, signsDiffer);
    Value shifted = builder.create<arith::AddIOp>(l, r, b);
    return builder.create<arith::SelectOp>(l, adjust, shifted, r);
  }

  /// The float remainder with the sign of b, matching the integer `%`.
  Value floorModF(Value a, Value b, Location l) {
    Value zero = constFloat(0, l);
    Value r = builder.create<arith::RemFOp>(l, a, b);
    Value nonZero = builder.create<arith::CmpFOp>(
        l, arith::CmpFPredicate::ONE, r, zero);
    Value rNeg = builder.create<arith::CmpFOp>(l, arith::CmpFPredicate::OLT,
                                               r, zero);
    Value bNeg = builder.create<arith::CmpFOp>(l, arith::CmpFPredicate::OLT,
                                               b, zero);
    Value signsDiffer = builder.create<arith::XOrIOp>(l, rNeg, bNeg);
    Value adjust = builder.create<arith::AndIOp>(l, nonZero, signsDiffer);
    Value shifted = builder.create<arith::AddFOp>(l, r, b);
    return builder.create<arith::SelectOp>(l, adjust, shifted, r);
  }

  Value lowerCall(const spec::Expr &e, Location l) {
    SmallVector<Value> args;
    for (auto &arg : e.operands)
      args.push_back(lower(*arg));
    const std::string &f = e.name;
    if (e.type == spec::ValueType::Int) { // abs, min, max of ints
      if (f == "abs")
        return builder.create<math::AbsIOp>(l, args[0]);
      if (f == "min")
        return builder.create<arith::MinSIOp>(l, args[0], args[1]);
      return builder.create<arith::MaxSIOp>(l, args[0], args[1]);
    }
    for (Value &arg : args)
      arg = toFloat(arg, l);
    Value x = args[0];
    if (f == "exp")
      return builder.create<math::ExpOp>(l, x);
    if (f == "log")
      return builder.create<math::LogOp>(l, x);
    if (f == "sqrt")
      return builder.create<math::SqrtOp>(l, x);
    if (f == "tanh")
      return builder.create<math::TanhOp>(l, x);
    if (f == "floor")
      return builder.create<math::FloorOp>(l, x);
    if (f == "cos")
      return builder.create<math::CosOp>(l, x);
    if (f == "sin")
      return builder.create<math::SinOp>(l, x);
    if (f == "abs")
      return builder.create<math::AbsFOp>(l, x);
    if (f == "min")
      return builder.create<arith::MinimumFOp>(l, x, args[1]);
    if (f == "max")
      return builder.create<arith::MaximumFOp>(l, x, args[1]);
    if (f == "pow")
      return builder.create<math::PowFOp>(l, x, args[1]);
    if (f == "relu")
      return builder.create<arith::MaximumFOp>(l, x, constFloat(0, l));
    if (f == "sigmoid") { // 1 / (1 + exp(-x))
      Value e1 = builder.create<math::ExpOp>(
          l, builder.create<arith::NegFOp>(l, x));
      Value den = builder.create<arith::AddFOp>(l, constFloat(1, l), e1);
      return builder.create<arith::DivFOp>(l, constFloat(1, l), den);
    }
    if (f == "softplus") { // max(x, 0) + log1p(exp(-|x|)): no overflow
      Value pos = builder.create<arith::MaximumFOp>(l, x, constFloat(0, l));
      Value negAbs = builder.create<arith::NegFOp>(
          l, builder.create<math::AbsFOp>(l, x));
      Value tail = builder.create<math::Log1pOp>(
          l, builder.create<math::ExpOp>(l, negAbs));
      return builder.create<arith::AddFOp>(l, pos, tail);
    }
    // elu: x > 0 ? x : exp(x) - 1
    Value positive = builder.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGT,
                                                   x, constFloat(0, l));
    Value expm1 = builder.create<math::ExpM1Op>(l, x);
    return builder.create<arith::SelectOp>(l, positive, x, expm1);
  }

  MLIRContext *ctx;
  OpBuilder builder;
  StringRef filename;
  llvm::StringMap<Value> vars;
  const spec::AttentionSpec *current = nullptr;
};

} // namespace

OwningOpRef<ModuleOp> buildModule(MLIRContext *context,
                                  const spec::SpecFile &file,
                                  StringRef filename) {
  context->loadDialect<attn::AttnDialect, arith::ArithDialect,
                       math::MathDialect>();
  OwningOpRef<ModuleOp> module = ModuleOp::create(
      FileLineColLoc::get(context, filename, 1, 1));
  IRBuilderFromSpec irBuilder(context, filename);
  for (const spec::AttentionSpec &s : file.attentions)
    irBuilder.build(*module, s);
  return module;
}

} // namespace attnc
