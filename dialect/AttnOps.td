//===- AttnOps.td - attn operations ------------------------*- tablegen -*-===//
//
// The attention ops (one per family), parameter reads and the region
// terminator.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_OPS_TD
#define ATTN_OPS_TD

include "dialect/AttnAttrs.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, traits>;

def Attn_AttentionOp : Attn_Op<"attention", [
    Symbol, IsolatedFromAbove,
    DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmBlockArgumentNames"]>]> {
  let summary = "a softmax-family attention variant";
  let description = [{
    o[b, h, i] = normalize_j(score(s_ij) where mask) v[b, h / (H / G), j]
    with s_ij = scale * dot(q[b, h, i], k[b, h / (H / G), j]).

    The `mask` region maps (b, h, q, k, Nq, Nk) to i1; the `score` region
    maps (b, h, q, k, Nq, Nk, s) to f32. Query row i has position
    q = i + Nk - Nq.

    Content-based block selection (optional): `select = #attn.select<topk>`
    with `select_value = 16.0` (K), or `#attn.select<cumulative>` with the
    mass P, chooses per (b, h, q-tile) the k-tiles of the schedule to attend
    to from the mean-pooled q and k of each tile; the optional `keep` region
    (same signature as `mask`) marks elements whose tiles are always kept.
    Selection happens at run time; elements outside selected tiles are
    masked out in addition to `mask`.

    Sparse + linear hybrid (optional, docs/language.md §8b): with
    `hybrid_feature` set, the elements the softmax branch does not take
    (outside `mask` or outside the selected tiles) but where the
    `complement` region (same signature as `mask`) holds go to a linear
    branch with weights phi(q_i) . phi(k_j); `hybrid_phi` is its feature
    expression region (signature of the linear family's feature region),
    `hybrid_feature_param` its hedgehog weight. `combine` joins the
    branches: add, o = o_softmax + w * o_linear (each normalized by its own
    sum), or shared, one normalizer with the softmax terms weighted by
    gamma; the `combine_weight` region maps (b, h, q, Nq, Nk) to w or gamma.
    `complement_map` is complement's symbolic block map (attn-classify-
    blocks), so that kernels fold whole complement tiles into per-block
    linear states.

    Token grid (optional, docs/language.md §3c): `grid = array<i64: 16, 16>`
    puts the Nq = Nk = 256 tokens on a 16 x 16 grid in row-major order;
    the regions read coordinates as `(pos floordiv stride) rem size`.

    `permute` (docs/language.md §3d): the kernels may reorder the tokens by
    the ids of the mask's routing clause `qid[.., q] == kid[.., k]`.

    Backward (optional, attn-differentiate): `score_vjp` is the score
    region's vector-Jacobian product. It maps (b, h, q, k, Nq, Nk, s, dt),
    with dt the gradient of the loss with respect to the score's value, to
    ds, the gradient with respect to s, and adds dt times the score's
    derivative with respect to each f32 parameter element it reads into
    that parameter's gradient with `attn.param_grad`.

    ```mlir
    attn.attention @causal {dtype = #attn.dtype<bfloat16>, head_dim = 64 : i64,
        heads = 8 : i64, kv_heads = 8 : i64, normalize = #attn.normalize<softmax>,
        params = [], scale = 1.250000e-01 : f64, value_dim = 64 : i64} mask {
    ^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
      %0 = arith.cmpi sle, %k, %q : i64
      attn.yield %0 : i1
    } score {
    ^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
      attn.yield %s : f32
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, I64Attr:$heads,
                       I64Attr:$kv_heads, I64Attr:$head_dim,
                       I64Attr:$value_dim, Attn_DtypeAttr:$dtype,
                       F64Attr:$scale, Attn_NormalizeAttr:$normalize,
                       TypedArrayAttrBase<Attn_ParamAttr, "parameters">:$params,
                       OptionalAttr<Attn_ScheduleAttr>:$schedule,
                       OptionalAttr<TypedArrayAttrBase<Attn_ClauseAttr,
                           "mask clauses">>:$block_map,
                       OptionalAttr<Attn_SelectAttr>:$select,
                       OptionalAttr<F64Attr>:$select_value,
                       OptionalAttr<Attn_FeatureAttr>:$hybrid_feature,
                       OptionalAttr<StrAttr>:$hybrid_feature_param,
                       OptionalAttr<Attn_CombineAttr>:$combine,
                       OptionalAttr<TypedArrayAttrBase<Attn_ClauseAttr,
                           "complement clauses">>:$complement_map,
                       OptionalAttr<Attn_CudaPlanAttr>:$cuda_plan,
                       OptionalAttr<StrAttr>:$cuda_unsupported,
                       OptionalAttr<Attn_CpuPlanAttr>:$cpu_plan,
                       OptionalAttr<StrAttr>:$cuda_unsupported_clause,
                       OptionalAttr<TypedArrayAttrBase<Attn_RequireAttr,
                           "requirements">>:$requirements,
                       OptionalAttr<DenseI64ArrayAttr>:$grid,
                       UnitAttr:$permute);
  let regions = (region SizedRegion<1>:$mask, SizedRegion<1>:$score,
                        MaxSizedRegion<1>:$keep,
                        MaxSizedRegion<1>:$hybrid_phi,
                        MaxSizedRegion<1>:$complement,
                        MaxSizedRegion<1>:$combine_weight,
                        MaxSizedRegion<1>:$score_vjp);
  let assemblyFormat =
      "$sym_name attr-dict `mask` $mask `score` $score (`keep` $keep^)? "
      "(`hybrid_phi` $hybrid_phi^)? (`complement` $complement^)? "
      "(`combine_weight` $combine_weight^)? (`score_vjp` $score_vjp^)?";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The declaration of parameter `name`, or null.
    ::mlir::attn::ParamAttr lookupParam(::llvm::StringRef name);
    /// Feature channels of the hybrid's linear branch (0 without hybrid).
    int64_t getHybridFeatureDim();
    ::mlir::LogicalResult verifyHybrid();
  }];
}

def Attn_LinearAttentionOp : Attn_Op<"linear_attention", [
    Symbol, IsolatedFromAbove,
    DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmBlockArgumentNames"]>]> {
  let summary = "a linear-family attention variant";
  let description = [{
    With phi the feature map and S a (F x Dv) state starting at 0:
    S_t = decay_t * S_{t-1} + phi(k_t)^T v_t (update add) or the delta rule
    S_t = decay_t (I - beta_t k_t k_t^T) S_{t-1} + beta_t k_t v_t^T
    (update delta, with k_t = phi(k_t)), and o_t = scale * phi(q_t) S_t,
    divided by phi(q_t) . z_t under normalize sum. `bidirectional` sums over
    every key instead.

    The `feature` region (used when feature is #attn.feature<expression>)
    maps (b, h, n, d, Nq, Nk, x) to f32; the `decay` region maps
    (b, h, n, d, Nq, Nk) to f32. A decay that reads d is a per-channel gate.

    `chunk_form` is the spec's forced kernel form (`chunk C parallel`);
    `chunk_plan`, attached by attn-plan-chunks, the chunk structure the
    kernels implement. `cuda_plan` and `cpu_plan` (attn-plan-kernel) say
    how each target runs it; `cuda_unsupported` replaces `cuda_plan` with
    the reason when no CUDA kernel fits (the op then has a CPU backend
    only), and `cuda_unsupported_clause` names the spec clause that reason
    is about ("head_dim", "tile", ...), where attn::clauseLoc finds it for
    the diagnostics. The softmax op carries the same.

    ```mlir
    attn.linear_attention @lin {bidirectional = false, dtype = #attn.dtype<float32>,
        feature = #attn.feature<elu1>, head_dim = 64 : i64, heads = 4 : i64,
        kv_heads = 4 : i64, normalize = #attn.normalize<sum>, params = [],
        scale = 1.000000e+00 : f64, update = #attn.update<add>,
        value_dim = 64 : i64} feature {
    ^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
      attn.yield %x : f32
    } decay {
    ^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
      %one = arith.constant 1.0 : f32
      attn.yield %one : f32
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, I64Attr:$heads,
                       I64Attr:$kv_heads, I64Attr:$head_dim,
                       I64Attr:$value_dim, Attn_DtypeAttr:$dtype,
                       F64Attr:$scale, Attn_NormalizeAttr:$normalize,
                       TypedArrayAttrBase<Attn_ParamAttr, "parameters">:$params,
                       Attn_FeatureAttr:$feature,
                       OptionalAttr<StrAttr>:$feature_param,
                       Attn_UpdateAttr:$update,
                       OptionalAttr<StrAttr>:$beta_param,
                       BoolAttr:$bidirectional,
                       OptionalAttr<Attn_ScheduleAttr>:$schedule,
                       OptionalAttr<Attn_ChunkFormAttr>:$chunk_form,
                       OptionalAttr<Attn_ChunkPlanAttr>:$chunk_plan,
                       OptionalAttr<Attn_CudaPlanAttr>:$cuda_plan,
                       OptionalAttr<StrAttr>:$cuda_unsupported,
                       OptionalAttr<Attn_CpuPlanAttr>:$cpu_plan,
                       OptionalAttr<StrAttr>:$cuda_unsupported_clause,
                       OptionalAttr<TypedArrayAttrBase<Attn_RequireAttr,
                           "requirements">>:$requirements);
  let regions = (region SizedRegion<1>:$feature_region,
                        SizedRegion<1>:$decay);
  let assemblyFormat = "$sym_name attr-dict `feature` $feature_region `decay` $decay";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::attn::ParamAttr lookupParam(::llvm::StringRef name);
    /// Number of feature channels F after phi.
    int64_t getFeatureDim();
    /// True when the decay reads d: a per-channel (vector) gate.
    bool hasVectorDecay();
    /// True when the decay yields the constant 1: no gate.
    bool hasUnitDecay();
    /// The gate class: the one definition every pass and backend reads.
    ::mlir::attn::DecayClass getDecayClass();
  }];
}

