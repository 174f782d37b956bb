//===- Sema.cpp - Semantic checks of an .attn spec ------------------------===//
//
// This file implements the checks that turn a syntactically valid spec into
// one the compiler can trust: required statements, the rules that separate
// the softmax and linear families, parameter declarations, and the type of
// every expression (int, float, bool, with int promoting to float). Every
// problem becomes a located diagnostic; nothing here asserts on user input.
//
//===----------------------------------------------------------------------===//

#include "lib/Spec/Parser.h"

#include "lib/Spec/Names.h"
#include "lib/Spec/Suggest.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <set>
#include <sstream>
#include <tuple>

namespace attnc::spec {

const char *valueTypeName(ValueType type) {
  switch (type) {
  case ValueType::Int:
    return "int";
  case ValueType::Float:
    return "float";
  case ValueType::Bool:
    return "bool";
  case ValueType::Unknown:
    break;
  }
  return "unknown";
}

const char *dtypeName(Dtype dtype) {
  switch (dtype) {
  case Dtype::F32:
    return "f32";
  case Dtype::F16:
    return "f16";
  case Dtype::BF16:
    return "bf16";
  }
  return "f32";
}

const char *normalizeName(Normalize normalize) {
  switch (normalize) {
  case Normalize::Softmax:
    return "softmax";
  case Normalize::Sum:
    return "sum";
  case Normalize::None:
    return "none";
  }
  return "softmax";
}

const char *featureBuiltinName(FeatureBuiltin builtin) {
  switch (builtin) {
  case FeatureBuiltin::Expression:
    return "expression";
  case FeatureBuiltin::Identity:
    return "identity";
  case FeatureBuiltin::Relu:
    return "relu";
  case FeatureBuiltin::Elu1:
    return "elu1";
  case FeatureBuiltin::Exp:
    return "exp";
  case FeatureBuiltin::L2Norm:
    return "l2norm";
  case FeatureBuiltin::Taylor2:
    return "taylor2";
  case FeatureBuiltin::Hedgehog:
    return "hedgehog";
  }
  return "identity";
}

const ParamDecl *AttentionSpec::findParam(const std::string &name) const {
  for (const ParamDecl &p : params)
    if (p.name == name)
      return &p;
  return nullptr;
}

namespace {

/// Which clause an expression belongs to: decides its variables and its
/// result type.
enum class Clause {
  Mask,
  Keep,
  Complement,
  Score,
  Feature,
  Decay,
  Combine,
  Require
};

const char *clauseName(Clause clause) {
  switch (clause) {
  case Clause::Mask:
    return "mask";
  case Clause::Keep:
    return "keep";
  case Clause::Complement:
    return "complement";
  case Clause::Combine:
    return "combine";
  case Clause::Score:
    return "score";
  case Clause::Feature:
    return "feature";
  case Clause::Decay:
    return "decay";
  case Clause::Require:
    return "require";
  }
  return "mask";
}

/// The variables each clause may read, all of them int but `s` and `x`.
const char *clauseVariables(Clause clause) {
  switch (clause) {
  case Clause::Mask:
  case Clause::Keep:
  case Clause::Complement:
    return "b h q k Nq Nk";
  case Clause::Combine:
    return "b h q Nq Nk";
  case Clause::Score:
    return "b h q k s Nq Nk";
  case Clause::Feature:
    return "b h n d x Nq Nk";
  case Clause::Decay:
    return "b h n d Nq Nk";
  case Clause::Require:
    return "Nq Nk";
  }
  return "";
}

bool isNumeric(ValueType t) {
  return t == ValueType::Int || t == ValueType::Float;
}

class Checker {
public:
  Checker(AttentionSpec &spec, std::vector<Diagnostic> &diags)
      : spec(spec), diags(diags) {}

