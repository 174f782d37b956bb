//===- AttnAttrs.td - attn enums and attributes ------------*- tablegen -*-===//
//
// Enumerations (dtype, normalizer, feature map, update rule) and the
// structured attributes of the attn dialect: parameter declarations, the
// schedule and the linear family's chunk plan.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_ATTRS_TD
#define ATTN_ATTRS_TD

include "dialect/AttnDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

class Attn_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Attn_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def Attn_DtypeEnum : I32EnumAttr<"Dtype", "storage dtype of q, k, v and o", [
    // Spelled out: f32, f16 and bf16 are type keywords to MLIR's lexer.
    I32EnumAttrCase<"f32", 0, "float32">, I32EnumAttrCase<"f16", 1, "float16">,
    I32EnumAttrCase<"bf16", 2, "bfloat16">]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}
def Attn_DtypeAttr : EnumAttr<Attn_Dialect, Attn_DtypeEnum, "dtype"> {
  let assemblyFormat = "`<` $value `>`";
}

def Attn_NormalizeEnum : I32EnumAttr<"Normalize", "row normalizer", [
    I32EnumAttrCase<"softmax", 0>, I32EnumAttrCase<"sum", 1>,
    I32EnumAttrCase<"none", 2>]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}
def Attn_NormalizeAttr : EnumAttr<Attn_Dialect, Attn_NormalizeEnum,
                                  "normalize"> {
  let assemblyFormat = "`<` $value `>`";
}

def Attn_FeatureEnum : I32EnumAttr<"Feature", "linear-attention feature map", [
    I32EnumAttrCase<"expression", 0>, I32EnumAttrCase<"identity", 1>,
    I32EnumAttrCase<"relu", 2>, I32EnumAttrCase<"elu1", 3>,
    I32EnumAttrCase<"exp", 4>, I32EnumAttrCase<"l2norm", 5>,
    I32EnumAttrCase<"taylor2", 6>, I32EnumAttrCase<"hedgehog", 7>]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}
def Attn_FeatureAttr : EnumAttr<Attn_Dialect, Attn_FeatureEnum, "feature"> {
  let assemblyFormat = "`<` $value `>`";
}

def Attn_UpdateEnum : I32EnumAttr<"Update", "linear-attention state update", [
    I32EnumAttrCase<"add", 0>, I32EnumAttrCase<"delta", 1>]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}
def Attn_UpdateAttr : EnumAttr<Attn_Dialect, Attn_UpdateEnum, "update"> {
  let assemblyFormat = "`<` $value `>`";
}

def Attn_CombineEnum : I32EnumAttr<"Combine",
    "how a hybrid spec joins its softmax and linear branches", [
    I32EnumAttrCase<"add", 0>, I32EnumAttrCase<"shared", 1>]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}
def Attn_CombineAttr : EnumAttr<Attn_Dialect, Attn_CombineEnum, "combine"> {
  let assemblyFormat = "`<` $value `>`";
}

def Attn_SelectEnum : I32EnumAttr<"SelectRule",
    "content-based block selection rule", [
    I32EnumAttrCase<"topk", 0>, I32EnumAttrCase<"cumulative", 1>]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}
def Attn_SelectAttr : EnumAttr<Attn_Dialect, Attn_SelectEnum, "select"> {
  let summary = "content-based block selection rule";
  let description = [{
    `#attn.select<topk>` keeps, per q-tile, the `select_value` k-tiles with
    the highest mean(q) . mean(k) block score; `#attn.select<cumulative>`
    keeps the smallest set of highest-scoring k-tiles whose softmax mass
    over the candidate tiles reaches `select_value` (docs/language.md).
  }];
  let assemblyFormat = "`<` $value `>`";
}