def Attn_ParamOp : Attn_Op<"param", [Pure]> {
  let summary = "reads one element of a runtime parameter";
  let description = [{
    `%v = attn.param "doc"[%b, %k] : i32` reads parameter `doc` declared on
    the enclosing attention op, one i64 index per declared dimension.
  }];
  let arguments = (ins StrAttr:$name, Variadic<I64>:$indices);
  let results = (outs AnyTypeOf<[I32, F32]>:$result);
  let assemblyFormat = "$name `[` $indices `]` attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Attn_ParamGradOp : Attn_Op<"param_grad", [
    MemoryEffects<[MemWrite]>]> {
  let summary = "adds to one element of a parameter's gradient";
  let description = [{
    `attn.param_grad "slope"[%h] %g : f32` adds %g to element [h] of the
    gradient of parameter `slope` (declared f32, not frozen, on the
    enclosing attention op). attn-differentiate writes one per read of a
    differentiable parameter in a score region; the element's gradient is
    the sum over every (b, h, q, k) the region runs for.
  }];
  let arguments = (ins StrAttr:$name, Variadic<I64>:$indices, F32:$value);
  let assemblyFormat = "$name `[` $indices `]` $value attr-dict `:` type($value)";
  let hasVerifier = 1;
}

def Attn_YieldOp : Attn_Op<"yield", [Pure, Terminator,
    ParentOneOf<["AttentionOp", "LinearAttentionOp"]>]> {
  let summary = "returns the value of a mask, score, feature or decay region";
  let arguments = (ins AnyType:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

#endif // ATTN_OPS_TD
