//===- AttnKernelOps.td - attn kernel-level ops ------------*- tablegen -*-===//
//
// The kernel level: what one thread block (CUDA) or one task (CPU) runs,
// as explicit loops over tiles and chunks, tile loads, matmuls, the online
// softmax, the linear family's per-chunk products and state updates. The
// conversion passes in lib/Conversion produce it from the planned attn ops;
// the emitters translate it. Sizes are the plan's, visible in the types.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_KERNEL_OPS_TD
#define ATTN_KERNEL_OPS_TD

include "dialect/AttnTypes.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/RegionKindInterface.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

class Attn_KernelOp<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, traits>;

def Attn_Tile : Type<CPred<"::llvm::isa<::mlir::attn::TileType>($_self)">,
                     "attn tile", "::mlir::attn::TileType">;

def Attn_KernelFuncOp : Attn_KernelOp<"kernel", [
    Symbol, IsolatedFromAbove, SingleBlock, NoTerminator]> {
  let summary = "the kernel of one attention op for one target";
  let description = [{
    The schedule of `source` (an attn.attention or attn.linear_attention in
    the same module) on `target`, as the plan of that target says: the
    body runs once per grid cell (CUDA: one thread block per (q-block or
    value tile, head, batch)) or per task (CPU). `plan` is the source op's
    plan for the target, copied so that the kernel prints everything it is
    built with. The softmax family's body loads Q, runs one
    `attn.k_block_loop` and stores the rows; the linear family's holds one
    `attn.form` per kernel form.

    ```mlir
    attn.kernel @causal_cuda for @causal target <cuda>
        plan #attn.cuda_plan<...> {
      %q = attn.load_tile <q> : !attn.tile<[64, 64], bf16, shared>
      ...
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       FlatSymbolRefAttr:$source,
                       Attn_TargetAttr:$target,
                       AnyAttrOf<[Attn_CudaPlanAttr, Attn_CpuPlanAttr]>:$plan);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $sym_name `for` $source `target` $target `plan` $plan attr-dict-with-keyword
    $body
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The attn.attention or attn.linear_attention this kernel runs.
    ::mlir::Operation *getSourceOp();
  }];
}

def Attn_KernelYieldOp : Attn_KernelOp<"kernel_yield", [Pure, Terminator,
    ParentOneOf<["KBlockLoopOp", "QBlockLoopOp", "ChunkLoopOp"]>]> {
  let summary = "the loop-carried values of a k-block or chunk loop";
  let arguments = (ins Variadic<Attn_Tile>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

//===----------------------------------------------------------------------===//
// Tiles
//===----------------------------------------------------------------------===//

def Attn_LoadTileOp : Attn_KernelOp<"load_tile"> {
  let summary = "loads the block's tile of q, k or v";
  let description = [{
    `role` q: the rows of the block's q-block (softmax) or of chunk `index`
    (linear); k and v: k-block or chunk `index`. Rows past the sequence
    and columns past the head dimension are zero-filled, so tiles of padded
    shapes are safe to multiply.
    `%k = attn.load_tile <k>[%kb] : !attn.tile<[64, 64], bf16, shared>`
  }];
  let arguments = (ins Attn_TensorRoleAttr:$role, Optional<Index>:$index);
  let results = (outs Attn_Tile:$result);
  let assemblyFormat = "$role (`[` $index^ `]`)? attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Attn_TileMatmulOp : Attn_KernelOp<"tile_matmul", [Pure]> {
  let summary = "a tile product, optionally accumulated";
  let description = [{
    result = lhs x rhs (lhs^T with `transpose_lhs`, rhs^T with
    `transpose_rhs`) [+ acc], in f32. On
    CUDA's tensor-core path an mma.sync m16n8k16 loop over ldmatrix
    fragments into register fragments; elsewhere a SIMT loop (the SIMT
    softmax kernel keeps its output accumulator in shared memory).
    `%s = attn.tile_matmul %q, %k {transpose_rhs} : !attn.tile<[64, 64], bf16, shared>, !attn.tile<[64, 64], bf16, shared> -> !attn.tile<[64, 64], f32, fragment>`
  }];
  let arguments = (ins Attn_Tile:$lhs, Attn_Tile:$rhs, Optional<Attn_Tile>:$acc,
                       UnitAttr:$transpose_rhs, UnitAttr:$transpose_lhs);
  let results = (outs Attn_Tile:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`acc` $acc^)? attr-dict `:` type($lhs) `,` type($rhs)
    (`,` type($acc)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Softmax family
//===----------------------------------------------------------------------===//

def Attn_InitAccumulatorsOp : Attn_KernelOp<"init_accumulators", [Pure]> {
  let summary = "zero output accumulators and fresh row statistics";
  let description = [{
    The output accumulator (0), the running row maximum (-inf) and the
    running row sum (0) of a q-block.
  }];
  let results = (outs Attn_Tile:$acc, Attn_Tile:$row_max, Attn_Tile:$row_sum);
  let assemblyFormat = "attr-dict `:` type($acc) `,` type($row_max) `,` type($row_sum)";
}

def Attn_KBlockLoopOp : Attn_KernelOp<"k_block_loop", [SingleBlock,
    DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmBlockArgumentNames"]>]> {
  let summary = "the k-blocks one q-block visits, in order";
  let description = [{
    Walks the k-blocks of the q-block: from the static block map's segments
    (`walk = block_map`; the caller's runtime block mask replaces it when
    given) or from the selection a prologue built (`walk = selected`).
    The body gets the k-block index, whether the tile is full (no
    per-element mask; a tile reaching past Nk is never full) and the
    loop-carried tiles; `stages` K/V tiles are in flight (the next block's
    loads overlap this block's math when 2).
    ```mlir
    %o, %m, %l = attn.k_block_loop walk <block_map> stages 2
        iter_args(%o0, %m0, %l0 : ...) -> (...) {
    ^bb0(%kb: index, %full: i1, %o: ..., %m: ..., %l: ...):
      ...
      attn.kernel_yield %o2, %m1, %l1 : ...
    }
    ```
  }];
  let arguments = (ins Attn_TileWalkAttr:$walk, I64Attr:$stages,
                       Variadic<Attn_Tile>:$inits);
  let results = (outs Variadic<Attn_Tile>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `walk` $walk `stages` $stages `iter_args` `(` $inits `:` type($inits) `)` `->`
    `(` type($results) `)` attr-dict-with-keyword $body
  }];
  let hasVerifier = 1;
}

def Attn_ScoreMaskOp : Attn_KernelOp<"score_mask", [Pure]> {
  let summary = "the spec's score on every element, its mask on partial tiles";
  let description = [{
    Scales the raw products by the op's scale, applies the source op's
    `score` region to every element and, unless `full`, its `mask` region
    (masked elements become -inf under softmax, 0 otherwise). Positions are
    the q-block's rows and k-block `block`'s columns.
    `%s1 = attn.score_mask %s at %kb full %full : !attn.tile<[64, 64], f32, fragment>`
  }];
  let arguments = (ins Attn_Tile:$scores, Index:$block, I1:$full);
  let results = (outs Attn_Tile:$result);
  let assemblyFormat = [{
    $scores `at` $block `full` $full attr-dict `:` type($scores) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

def Attn_OnlineSoftmaxOp : Attn_KernelOp<"online_softmax", [Pure,
    AllTypesMatch<["scores", "probs"]>, AllTypesMatch<["acc", "new_acc"]>,
    AllTypesMatch<["row_max", "new_row_max"]>,
    AllTypesMatch<["row_sum", "new_row_sum"]>]> {
  let summary = "one k-block of the online softmax";
  let description = [{
    New row maxima from the scores, p = exp(s - max), the accumulator and
    row sums rescaled by exp(old max - new max), p's row sums added. The
    result p is the A operand of the P V product.
  }];
  let arguments = (ins Attn_Tile:$scores, Attn_Tile:$acc, Attn_Tile:$row_max,
                       Attn_Tile:$row_sum);
  let results = (outs Attn_Tile:$probs, Attn_Tile:$new_acc,
                      Attn_Tile:$new_row_max, Attn_Tile:$new_row_sum);
  let assemblyFormat = [{
    $scores `,` $acc `,` $row_max `,` $row_sum attr-dict `:` type($scores)
    `,` type($acc) `,` type($row_max) `,` type($row_sum)
  }];
  let hasVerifier = 1;
}

def Attn_RowSumOp : Attn_KernelOp<"row_sum", [Pure,
    AllTypesMatch<["row_sum", "new_row_sum"]>]> {
  let summary = "normalize sum / none: the scores are the weights";
  let description = [{
    Adds each row's scores to its running sum (used by normalize sum, kept
    for none so that the epilogue is the same); the weights are the scores.
  }];
  let arguments = (ins Attn_Tile:$scores, Attn_Tile:$row_sum);
  let results = (outs Attn_Tile:$new_row_sum);
  let assemblyFormat = [{
    $scores `,` $row_sum attr-dict `:` type($scores) `,` type($row_sum)
  }];
}

def Attn_HybridFoldOp : Attn_KernelOp<"hybrid_fold"> {
  let summary = "a hybrid's linear branch for the q-block's rows";
  let description = [{
    phi(q_i) . (sum of the folded complement tiles' states, plus the
    complement elements evaluated one by one), numerator and denominator
    per row (docs/language.md §8b), from the states a prologue built.
    `%h = attn.hybrid_fold : !attn.tile<[64, 65], f32, shared>`
  }];
  let results = (outs Attn_Tile:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
}

def Attn_StoreRowsOp : Attn_KernelOp<"store_rows", [AttrSizedOperandSegments]> {
  let summary = "normalizes the accumulated rows and stores o (and lse)";
  let description = [{
    o = acc * row_scale(row_sum) (1/l for softmax and sum, 0 for empty rows;
    1 for none), combined with a hybrid's linear branch when given; lse =
    row_max + log(row_sum) under softmax. The linear family stores its
    chunk outputs with only `acc` (index: the chunk).
  }];
  let arguments = (ins Attn_Tile:$acc, Optional<Index>:$index,
                       Optional<Attn_Tile>:$row_max,
                       Optional<Attn_Tile>:$row_sum,
                       Optional<Attn_Tile>:$hybrid);
  let assemblyFormat = [{
    $acc (`[` $index^ `]`)? `:` type($acc) (`max` $row_max^ `:`
    type($row_max))? (`sum` $row_sum^ `:` type($row_sum))? (`hybrid`
    $hybrid^ `:` type($hybrid))? attr-dict
  }];
}

//===----------------------------------------------------------------------===//
// Linear family
//===----------------------------------------------------------------------===//

def Attn_FormOp : Attn_KernelOp<"form", [SingleBlock, NoTerminator]> {
  let summary = "one kernel form of a linear op";
  let description = [{
    A linear kernel holds one region per form of its plan; the entry picks
    one by shape at run time (recurrent_step for Nq = Nk = 1; on the CPU,
    chunk_parallel when B * H is below the thread count).
  }];
  let arguments = (ins Attn_ChunkFormAttr:$form);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$form attr-dict-with-keyword $body";
}

def Attn_LoadStateOp : Attn_KernelOp<"load_state"> {
  let summary = "the initial state (state_in, or zeros)";
  let description = [{
    S (and z under normalize sum) from the caller's state_in, or zeros
    without one; `zero` always starts from zeros (a chunk's local
    contribution in the chunk-parallel form).
  }];
  let arguments = (ins UnitAttr:$zero);
  let results = (outs Variadic<Attn_Tile>:$states);
  let assemblyFormat = "(`zero` $zero^)? attr-dict `:` type($states)";
}

def Attn_StoreStateOp : Attn_KernelOp<"store_state"> {
  let summary = "the final state (state_out, when the caller asks)";
  let arguments = (ins Variadic<Attn_Tile>:$states);
  let assemblyFormat = "$states attr-dict `:` type($states)";
}

def Attn_ChunkLoopOp : Attn_KernelOp<"chunk_loop", [SingleBlock,
    DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmBlockArgumentNames"]>]> {
  let summary = "the chunks of a linear op, in order, carrying the state";
  let description = [{
    The body gets the chunk index and the carried state tiles (S, and z
    under normalize sum) and yields the next ones. `chunk` is the plan's
    (after any halving). A `parallel` loop carries nothing: its chunks are
    independent (the chunk-parallel form's phases 1 and 3).
  }];
  let arguments = (ins I64Attr:$chunk, UnitAttr:$parallel,
                       Variadic<Attn_Tile>:$inits);
  let results = (outs Variadic<Attn_Tile>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `chunk` $chunk (`parallel` $parallel^)? (`iter_args` `(` $inits^ `:`
    type($inits) `)` `->` `(` type($results) `)`)? attr-dict-with-keyword
    $body
  }];
  let hasVerifier = 1;
}

def Attn_FeatureMapOp : Attn_KernelOp<"feature_map", [Pure]> {
  let summary = "phi of a chunk's rows";
  let description = [{
    The source op's feature map (`feature`, or its feature region) over the
    rows of a q or k tile: [chunk, head_dim] -> [chunk, F].
  }];
  let arguments = (ins Attn_Tile:$input, Attn_FeatureAttr:$feature);
  let results = (outs Attn_Tile:$result);
  let assemblyFormat = "$feature $input attr-dict `:` type($input) `->` type($result)";
}

def Attn_ChunkGatesOp : Attn_KernelOp<"chunk_gates", [Pure]> {
  let summary = "cumulative log-gates of a chunk";
  let description = [{
    A_0 = 0, A_{i+1} = A_i + log(decay_i) for the chunk's tokens, in
    double: one per token (scalar gate, [chunk + 1]) or per token and state
    row (per-channel gate, [chunk + 1, F]).
  }];
  let arguments = (ins Index:$chunk_index);
  let results = (outs Attn_Tile:$gates);
  let assemblyFormat = "$chunk_index attr-dict `:` type($gates)";
}

def Attn_LoadBetaOp : Attn_KernelOp<"load_beta"> {
  let summary = "the delta rule's beta for a chunk's tokens";
  let arguments = (ins Index:$chunk_index);
  let results = (outs Attn_Tile:$beta);
  let assemblyFormat = "$chunk_index attr-dict `:` type($beta)";
}

def Attn_WyTransformOp : Attn_KernelOp<"wy_transform", [Pure]> {
  let summary = "the delta rule's WY/UT form of a chunk";
  let description = [{
    T = (I + tril(diag(beta) K K^T, -1))^-1 diag(beta) (with pairwise
    decays under a gate), W = T K and U = T V: the chunk's updates as
    S += K^T (U - W S) (the DeltaNet chunkwise paper).
  }];
  let arguments = (ins Attn_Tile:$keys, Attn_Tile:$values, Attn_Tile:$beta,
                       Optional<Attn_Tile>:$gates);
  let results = (outs Attn_Tile:$w, Attn_Tile:$u);
  let assemblyFormat = [{
    $keys `,` $values `,` $beta (`gates` $gates^)? attr-dict `:` type($keys)
    `,` type($values) `,` type($beta) (`,` type($gates)^)? `->` type($w) `,`
    type($u)
  }];
}

def Attn_IntraChunkOp : Attn_KernelOp<"intra_chunk", [Pure]> {
  let summary = "the within-chunk weights of the queries on the keys";
  let description = [{
    tril(phi(Q) phi(K)^T), decayed pairwise under a gate (`intra` says
    how: masked, decay_masked, channel_decay_masked with sub-chunks,
    channel_pair_masked).
  }];
  let arguments = (ins Attn_Tile:$queries, Attn_Tile:$keys,
                       Optional<Attn_Tile>:$gates, Attn_IntraAttr:$intra);
  let results = (outs Attn_Tile:$weights);
  let assemblyFormat = [{
    $intra $queries `,` $keys (`gates` $gates^)? attr-dict `:` type($queries)
    `,` type($keys) (`,` type($gates)^)? `->` type($weights)
  }];
}

def Attn_ChunkOutputOp : Attn_KernelOp<"chunk_output", [
    Pure, AttrSizedOperandSegments]> {
  let summary = "a chunk's outputs: intra-chunk plus the carried state";
  let description = [{
    o = scale * (P V + phi(Q) S) with the queries' gates applied to the
    state term (the delta rule reads U - W S for V), divided by
    phi(Q) . z under normalize sum. A bidirectional op has no intra-chunk
    term (`intra` absent): every row reads the final state.
  }];
  let arguments = (ins Attn_Tile:$queries, Variadic<Attn_Tile>:$states,
                       Optional<Attn_Tile>:$weights,
                       Optional<Attn_Tile>:$values);
  let results = (outs Attn_Tile:$result);
  let assemblyFormat = [{
    $queries `,` `state` `(` $states `:` type($states) `)` (`intra` `(`
    $weights^ `,` $values `:` type($weights) `,` type($values) `)`)?
    attr-dict `:` type($queries) `->` type($result)
  }];
}

def Attn_StoreChunkStateOp : Attn_KernelOp<"store_chunk_state"> {
  let summary = "keeps a chunk's state for a later phase";
  let description = [{
    The chunk-parallel form's phase 1 stores each chunk's local state
    contribution (and its carry: the chunk's total decay, or its transition
    under the delta rule) in a workspace indexed by chunk.
  }];
  let arguments = (ins Index:$chunk_index, Variadic<Attn_Tile>:$states);
  let assemblyFormat = "$states `at` $chunk_index attr-dict `:` type($states)";
}

def Attn_LoadChunkStateOp : Attn_KernelOp<"load_chunk_state"> {
  let summary = "the state entering a chunk, from the scanned workspace";
  let arguments = (ins Index:$chunk_index);
  let results = (outs Variadic<Attn_Tile>:$states);
  let assemblyFormat = "$chunk_index attr-dict `:` type($states)";
}

def Attn_StateScanOp : Attn_KernelOp<"state_scan"> {
  let summary = "composes the chunks' states in order from the initial state";
  let description = [{
    Phase 2 of the chunk-parallel form: S_entering(c + 1) = carry(c) applied
    to S_entering(c) plus chunk c's local state, from state_in, per (head,
    state row); afterwards the workspace holds each chunk's entering state
    and the final state goes to state_out when the caller asks.
  }];
  let arguments = (ins Attn_InterAttr:$inter);
  let assemblyFormat = "$inter attr-dict";
}

def Attn_StateUpdateOp : Attn_KernelOp<"state_update", [
    Pure, AttrSizedOperandSegments]> {
  let summary = "the state across a chunk boundary";
  let description = [{
    `inter` says how: S += phi(K)^T V (state_add), S = gamma S + (decayed
    phi(K))^T V (scalar_decay, vector_decay), S += K^T (U - W S) with the
    WY form (delta_wy and the gated variants). `inputs` are the tiles the
    rule reads after the state (phi(K), V; or K, W, U).
  }];
  let arguments = (ins Variadic<Attn_Tile>:$states, Variadic<Attn_Tile>:$inputs,
                       Attn_InterAttr:$inter);
  let results = (outs Variadic<Attn_Tile>:$new_states);
  let assemblyFormat = [{
    $inter `(` $states `:` type($states) `)` `with` `(` $inputs `:`
    type($inputs) `)` `->` type($new_states) attr-dict
  }];
  let hasVerifier = 1;
}

def Attn_RecurrentStepOp : Attn_KernelOp<"recurrent_step"> {
  let summary = "one decode token against the carried state";
  let description = [{
    The recurrence itself for Nq = Nk = 1: the state is decayed, updated by
    the token (add or delta rule) and read by its query; o is stored.
  }];
  let arguments = (ins Variadic<Attn_Tile>:$states, Attn_InterAttr:$inter);
  let results = (outs Variadic<Attn_Tile>:$new_states);
  let assemblyFormat = [{
    $inter $states attr-dict `:` type($states) `->` type($new_states)
  }];
}

//===----------------------------------------------------------------------===//
// Backward, softmax family
//===----------------------------------------------------------------------===//

def Attn_BackwardRowStatsOp : Attn_KernelOp<"backward_row_stats"> {
  let summary = "per query row: the normalizer's statistic and dO . o";
  let description = [{
    The backward kernel's first pass, over every query row: `stat` is the
    forward's lse (normalize softmax, read from the lse input) or the row's
    sum of scores (normalize sum, recomputed over the row's tiles of the
    block plan); `delta` = dO . o (0 under normalize none). Both are kept
    for the two tile passes that follow.
    `%stat, %delta = attn.backward_row_stats : !attn.tile<[64], f32, fragment>, !attn.tile<[64], f32, fragment>`
  }];
  let results = (outs Attn_Tile:$stat, Attn_Tile:$delta);
  let assemblyFormat = "attr-dict `:` type($stat) `,` type($delta)";
}

def Attn_BackwardPassOp : Attn_KernelOp<"backward_pass", [SingleBlock,
    NoTerminator]> {
  let summary = "one parallel pass of the backward kernel";
  let description = [{
    `key_major`: the body runs once per (b, kv head, k-block) and writes
    dK and dV of that k-block, summing over the query heads of the group
    with one `attn.q_block_loop`; the parameter gradients are added here.
    `query_major`: once per (b, h, q-block), writing dQ with one
    `attn.k_block_loop`. Neither pass uses atomics: the result does not
    depend on the order tasks run in.
  }];
  let arguments = (ins Attn_BackwardPassAttr:$pass);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$pass attr-dict-with-keyword $body";
  let hasVerifier = 1;
}

def Attn_TaskBlockOp : Attn_KernelOp<"task_block", [Pure]> {
  let summary = "the block a backward pass's task runs for";
  let description = [{
    The k-block of a key_major pass's task, the q-block of a query_major
    one (the task's (b, head) are implicit, as in every kernel).
  }];
  let results = (outs Index:$block);
  let assemblyFormat = "attr-dict";
  let hasVerifier = 1;
}

def Attn_QBlockLoopOp : Attn_KernelOp<"q_block_loop", [SingleBlock,
    DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmBlockArgumentNames"]>]> {
  let summary = "the (query head, q-block) pairs that visit one k-block";
  let description = [{
    The transposed walk of the key-major backward pass: for the task's
    k-block, every query head of its kv group and every q-block that visits
    the k-block in the forward (its static block plan, or with `walk =
    selected` the forward's selection), in order; the body gets the q-block, the
    tile's `full` flag (the same as the forward's k_block_loop gives that
    tile) and the loop-carried tiles.
  }];
  let arguments = (ins Attn_TileWalkAttr:$walk, Variadic<Attn_Tile>:$inits);
  let results = (outs Variadic<Attn_Tile>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `walk` $walk `iter_args` `(` $inits `:` type($inits) `)` `->`
    `(` type($results) `)` attr-dict-with-keyword $body
  }];
  let hasVerifier = 1;
}

def Attn_InitGradientsOp : Attn_KernelOp<"init_gradients", [Pure]> {
  let summary = "zero gradient accumulators";
  let results = (outs Variadic<Attn_Tile>:$results);
  let assemblyFormat = "attr-dict `:` type($results)";
}

def Attn_ScoreGradientOp : Attn_KernelOp<"score_gradient", [Pure]> {
  let summary = "P and dS of one tile, from S, dP and the row statistics";
  let description = [{
    Recomputes the forward's weights P of the tile from the raw products
    `scores` (Q K^T, scaled by the op's scale inside), the spec's mask
    (unless `full`) and score, and the row statistics; then dT, the
    gradient of the score's value, by the normalizer's rule (softmax
    P (dP - delta), sum (dP - delta) / stat, none dP) from `dp` = dO V^T,
    and dS through the source op's `score_vjp` region. With
    `param_grads`, the region's attn.param_grad add to the parameters'
    gradients (once per visible element: only the key-major pass sets it).
    Positions are the tile's q-block `q_block` and k-block `k_block`.
  }];
  let arguments = (ins Attn_Tile:$scores, Attn_Tile:$dp, Attn_Tile:$stat,
                       Attn_Tile:$delta, Index:$q_block, Index:$k_block,
                       I1:$full, UnitAttr:$param_grads);
  let results = (outs Attn_Tile:$probs, Attn_Tile:$ds);
  let assemblyFormat = [{
    $scores `,` $dp `rows` $stat `,` $delta `at` $q_block `,` $k_block `full` $full
    attr-dict `:` type($scores) `,` type($dp) `,` type($stat) `,` type($delta)
    `->` type($probs) `,` type($ds)
  }];
  let hasVerifier = 1;
}

def Attn_StoreTileOp : Attn_KernelOp<"store_tile"> {
  let summary = "writes a gradient tile to its tensor";
  let description = [{
    Stores dQ of the task's q-block, or dK / dV of its k-block (`index`),
    in the storage dtype.
  }];
  let arguments = (ins Attn_TensorRoleAttr:$role, Attn_Tile:$tile,
                       Optional<Index>:$index);
  let assemblyFormat = "$tile `to` $role (`[` $index^ `]`)? attr-dict `:` type($tile)";
  let hasVerifier = 1;
}

#endif // ATTN_KERNEL_OPS_TD
