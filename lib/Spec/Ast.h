//===- Ast.h - The parsed form of an .attn spec ---------------------------===//
//
// This file declares the abstract syntax tree that the .attn parser produces
// and semantic analysis annotates. It is plain C++ (no MLIR) so that the
// parser can be fuzzed and reused without the compiler's heavy dependencies.
// Every node carries the source location it came from: diagnostics and the
// MLIR locations of generated ops are derived from them.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_SPEC_AST_H
#define ATTNC_LIB_SPEC_AST_H

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace attnc::spec {

/// A 1-based line and column in the spec file.
struct SourceLoc {
  unsigned line = 0;
  unsigned col = 0;
};

/// A secondary location that explains a diagnostic ("the '(' opened
/// here", "in 'let w', used here").
struct DiagnosticNote {
  SourceLoc loc;
  std::string message;
};

/// One user-facing problem found while reading a spec.
struct Diagnostic {
  SourceLoc loc;
  std::string message;
  std::vector<DiagnosticNote> notes;
};

/// The value types of the expression language.
enum class ValueType { Unknown, Int, Float, Bool };
const char *valueTypeName(ValueType type);

/// An expression node. One struct with a kind tag keeps the tree small and
/// the walkers (sema, IR generation) simple.
struct Expr {
  enum class Kind {
    IntLit,   ///< intValue
    FloatLit, ///< floatValue
    Var,      ///< name: b h q k s x n d Nq Nk
    Causal,   ///< the `causal` keyword, meaning k <= q
    Param,    ///< name[operands...]
    Unary,    ///< op ("-" or "!") applied to operands[0]
    Binary,   ///< operands[0] op operands[1]
    Ternary,  ///< operands[0] ? operands[1] : operands[2]
    Call,     ///< name(operands...)
    /// `q.y`: the coordinate of operands[0] (the Var q or k) along grid
    /// axis `name`: floor(position / intValue) mod extent, with intValue
    /// the product of the later axes' sizes (row-major tokens).
    Coord,
  };
  Kind kind;
  SourceLoc loc;
  int64_t intValue = 0;
  double floatValue = 0;
  std::string name; ///< variable, param or function name
  std::string op;   ///< operator spelling for Unary/Binary
  std::vector<std::unique_ptr<Expr>> operands;
  int64_t extent = 0; ///< Coord: the axis size
  ValueType type = ValueType::Unknown; ///< set by semantic analysis
  /// Set on the root of a `let` body copied to where the binding is used:
  /// the binding's name and the use, so that an error inside the body can
  /// also point at the use that brought it into a clause.
  std::string letName;
  SourceLoc letUse;
};
using ExprPtr = std::unique_ptr<Expr>;

enum class Dtype { F32, F16, BF16 };
enum class Normalize { Softmax, Sum, None };
enum class ParamElem { I32, F32 };
enum class FeatureBuiltin {
  Expression, ///< the feature is `expr` applied elementwise
  Identity,
  Relu,
  Elu1,
  Exp,
  L2Norm,
  Taylor2,
  Hedgehog,
};
enum class UpdateRule { Add, Delta };
enum class SelectRule { TopK, Cumulative };
enum class CombineRule { Add, Shared };
/// `chunk C sequential|parallel`: a kernel form of the linear family forced
/// over the compiler's choice by shape.
enum class ChunkForm { Sequential, Parallel };

const char *dtypeName(Dtype dtype);
const char *normalizeName(Normalize normalize);
const char *featureBuiltinName(FeatureBuiltin builtin);

/// `param doc: i32[b, n]`: a runtime tensor beside q, k, v. Each dim is one
/// of the index-space letters b, h, n, d.
struct ParamDecl {
  std::string name;
  SourceLoc loc;
  ParamElem elem = ParamElem::F32;
  /// One token per dimension (runtime/lib/ParamDims.h): a letter of
  /// b h n d, or a fixed extent `[13]`; "" for a scalar. E.g. "bn",
  /// "h[13][13]".
  std::string dims;
  unsigned rank = 0; ///< number of dimensions
  /// `param slope: f32[h] frozen`: no gradient in the backward pass.
  bool frozen = false;
};

/// `let NAME = expr`: a name for an expression, written once and used in
/// any later expression of the block. The parser substitutes the body at
/// each use (so every clause type-checks it in its own variables); the
/// declaration is kept for the checks that need the names.
struct LetDecl {
  std::string name;
  SourceLoc loc;
  unsigned uses = 0;
};

/// `require expr`: a bool condition on the launch sizes (Nq, Nk) that every
/// run checks before computing anything (docs/language.md §3a).
struct Requirement {
  SourceLoc loc;
  ExprPtr expr;
  /// The condition as written (whitespace collapsed), for error messages.
  std::string text;
};

/// `grid t = 8, y = 32, x = 32`: one axis of the token grid, in
/// declaration order (the last axis varies fastest along positions).
struct GridAxis {
  std::string name;
  SourceLoc loc;
  int64_t size = 0;
};

/// A statement value together with where it was written, so that sema can
/// point at the statement that is wrong.
template <typename T> struct Located {
  std::optional<T> value;
  SourceLoc loc;
  bool has() const { return value.has_value(); }
  const T &operator*() const { return *value; }
};

struct TileHints {
  SourceLoc loc;
  std::optional<int64_t> blockQ, blockK, warps, stages;
};

struct FeatureSpec {
  SourceLoc loc;
  FeatureBuiltin builtin = FeatureBuiltin::Identity;
  ExprPtr expr;              ///< only for FeatureBuiltin::Expression
  std::string weightParam;   ///< only for FeatureBuiltin::Hedgehog
  SourceLoc weightParamLoc;
};

struct UpdateSpec {
  SourceLoc loc;
  UpdateRule rule = UpdateRule::Add;
  std::string betaParam; ///< only for UpdateRule::Delta
  SourceLoc betaParamLoc;
};

/// `select topk(K) by mean(q) . mean(k)` or `select cumulative(P) by ...`:
/// content-based block selection (softmax family). The estimator is fixed
/// for now (mean-pooled q and k per tile); `keep` lives in AttentionSpec.
struct SelectSpec {
  SourceLoc loc;
  SelectRule rule = SelectRule::TopK;
  double value = 0;      ///< K for topk, P for cumulative
  bool valueIsInt = false;
  SourceLoc valueLoc;
};

/// `combine add`, `combine add(w)` or `combine shared(g)`: how a hybrid
/// spec joins its softmax and linear branches (docs/language.md §8b).
struct CombineSpec {
  SourceLoc loc;
  CombineRule rule = CombineRule::Add;
  ExprPtr weight; ///< the linear branch's weight (add) or gamma (shared)
};

/// One `attention NAME { ... }` block.
struct AttentionSpec {
  std::string name;
  SourceLoc loc;
  Located<int64_t> heads, kvHeads, headDim, valueDim, chunk;
  Located<Dtype> dtype;
  Located<double> scale;
  Located<Normalize> normalize;
  std::vector<ParamDecl> params;
  std::vector<LetDecl> lets;
  std::vector<Requirement> requirements;
  /// The token grid (empty without `grid`); docs/language.md §3c.
  std::vector<GridAxis> grid;
  SourceLoc gridLoc;
  ExprPtr mask, score, decay;
  std::optional<SelectSpec> select;
  ExprPtr keep; ///< blocks always selected; only with `select`
  /// Sparse + linear hybrid (softmax family): the linear branch's feature
  /// map, the elements it may take (`complement`, default every key) and
  /// how the branches combine.
  std::optional<FeatureSpec> hybrid;
  ExprPtr complement;
  std::optional<CombineSpec> combine;
  std::optional<TileHints> tile;
  std::optional<FeatureSpec> feature;
  std::optional<UpdateSpec> update;
  std::optional<ChunkForm> chunkForm; ///< after `chunk C`
  SourceLoc chunkFormLoc;
  bool linear = false;
  SourceLoc linearLoc;
  bool bidirectional = false;
  SourceLoc bidirectionalLoc;
  /// `permute`: tiles of tokens sorted by the ids of the mask's routing
  /// clause (docs/language.md §3d).
  bool permute = false;
  SourceLoc permuteLoc;

  const ParamDecl *findParam(const std::string &name) const;
};

struct SpecFile {
  std::vector<AttentionSpec> attentions;
};

} // namespace attnc::spec

#endif // ATTNC_LIB_SPEC_AST_H