  bool run() {
    checkShape();
    checkParams();
    checkLets();
    checkRequirements();
    if (spec.linear)
      checkLinearFamily();
    else
      checkSoftmaxFamily();
    checkTile();
    return ok;
  }

private:
  void error(SourceLoc loc, std::string message) {
    Diagnostic d{loc, std::move(message), {}};
    // Inside a let's body, also point at the use(s) that brought it here.
    for (auto use = letUses.rbegin(); use != letUses.rend(); ++use)
      d.notes.push_back({use->second, "in 'let " + use->first +
                                          "', used here in the " +
                                          clauseName(clauseNow)});
    diags.push_back(std::move(d));
    ok = false;
  }

  void checkPositive(const Located<int64_t> &field, const char *name,
                     int64_t max) {
    if (field.has() && (*field <= 0 || *field > max))
      error(field.loc, std::string("expected '") + name + "' in [1, " +
                           std::to_string(max) + "], got " +
                           std::to_string(*field));
  }

  void checkShape() {
    if (!spec.heads.has())
      error(spec.loc, "attention '" + spec.name + "' needs 'heads'");
    if (!spec.headDim.has())
      error(spec.loc, "attention '" + spec.name + "' needs 'head_dim'");
    checkPositive(spec.heads, "heads", 65536);
    checkPositive(spec.kvHeads, "kv_heads", 65536);
    checkPositive(spec.headDim, "head_dim", 4096);
    checkPositive(spec.valueDim, "value_dim", 4096);
    checkPositive(spec.chunk, "chunk", 4096);
    if (spec.heads.has() && spec.kvHeads.has() && *spec.heads > 0 &&
        *spec.kvHeads > 0 && *spec.heads % *spec.kvHeads != 0)
      error(spec.kvHeads.loc, "expected kv_heads to divide heads (" +
                                  std::to_string(*spec.heads) + "), got " +
                                  std::to_string(*spec.kvHeads));
    if (spec.scale.has() && !std::isfinite(*spec.scale))
      error(spec.scale.loc, "expected a finite 'scale'");
  }

  void checkParams() {
    std::set<std::string> seen;
    for (const ParamDecl &p : spec.params) {
      if (isReservedExpressionName(p.name))
        error(p.loc, "parameter name '" + p.name +
                         "' is reserved for a variable or function");
      else if (isTensorName(p.name))
        error(p.loc,
              "parameter name '" + p.name + "' is reserved for a tensor");
      else if (!seen.insert(p.name).second)
        error(p.loc, "parameter '" + p.name + "' is declared twice");
    }
  }

  /// The parser already refused lets named like variables, functions,
  /// keywords or tensors; a param is declared anywhere in the block, so a
  /// clash with one is found here.
  void checkLets() {
    for (const LetDecl &let : spec.lets) {
      const ParamDecl *p = spec.findParam(let.name);
      if (!p)
        continue;
      diags.push_back({let.loc,
                       "let '" + let.name + "' has the name of a parameter",
                       {{p->loc, "parameter '" + p->name + "' declared here"}}});
      ok = false;
    }
  }

  /// `require` conditions are evaluated by the runtime before a launch,
  /// from the sizes alone: bool, over Nq, Nk and int constants.
  void checkRequirements() {
    for (Requirement &r : spec.requirements) {
      checkClause(*r.expr, Clause::Require, ValueType::Bool);
      if (r.expr->type != ValueType::Unknown)
        checkIntegerOnly(*r.expr);
    }
  }

  /// A require's evaluator (runtime/lib/Requirements.cpp) works on 64-bit
  /// integers; a float anywhere would change the meaning silently.
  void checkIntegerOnly(const Expr &e) {
    if (e.type == ValueType::Float) {
      error(e.loc, "expected integers in a require condition, got a float");
      return;
    }
    for (const ExprPtr &operand : e.operands)
      checkIntegerOnly(*operand);
  }

  void forbid(bool present, SourceLoc loc, const char *what,
              const char *family) {
    if (present)
      error(loc, std::string("'") + what + "' is not allowed in " + family);
  }