def Attn_ParamAttr : Attn_Attr<"Param", "param"> {
  let summary = "a runtime parameter tensor beside q, k and v";
  let description = [{
    `#attn.param<"doc", i32, "bn">` declares a parameter `doc` of element
    type i32 over the index space (b, n): its array has shape [B, N]. Each
    letter of `dims` is one of b (batch), h (query head), n (sequence
    position) and d (feature channel).

    `frozen = true` (spec: `param slope: f32[h] frozen`) marks an f32
    parameter the backward pass gives no gradient (a fixed ALiBi slope
    table); i32 parameters never have one.
  }];
  let parameters = (ins StringRefParameter<"parameter name">:$name,
                        "Type":$elementType,
                        StringRefParameter<"index space letters">:$dims,
                        DefaultValuedParameter<"bool", "false">:$frozen);
  let assemblyFormat =
      "`<` $name `,` $elementType `,` $dims (`,` `frozen` `=` $frozen^)? `>`";
  let genVerifyDecl = 1;
}

def Attn_ScheduleAttr : Attn_Attr<"Schedule", "schedule"> {
  let summary = "how an attention op is computed";
  let description = [{
    Tiles of the softmax family (block_q x block_k, warps, pipeline stages)
    and the chunk length of the linear family. 0 means "not chosen yet": the
    spec's hints arrive partially filled and a pass completes them.
    `#attn.schedule<block_q = 128, block_k = 64, warps = 4, stages = 2, chunk = 0>`
  }];
  let parameters = (ins "int64_t":$block_q, "int64_t":$block_k,
                        "int64_t":$warps, "int64_t":$stages,
                        "int64_t":$chunk);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_RequireAttr : Attn_Attr<"Require", "require"> {
  let summary = "a `require` condition on the launch sizes";
  let description = [{
    `#attn.require<text = "Nk % 64 == 0", program = "Nk,64,mod,0,eq",
    line = 9>`: the condition as written in the spec (for messages), its
    postfix program over Nq and Nk (runtime/lib/Requirements.h, evaluated
    by the runtime before every launch and by the reference executor's
    driver) and the spec line it came from.
  }];
  let parameters = (ins StringRefParameter<"">:$text,
                        StringRefParameter<"">:$program, "int64_t":$line);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_BoundAttr : Attn_Attr<"Bound", "bound"> {
  let summary = "a linear bound on the key position";
  let description = [{
    `#attn.bound<c = -1023, q = 1, nq = 0, nk = 0>` stands for
    c + q * q_pos + nq * Nq + nk * Nk: a bound on k that is linear in the
    query position and the sequence lengths.
  }];
  let parameters = (ins "int64_t":$c, "int64_t":$q, "int64_t":$nq,
                        "int64_t":$nk);
  let assemblyFormat = "`<` struct(params) `>`";
}

def Attn_ClauseAttr : Attn_Attr<"Clause", "clause"> {
  let summary = "one conjunction of the mask's disjunctive normal form";
  let description = [{
    Keys visible under this clause satisfy max(lower) <= k <= min(upper)
    (plus 0 <= k < Nk). When `exact` is false the clause also holds atoms
    the analysis cannot bound (params, modulo, nonlinear terms): its blocks
    are never full, every element is masked.
    `#attn.clause<lower = [#attn.bound<...>], upper = [...], exact = true>`
  }];
  let parameters = (ins ArrayRefParameter<"BoundAttr">:$lower,
                        ArrayRefParameter<"BoundAttr">:$upper,
                        "bool":$exact);
  // Custom: the declarative form cannot print an empty bound list.
  let hasCustomAssemblyFormat = 1;
}

def Attn_ChunkFormEnum : I32EnumAttr<"ChunkForm",
    "a kernel form of the chunked linear schedule", [
    I32EnumAttrCase<"sequential", 0>, I32EnumAttrCase<"chunk_parallel", 1>,
    I32EnumAttrCase<"recurrent_step", 2>]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}
def Attn_ChunkFormAttr : EnumAttr<Attn_Dialect, Attn_ChunkFormEnum,
                                  "chunk_form"> {
  let summary = "the spec's forced chunk form (`chunk C sequential|parallel`)";
  let assemblyFormat = "`<` $value `>`";
}

def Attn_IntraEnum : I32EnumAttr<"Intra",
    "how a query row combines the keys of its own chunk", [
    // Bidirectional: no intra-chunk product, every row reads the final state.
    I32EnumAttrCase<"none", 0>,
    // tril(phi(Q) phi(K)^T).
    I32EnumAttrCase<"masked", 1>,
    // tril(phi(Q) phi(K)^T) * exp(A_i - A_j), one log-space gate per row.
    I32EnumAttrCase<"decay_masked", 2>,
    // Per-channel ratios; off-diagonal sub-chunks factor through the
    // sub-chunk start, diagonal sub-blocks take one exp per channel.
    I32EnumAttrCase<"channel_decay_masked", 3>,
    // Per-channel gate with the delta rule: two pairwise-decayed weights.
    I32EnumAttrCase<"channel_pair_masked", 4>]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}