  void checkSoftmaxFamily() {
    const char *family = "a softmax-family spec (add 'linear' for the linear "
                         "family)";
    forbid(spec.feature.has_value(),
           spec.feature ? spec.feature->loc : SourceLoc{}, "feature", family);
    forbid(spec.decay != nullptr, spec.decay ? spec.decay->loc : SourceLoc{},
           "decay", family);
    forbid(spec.update.has_value(),
           spec.update ? spec.update->loc : SourceLoc{}, "update", family);
    forbid(spec.chunk.has(), spec.chunk.loc, "chunk", family);
    forbid(spec.bidirectional, spec.bidirectionalLoc, "bidirectional",
           family);
    if (spec.mask)
      checkClause(*spec.mask, Clause::Mask, ValueType::Bool);
    if (spec.score)
      checkClause(*spec.score, Clause::Score, ValueType::Float);
    checkSelect();
    checkHybrid();
    checkPermute();
  }

  /// `permute` reorders tokens by the ids of a routing clause
  /// `qid[.., q] == kid[.., k]` (i32 parameters read at b, h and the
  /// position) in the mask's top-level conjunction.
  void checkPermute() {
    if (!spec.permute)
      return;
    const char *why = nullptr;
    if (!spec.grid.empty())
      why = "'permute' and 'grid' both choose the order of the tokens in "
            "the tiles; keep one";
    else if (spec.select || spec.hybrid)
      why = "'permute' does not combine with 'select' or 'hybrid' yet";
    else if (!spec.mask || !hasRoutingClause(*spec.mask))
      why = "'permute' needs a clause qid[.., q] == kid[.., k] in the mask's "
            "top-level conjunction (&&): i32 parameters read at the query's "
            "and the key's position (and b, h)";
    if (why)
      error(spec.permuteLoc, why);
  }

  bool isRoutingSide(const Expr &e, const char *position) const {
    if (e.kind != Expr::Kind::Param)
      return false;
    const ParamDecl *p = spec.findParam(e.name);
    if (!p || p->elem != ParamElem::I32)
      return false;
    int positions = 0;
    for (const ExprPtr &index : e.operands) {
      if (index->kind != Expr::Kind::Var)
        return false;
      if (index->name == position)
        ++positions;
      else if (index->name != "b" && index->name != "h")
        return false;
    }
    return positions == 1;
  }

  bool hasRoutingClause(const Expr &e) const {
    if (e.kind != Expr::Kind::Binary)
      return false;
    if (e.op == "&&")
      return hasRoutingClause(*e.operands[0]) ||
             hasRoutingClause(*e.operands[1]);
    if (e.op != "==")
      return false;
    const Expr &a = *e.operands[0], &b = *e.operands[1];
    return (isRoutingSide(a, "q") && isRoutingSide(b, "k")) ||
           (isRoutingSide(a, "k") && isRoutingSide(b, "q"));
  }

  /// `hybrid F` needs softmax normalization; `complement` and `combine`
  /// need `hybrid`; `combine shared(g)` needs its weight.
  void checkHybrid() {
    if (!spec.hybrid) {
      if (spec.complement)
        error(spec.complement->loc,
              "'complement' needs a 'hybrid' clause (it is the domain of the "
              "linear branch)");
      if (spec.combine)
        error(spec.combine->loc, "'combine' needs a 'hybrid' clause");
      return;
    }
    if (spec.normalize.has() && *spec.normalize != Normalize::Softmax)
      error(spec.normalize.loc, "a 'hybrid' spec needs 'normalize softmax' "
                                "(the softmax branch), got " +
                                    std::string(normalizeName(*spec.normalize)));
    checkFeature(*spec.hybrid);
    if (spec.complement)
      checkClause(*spec.complement, Clause::Complement, ValueType::Bool);
    if (spec.combine && spec.combine->weight)
      checkClause(*spec.combine->weight, Clause::Combine, ValueType::Float);
  }

  /// A feature map (the linear family's `feature` or a hybrid's linear
  /// branch).
  void checkFeature(FeatureSpec &f) {
    if (f.builtin == FeatureBuiltin::Expression)
      checkClause(*f.expr, Clause::Feature, ValueType::Float);
    // taylor2 turns D channels into 1 + D + D^2 features: the state is
    // (1 + D + D^2) x Dv, which stops being sensible well before D = 256.
    if (f.builtin == FeatureBuiltin::Taylor2 && spec.headDim.has() &&
        *spec.headDim > 128)
      error(f.loc, "taylor2 expands head_dim D to 1 + D + D^2 features; "
                   "expected head_dim at most 128, got " +
                       std::to_string(*spec.headDim));
    if (f.builtin == FeatureBuiltin::Hedgehog)
      checkParamUse(f.weightParam, f.weightParamLoc, "ddd", "hdd",
                    "the hedgehog weight");
  }

  /// `select topk(K)`: K an integer >= 0; `select cumulative(P)`: P in
  /// [0, 1]. `keep` needs a `select`.
  void checkSelect() {
    if (spec.keep && !spec.select)
      error(spec.keep->loc, "'keep' needs a 'select' clause (blocks are "
                            "kept in addition to the selected ones)");
    if (spec.keep)
      checkClause(*spec.keep, Clause::Keep, ValueType::Bool);
    if (!spec.select)
      return;
    const SelectSpec &sel = *spec.select;
    if (sel.rule == SelectRule::TopK) {
      if (!sel.valueIsInt || sel.value < 0 || sel.value > 1e9)
        error(sel.valueLoc, "expected an integer in [0, 1000000000] for "
                            "'topk', got " +
                                formatNumber(sel.value));
    } else if (!(sel.value >= 0 && sel.value <= 1)) {
      error(sel.valueLoc,
            "expected a fraction in [0, 1] for 'cumulative', got " +
                formatNumber(sel.value));
    }
  }

  static std::string formatNumber(double v) {
    std::ostringstream os;
    os << v;
    return os.str();
  }

  void checkLinearFamily() {
    const char *family = "a linear-family spec";
    forbid(spec.mask != nullptr, spec.mask ? spec.mask->loc : SourceLoc{},
           "mask", family);
    forbid(spec.score != nullptr, spec.score ? spec.score->loc : SourceLoc{},
           "score", family);
    forbid(spec.select.has_value(),
           spec.select ? spec.select->loc : SourceLoc{}, "select", family);
    forbid(spec.keep != nullptr, spec.keep ? spec.keep->loc : SourceLoc{},
           "keep", family);
    forbid(spec.hybrid.has_value(),
           spec.hybrid ? spec.hybrid->loc : SourceLoc{}, "hybrid", family);
    forbid(spec.complement != nullptr,
           spec.complement ? spec.complement->loc : SourceLoc{}, "complement",
           family);
    forbid(spec.combine.has_value(),
           spec.combine ? spec.combine->loc : SourceLoc{}, "combine", family);
    forbid(!spec.grid.empty(), spec.gridLoc, "grid", family);
    forbid(spec.permute, spec.permuteLoc, "permute", family);
    if (spec.normalize.has() && *spec.normalize == Normalize::Softmax)
      error(spec.normalize.loc, "expected 'normalize sum' or 'normalize "
                                "none' in a linear-family spec, got softmax");
    if (spec.bidirectional) {
      forbid(spec.decay != nullptr, spec.decay ? spec.decay->loc : SourceLoc{},
             "decay", "a bidirectional spec");
      if (spec.update && spec.update->rule == UpdateRule::Delta)
        error(spec.update->loc,
              "the delta rule is not allowed in a bidirectional spec");
    }
    if (spec.feature)
      checkFeature(*spec.feature);
    if (spec.decay)
      checkClause(*spec.decay, Clause::Decay, ValueType::Float);
    if (spec.update && spec.update->rule == UpdateRule::Delta &&
        spec.normalize.has() && *spec.normalize == Normalize::Sum)
      error(spec.normalize.loc,
            "'normalize sum' is not defined for the delta rule");
    if (spec.update && spec.update->rule == UpdateRule::Delta)
      checkParamUse(spec.update->betaParam, spec.update->betaParamLoc, "",
                    "bhn", "the delta rule's beta");
    if (spec.tile && (spec.tile->blockQ || spec.tile->blockK))
      error(spec.tile->loc, "tile hints 'q' and 'k' apply to the softmax "
                            "family; use 'chunk' for the linear family");
  }