def Attn_InterEnum : I32EnumAttr<"Inter",
    "how the state crosses a chunk boundary", [
    // S += phi(K)^T V.
    I32EnumAttrCase<"state_add", 0>,
    // S = gamma_L S + (phi(K) decayed to the chunk end)^T V.
    I32EnumAttrCase<"scalar_decay", 1>,
    // The same with one gamma per state row.
    I32EnumAttrCase<"vector_decay", 2>,
    // Delta rule through the WY/UT form: S += K^T (U - W S).
    I32EnumAttrCase<"delta_wy", 3>,
    // Delta rule with a scalar gate (Gated DeltaNet).
    I32EnumAttrCase<"gated_delta_wy", 4>,
    // Delta rule with a per-channel gate (pairwise per-channel ratios).
    I32EnumAttrCase<"vector_gated_delta_wy", 5>]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}

def Attn_ChunkPlanAttr : Attn_Attr<"ChunkPlan", "chunk_plan"> {
  let summary = "the chunk structure of a linear-family op";
  let description = [{
    What the kernels of a linear op do per chunk of `chunk` keys: `intra`
    (the within-chunk masked product), `inter` (how the state crosses a
    chunk boundary), `sub_chunk` (the secondary chunking of per-channel
    gates, 0 when unused), and `forms`, the kernel forms emitted, sorted:
    `sequential` (one task per (b, h) walking the chunks), `chunk_parallel`
    (chunk states in parallel, a scan over them, outputs in parallel) and
    `recurrent_step` (one token, state in, state out). Kernels choose among
    the chunked forms by shape at run time; a single one is forced.
    Attached by attn-plan-chunks; the emitters read it.
    `#attn.chunk_plan<chunk = 64, intra = decay_masked, inter = scalar_decay,
      sub_chunk = 0, forms = [sequential, chunk_parallel, recurrent_step]>`
  }];
  let parameters = (ins "int64_t":$chunk,
                        EnumParameter<Attn_IntraEnum>:$intra,
                        EnumParameter<Attn_InterEnum>:$inter,
                        "int64_t":$sub_chunk,
                        ArrayRefParameter<"::mlir::attn::ChunkForm",
                                          "kernel forms">:$forms);
  let assemblyFormat = [{
    `<` `chunk` `=` $chunk `,` `intra` `=` $intra `,` `inter` `=` $inter `,`
    `sub_chunk` `=` $sub_chunk `,` `forms` `=` `[` $forms `]` `>`
  }];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// True when `form` is one of the emitted forms.
    bool hasForm(::mlir::attn::ChunkForm form) const;
  }];
}

def Attn_DecayClassEnum : I32EnumAttr<"DecayClass",
    "the gate of a linear-family op", [
    // The decay region yields the constant 1.
    I32EnumAttrCase<"none", 0>,
    // One gate per (b, h, token): the region does not read d.
    I32EnumAttrCase<"scalar", 1>,
    // One gate per state row: the region reads d.
    I32EnumAttrCase<"per_channel", 2>]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}

def Attn_CudaPathEnum : I32EnumAttr<"CudaPath",
    "the kernel design a CUDA plan selects", [
    // Softmax family, f16/bf16: mma.sync m16n8k16, ldmatrix, cp.async.
    I32EnumAttrCase<"tensor_core", 0>,
    // Softmax family, f32: one thread per query row.
    I32EnumAttrCase<"simt", 1>,
    // Linear family: one block per (value tile, head, batch), SIMT f32
    // chunk products, the state tile in shared memory.
    I32EnumAttrCase<"chunked_simt", 2>,
    // Softmax family, backward: a row-statistics kernel, a key-major dK/dV
    // kernel and a query-major dQ kernel, one thread per tile element and
    // f32 math for every storage dtype (attn-convert-softmax-backward-to-
    // kernel plans it; it is the backward kernel's own plan).
    I32EnumAttrCase<"backward_simt", 3>,
    // Softmax family, backward, f16/bf16: the same four kernels with
    // S, dP, dV, dK and dQ on mma.sync m16n8k16 (a warp owns 16 keys in
    // the key-major pass, 16 queries in the query-major pass), P and dS
    // rounded to the storage type between the products.
    I32EnumAttrCase<"backward_tensor_core", 4>]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}

def Attn_CudaGridEnum : I32EnumAttr<"CudaGrid",
    "what the x dimension of a CUDA grid counts (y is heads, z batch)", [
    I32EnumAttrCase<"q_blocks", 0>, I32EnumAttrCase<"value_tiles", 1>,
    // The backward's grids, one per kernel and all 1-D: rows
    // (B * H * Nq / warps), tasks of the key-major pass (B * G * k-blocks)
    // and of the query-major pass (B * H * q-blocks).
    I32EnumAttrCase<"backward_tasks", 2>]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}

def Attn_CudaPlanAttr : Attn_Attr<"CudaPlan", "cuda_plan"> {
  let summary = "everything about how an op runs on CUDA";
  let description = [{
    The one verified CUDA plan of an op, attached by attn-plan-kernel; the
    CUDA emitter, the manifest and `attnc explain` read it and nothing
    re-derives it. `path` is the kernel design; `grid` what grid x counts
    (`value_tiles` is fixed at `value_tiles`); `threads` per block
    (`warps` = threads / 32); `block_q` x `block_k` tiles and `stages` of
    the k-loop pipeline (softmax family; 0 for the linear family);
    `q_in_registers` when the tensor-core path keeps Q fragments in
    registers; `chunk` the chunk the kernel runs (after any halving to fit
    shared memory), `value_tile` its value columns per block and `forms`
    the kernel forms it has (linear family; 0 and [] otherwise);
    `shared_bytes` its dynamic shared memory per block, of which
    `main_shared_bytes` is the k-loop's (a hybrid's linear branch reuses
    the rest). `ragged` when the kernel also runs packed variable-length
    batches (cu_seqlens given at launch, docs/runtime.md §3e): each block
    reads its sequence's offsets and lengths (softmax q_blocks paths only;
    printed only when true). `box` (softmax forward on a token grid): the
    tiles are boxes of the grid, as in the CPU plan; grid x then counts
    the boxes. `kv_splits` (printed only when not 0): split-KV decode, the
    most splits of one sequence's k-tiles the kernel takes (grid z = B x
    splits, each block writing a partial (o, lse) that a merge kernel
    combines; docs/runtime.md §3g); the runtime picks the count per call
    from B, H, the q-blocks, the k-tiles and the device's SM count. Softmax
    normalizer on a ragged plan only.
    `#attn.cuda_plan<path = tensor_core, grid = q_blocks, threads = 128,
      warps = 4, block_q = 64, block_k = 64, stages = 2,
      q_in_registers = true, chunk = 0, value_tile = 0, value_tiles = 0,
      shared_bytes = 40960, main_shared_bytes = 40960>` (forms are printed
    only when there are some).
  }];
  let parameters = (ins EnumParameter<Attn_CudaPathEnum>:$path,
                        EnumParameter<Attn_CudaGridEnum>:$grid,
                        "int64_t":$threads, "int64_t":$warps,
                        "int64_t":$block_q, "int64_t":$block_k,
                        "int64_t":$stages, "bool":$q_in_registers,
                        "int64_t":$chunk, "int64_t":$value_tile,
                        "int64_t":$value_tiles,
                        OptionalArrayRefParameter<"::mlir::attn::ChunkForm",
                                                  "kernel forms">:$forms,
                        "int64_t":$shared_bytes,
                        "int64_t":$main_shared_bytes,
                        DefaultValuedParameter<"bool", "false">:$ragged,
                        OptionalArrayRefParameter<"int64_t",
                                                  "grid box sides">:$box,
                        DefaultValuedParameter<"int64_t", "0">:$kv_splits);
  let assemblyFormat = [{
    `<` `path` `=` $path `,` `grid` `=` $grid `,` `threads` `=` $threads `,`
    `warps` `=` $warps `,` `block_q` `=` $block_q `,` `block_k` `=` $block_k
    `,` `stages` `=` $stages `,` `q_in_registers` `=` $q_in_registers `,`
    `chunk` `=` $chunk `,` `value_tile` `=` $value_tile `,` `value_tiles`
    `=` $value_tiles `,` (`forms` `=` `[` $forms^ `]` `,`)?
    (`box` `=` `[` $box^ `]` `,`)?
    `shared_bytes` `=` $shared_bytes `,` `main_shared_bytes` `=`
    $main_shared_bytes (`,` `ragged` `=` $ragged^)?
    (`,` `kv_splits` `=` $kv_splits^)? `>`
  }];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// True when `form` is one of the kernel's forms.
    bool hasForm(::mlir::attn::ChunkForm form) const;
  }];
}