  /// A parameter named by a builtin (hedgehog weight, delta beta) must be
  /// declared f32 over exactly the given dims.
  void checkParamUse(const std::string &name, SourceLoc loc, const char *,
                     const char *dims, const char *role) {
    const ParamDecl *p = spec.findParam(name);
    if (!p) {
      error(loc, "unknown parameter '" + name + "' used as " + role);
      return;
    }
    if (p->elem != ParamElem::F32 || p->dims != dims) {
      std::string want = "f32[";
      for (size_t i = 0; dims[i]; ++i)
        want += std::string(i ? ", " : "") + dims[i];
      want += "]";
      error(loc, "expected " + std::string(role) + " parameter '" + name +
                     "' to be declared " + want);
    }
  }

  void checkTile() {
    if (!spec.tile)
      return;
    auto check = [&](const std::optional<int64_t> &v, const char *name,
                     int64_t max) {
      if (v && (*v <= 0 || *v > max))
        error(spec.tile->loc, std::string("expected tile hint '") + name +
                                  "' in [1, " + std::to_string(max) +
                                  "], got " + std::to_string(*v));
    };
    check(spec.tile->blockQ, "q", 1024);
    check(spec.tile->blockK, "k", 1024);
    check(spec.tile->warps, "warps", 32);
    check(spec.tile->stages, "stages", 8);
  }

  void checkClause(Expr &e, Clause clause, ValueType want) {
    clauseNow = clause;
    ValueType got = typeOf(e);
    if (got == ValueType::Unknown)
      return; // already reported
    bool fits = got == want || (want == ValueType::Float && got == ValueType::Int);
    if (!fits)
      error(e.loc, std::string("expected the ") + clauseName(clause) +
                       " to be " + valueTypeName(want) + ", got " +
                       valueTypeName(got));
  }

  bool isClauseVariable(const std::string &name) const {
    std::string vars = std::string(" ") + clauseVariables(clauseNow) + " ";
    return vars.find(" " + name + " ") != std::string::npos;
  }

  /// Types `e` bottom-up; returns Unknown after reporting an error.
  ValueType typeOf(Expr &e) {
    if (!e.letName.empty())
      letUses.emplace_back(e.letName, e.letUse);
    e.type = computeType(e);
    if (!e.letName.empty())
      letUses.pop_back();
    return e.type;
  }

  ValueType computeType(Expr &e) {
    switch (e.kind) {
    case Expr::Kind::IntLit:
      return ValueType::Int;
    case Expr::Kind::FloatLit:
      return ValueType::Float;
    case Expr::Kind::Causal:
      if (clauseNow != Clause::Mask && clauseNow != Clause::Keep &&
          clauseNow != Clause::Complement) {
        error(e.loc, std::string("'causal' is only meaningful in the mask, "
                                 "not in the ") +
                         clauseName(clauseNow));
        return ValueType::Unknown;
      }
      return ValueType::Bool;
    case Expr::Kind::Var:
      // A scalar parameter (`param w: f32[]`) is read by its name alone.
      if (const ParamDecl *p = spec.findParam(e.name);
          p && p->rank == 0 && !isClauseVariable(e.name)) {
        e.kind = Expr::Kind::Param;
        return typeParam(e);
      }
      if (!isClauseVariable(e.name)) {
        error(e.loc, "unknown name '" + e.name + "' in the " +
                         clauseName(clauseNow) + " (variables: " +
                         clauseVariables(clauseNow) + ")" +
                         unknownNameHint(e.name));
        return ValueType::Unknown;
      }
      return (e.name == "s" || e.name == "x") ? ValueType::Float
                                              : ValueType::Int;
    case Expr::Kind::Param:
      return typeParam(e);
    case Expr::Kind::Unary:
      return typeUnary(e);
    case Expr::Kind::Binary:
      return typeBinary(e);
    case Expr::Kind::Ternary:
      return typeTernary(e);
    case Expr::Kind::Call:
      return typeCall(e);
    case Expr::Kind::Coord: {
      // q.y, k.x: the variable must belong to this clause (no keys in a
      // combine weight, no q or k in the linear family's clauses).
      const std::string &var = e.operands[0]->name;
      if (!isClauseVariable(var)) {
        error(e.loc, "'" + var + "." + e.name + "' is not available in the " +
                         clauseName(clauseNow) + " (variables: " +
                         clauseVariables(clauseNow) + ")");
        return ValueType::Unknown;
      }
      e.operands[0]->type = ValueType::Int;
      return ValueType::Int;
    }
    }
    return ValueType::Unknown;
  }