def Attn_CpuPlanAttr : Attn_Attr<"CpuPlan", "cpu_plan"> {
  let summary = "everything about how an op runs on the CPU backend";
  let description = [{
    The one verified CPU plan of an op, attached by attn-plan-kernel; the
    CPU emitter and `attnc explain` read it. Softmax family: `block_q` x
    `block_k` tiles (one task per (b, h, q-block)). Linear family: `chunk`,
    the kernel `forms` (the entry chooses between sequential and
    chunk_parallel by shape at run time) and `memo_keys`, whether the
    chunk-parallel form keeps phi(k) and v from phase 1 for phase 3
    (worth it when phi costs more than a copy per channel). `ragged` when
    the kernel also runs packed variable-length batches (cu_seqlens given
    at run time, docs/runtime.md §3e; softmax family, printed only when
    true). `box` (softmax family with a token grid, docs/language.md §3c):
    the kernel tiles the grid in boxes of these sides, one per axis, whose
    volume is block_q = block_k; it gathers each box's tokens (padding
    boxes at the grid's far borders) and walks the per-axis tile classes
    of lib/Analysis/GridTiles.h instead of the block map. `routed` (softmax
    family, a mask with a clause `qid[.., q] == kid[.., k]`, docs/language.md
    §3d): the kernel sorts query rows and keys by id per call and walks the
    key tiles whose ids meet each query tile's (printed only when true).
    `kv_splits` (printed only when not 0): split-KV decode as in the CUDA
    plan, the tasks over (b, h, q-block, split) with this machine's threads
    in place of SMs (docs/runtime.md §3g).
    `#attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false,
      ragged = true>`
  }];
  let parameters = (ins "int64_t":$block_q, "int64_t":$block_k,
                        "int64_t":$chunk,
                        OptionalArrayRefParameter<"::mlir::attn::ChunkForm",
                                                  "kernel forms">:$forms,
                        "bool":$memo_keys,
                        DefaultValuedParameter<"bool", "false">:$ragged,
                        OptionalArrayRefParameter<"int64_t",
                                                  "grid box sides">:$box,
                        DefaultValuedParameter<"bool", "false">:$routed,
                        DefaultValuedParameter<"int64_t", "0">:$kv_splits);
  let assemblyFormat = [{
    `<` `block_q` `=` $block_q `,` `block_k` `=` $block_k `,` `chunk` `=`
    $chunk `,` (`forms` `=` `[` $forms^ `]` `,`)? (`box` `=` `[` $box^ `]` `,`)?
    (`routed` `=` $routed^ `,`)?
    `memo_keys` `=` $memo_keys (`,` `ragged` `=` $ragged^)?
    (`,` `kv_splits` `=` $kv_splits^)? `>`
  }];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// True when `form` is one of the kernel's forms.
    bool hasForm(::mlir::attn::ChunkForm form) const;
  }];
}

def Attn_TileSpaceEnum : I32EnumAttr<"TileSpace",
    "where a kernel-level tile lives", [
    // Staged in shared memory (loads by cp.async on CUDA).
    I32EnumAttrCase<"shared", 0>,
    // Distributed over the threads' registers (mma fragments on CUDA,
    // per-thread rows on the SIMT paths and the CPU).
    I32EnumAttrCase<"fragment", 1>]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}

def Attn_TargetEnum : I32EnumAttr<"Target", "a backend attnc emits", [
    I32EnumAttrCase<"cpu", 0>, I32EnumAttrCase<"cuda", 1>]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}
def Attn_TargetAttr : EnumAttr<Attn_Dialect, Attn_TargetEnum, "target"> {
  let assemblyFormat = "`<` $value `>`";
}

def Attn_TensorRoleEnum : I32EnumAttr<"TensorRole",
    "which kernel argument a tile load or store addresses", [
    I32EnumAttrCase<"q", 0>, I32EnumAttrCase<"k", 1>, I32EnumAttrCase<"v", 2>,
    I32EnumAttrCase<"o", 3>,
    // The backward pass: the gradient of o (an input) and those it writes.
    I32EnumAttrCase<"dout", 4>, I32EnumAttrCase<"dq", 5>,
    I32EnumAttrCase<"dk", 6>, I32EnumAttrCase<"dv", 7>]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}
def Attn_TensorRoleAttr : EnumAttr<Attn_Dialect, Attn_TensorRoleEnum, "role"> {
  let assemblyFormat = "`<` $value `>`";
}

def Attn_BackwardPassEnum : I32EnumAttr<"BackwardPass",
    "one of the backward kernel's passes over the tiles", [
    // dK and dV: one task per (b, kv head, k-block), over the q-blocks
    // whose plan visits it (deterministic, no atomics).
    I32EnumAttrCase<"key_major", 0>,
    // dQ: one task per (b, h, q-block), over the k-blocks of its plan.
    I32EnumAttrCase<"query_major", 1>]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}
def Attn_BackwardPassAttr : EnumAttr<Attn_Dialect, Attn_BackwardPassEnum,
                                     "backward_pass"> {
  let assemblyFormat = "`<` $value `>`";
}

def Attn_TileWalkEnum : I32EnumAttr<"TileWalk",
    "where a k-block loop takes its tiles from", [
    // The static block map (per q-block segments of full and partial
    // tiles), or the caller's runtime block mask when it passes one.
    I32EnumAttrCase<"block_map", 0>,
    // Content-based selection: a prologue builds the mask on every launch.
    I32EnumAttrCase<"selected", 1>]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}
def Attn_TileWalkAttr : EnumAttr<Attn_Dialect, Attn_TileWalkEnum,
                                 "tile_walk"> {
  let assemblyFormat = "`<` $value `>`";
}

def Attn_IntraAttr : EnumAttr<Attn_Dialect, Attn_IntraEnum, "intra"> {
  let assemblyFormat = "`<` $value `>`";
}
def Attn_InterAttr : EnumAttr<Attn_Dialect, Attn_InterEnum, "inter"> {
  let assemblyFormat = "`<` $value `>`";
}

#endif // ATTN_ATTRS_TD