  /// Why a name is unknown, or what it may be a typo of.
  std::string unknownNameHint(const std::string &name) {
    if (spec.findParam(name))
      return "; parameters are indexed, e.g. '" + name + "[h]'";
    for (const LetDecl &let : spec.lets)
      if (let.name == name)
        return "; 'let " + name + "' is bound on line " +
               std::to_string(let.loc.line) + ", after this use";
    std::vector<std::string> candidates;
    std::istringstream vars(clauseVariables(clauseNow));
    for (std::string v; vars >> v;)
      candidates.push_back(v);
    if (clauseNow == Clause::Mask || clauseNow == Clause::Keep ||
        clauseNow == Clause::Complement)
      candidates.push_back("causal");
    if (clauseNow == Clause::Feature)
      for (const char *builtin :
           {"identity", "relu", "elu1", "exp", "l2norm", "taylor2"})
        candidates.push_back(builtin);
    for (const LetDecl &let : spec.lets)
      candidates.push_back(let.name);
    for (const ParamDecl &p : spec.params)
      candidates.push_back(p.name);
    return didYouMean(name, candidates);
  }

  std::vector<std::string> paramNames() const {
    std::vector<std::string> names;
    for (const ParamDecl &p : spec.params)
      names.push_back(p.name);
    return names;
  }

  ValueType typeParam(Expr &e) {
    if (clauseNow == Clause::Require) {
      error(e.loc, "a require condition may read only Nq and Nk, not "
                   "parameter '" +
                       e.name + "'");
      return ValueType::Unknown;
    }
    const ParamDecl *p = spec.findParam(e.name);
    if (!p) {
      error(e.loc, "unknown parameter '" + e.name + "'" +
                       didYouMean(e.name, paramNames()));
      return ValueType::Unknown;
    }
    if (e.operands.size() != p->rank) {
      error(e.loc, "expected " + std::to_string(p->rank) +
                       " indices for parameter '" + e.name + "', got " +
                       std::to_string(e.operands.size()));
      return ValueType::Unknown;
    }
    bool good = true;
    for (auto &index : e.operands) {
      ValueType t = typeOf(*index);
      if (t == ValueType::Unknown) {
        good = false;
      } else if (t != ValueType::Int) {
        error(index->loc, "expected an int index into parameter '" + e.name +
                              "', got " + valueTypeName(t));
        good = false;
      }
    }
    if (!good)
      return ValueType::Unknown;
    return p->elem == ParamElem::I32 ? ValueType::Int : ValueType::Float;
  }

  ValueType typeUnary(Expr &e) {
    ValueType t = typeOf(*e.operands[0]);
    if (t == ValueType::Unknown)
      return t;
    if (e.op == "!") {
      if (t != ValueType::Bool) {
        error(e.loc, std::string("expected a bool operand for '!', got ") +
                         valueTypeName(t));
        return ValueType::Unknown;
      }
      return t;
    }
    if (!isNumeric(t)) {
      error(e.loc, std::string("expected a number for unary '-', got ") +
                       valueTypeName(t));
      return ValueType::Unknown;
    }
    return t;
  }

  ValueType typeBinary(Expr &e) {
    ValueType l = typeOf(*e.operands[0]);
    ValueType r = typeOf(*e.operands[1]);
    if (l == ValueType::Unknown || r == ValueType::Unknown)
      return ValueType::Unknown;
    const std::string &op = e.op;
    if (op == "&&" || op == "||") {
      if (l != ValueType::Bool || r != ValueType::Bool) {
        error(e.loc, "expected bool operands for '" + op + "', got " +
                         valueTypeName(l) + " and " + valueTypeName(r));
        return ValueType::Unknown;
      }
      return ValueType::Bool;
    }
    if ((op == "==" || op == "!=") && l == ValueType::Bool &&
        r == ValueType::Bool)
      return ValueType::Bool;
    if (!isNumeric(l) || !isNumeric(r)) {
      error(e.loc, "expected numeric operands for '" + op + "', got " +
                       valueTypeName(l) + " and " + valueTypeName(r));
      return ValueType::Unknown;
    }
    if (op == "==" || op == "!=" || op == "<" || op == "<=" || op == ">" ||
        op == ">=")
      return ValueType::Bool;
    return (l == ValueType::Int && r == ValueType::Int) ? ValueType::Int
                                                        : ValueType::Float;
  }

  ValueType typeTernary(Expr &e) {
    ValueType c = typeOf(*e.operands[0]);
    ValueType a = typeOf(*e.operands[1]);
    ValueType b = typeOf(*e.operands[2]);
    if (c == ValueType::Unknown || a == ValueType::Unknown ||
        b == ValueType::Unknown)
      return ValueType::Unknown;
    if (c != ValueType::Bool) {
      error(e.operands[0]->loc,
            std::string("expected a bool condition before '?', got ") +
                valueTypeName(c));
      return ValueType::Unknown;
    }
    if (a == b)
      return a;
    if (isNumeric(a) && isNumeric(b))
      return ValueType::Float;
    error(e.loc, std::string("expected both branches of '?' to have one "
                             "type, got ") +
                     valueTypeName(a) + " and " + valueTypeName(b));
    return ValueType::Unknown;
  }

  ValueType typeCall(Expr &e) {
    static const std::set<std::string> unaryFloat = {
        "exp",  "log",  "sqrt", "tanh",  "sigmoid", "softplus",
        "relu", "elu",  "floor", "cos",  "sin"};
    size_t arity;
    if (unaryFloat.count(e.name) || e.name == "abs")
      arity = 1;
    else if (e.name == "min" || e.name == "max" || e.name == "pow")
      arity = 2;
    else {
      std::string hint = spec.findParam(e.name)
                             ? "; parameters are indexed with [ ], e.g. '" +
                                   e.name + "[h]'"
                             : didYouMean(e.name, functionNames());
      error(e.loc, "unknown function '" + e.name + "'" + hint);
      return ValueType::Unknown;
    }
    if (e.operands.size() != arity) {
      error(e.loc, "expected " + std::to_string(arity) +
                       " argument(s) for '" + e.name + "', got " +
                       std::to_string(e.operands.size()));
      return ValueType::Unknown;
    }
    bool allInt = true;
    for (auto &arg : e.operands) {
      ValueType t = typeOf(*arg);
      if (t == ValueType::Unknown)
        return t;
      if (!isNumeric(t)) {
        error(arg->loc, "expected a number as argument of '" + e.name +
                            "', got " + valueTypeName(t));
        return ValueType::Unknown;
      }
      allInt = allInt && t == ValueType::Int;
    }
    if ((e.name == "abs" || e.name == "min" || e.name == "max") && allInt)
      return ValueType::Int;
    return ValueType::Float;
  }

  AttentionSpec &spec;
  std::vector<Diagnostic> &diags;
  /// The lets whose bodies the walk is inside, outermost first.
  std::vector<std::pair<std::string, SourceLoc>> letUses;
  Clause clauseNow = Clause::Mask;
  bool ok = true;
};

} // namespace

bool checkAttention(AttentionSpec &spec, std::vector<Diagnostic> &diags) {
  size_t first = diags.size();
  bool ok = Checker(spec, diags).run();
  // The checks run rule by rule; report in source order, as a reader would,
  // keeping the rule order among diagnostics at one location.
  std::vector<Diagnostic> found(std::make_move_iterator(diags.begin() + first),
                                std::make_move_iterator(diags.end()));
  std::vector<size_t> order(found.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const SourceLoc &x = found[a].loc, &y = found[b].loc;
    return std::tie(x.line, x.col, a) < std::tie(y.line, y.col, b);
  });
  diags.resize(first);
  for (size_t i : order)
    diags.push_back(std::move(found[i]));
  return ok;
}

} // namespace attnc::spec
