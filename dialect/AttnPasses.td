//===- AttnPasses.td - attn passes -------------------------*- tablegen -*-===//
//
// Passes that schedule attn ops. The default order lives in one pipeline
// builder (lib/Pipelines), registered as `attnc-pipeline`.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_PASSES_TD
#define ATTN_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnChooseSchedulePass : Pass<"attn-choose-schedule", "mlir::ModuleOp"> {
  let summary = "complete and verify the schedule of every attention op";
  let description = [{
    Fills the fields of `#attn.schedule` the spec left at 0 with defaults
    per (head_dim, dtype): 4 warps of 16 query rows each, block_k 64 (32 for
    head_dim above 128), 2 stages; chunk 64 for the linear family. Checks
    the spec's hints: block_q a multiple of 16 * warps, block_k a multiple
    of 16, chunk a power of two in [16, 256].
  }];
}

def AttnClassifyBlocksPass : Pass<"attn-classify-blocks", "mlir::ModuleOp"> {
  let summary = "static mask analysis: k-block ranges per q-block";
  let description = [{
    Attaches `block_map` to every scheduled attn.attention: the mask in
    disjunctive normal form, each clause a set of linear bounds on k (in the
    query position, Nq and Nk) that kernels evaluate once per q-block to get
    the k-blocks to visit and those that need no per-element masking.
    Masks that read params, or that the analysis cannot bound, give
    non-exact clauses: their blocks are all partial.
  }];
}

def AttnPlanChunksPass : Pass<"attn-plan-chunks", "mlir::ModuleOp"> {
  let summary = "the chunk structure of every linear-family op";
  let description = [{
    Attaches `chunk_plan = #attn.chunk_plan<...>` to every scheduled
    attn.linear_attention: the intra-chunk product (masked, decay_masked,
    channel_decay_masked with 16-row sub-chunks, channel_pair_masked for a
    per-channel gate with the delta rule, none when bidirectional), the
    inter-chunk state rule (state_add, scalar_decay, vector_decay, delta_wy,
    gated_delta_wy, vector_gated_delta_wy) and the kernel forms: sequential
    always (unless `chunk C parallel` forces the other), chunk_parallel and
    recurrent_step for causal ops. A forced
    chunk-parallel form the op cannot have is an error.
  }];
}

def AttnPlanKernelPass : Pass<"attn-plan-kernel", "mlir::ModuleOp"> {
  let summary = "the one verified kernel plan per target of every op";
  let description = [{
    Decides everything about how each op runs on each target and attaches
    it, verified: `cpu_plan = #attn.cpu_plan<...>` (tiles; chunk, forms and
    whether the chunk-parallel form memoises phi(k)) and `cuda_plan =
    #attn.cuda_plan<...>` (path, grid, threads, tiles, stages, value tile,
    the chunk after any halving, forms, shared memory). The emitters, the
    manifest and `attnc explain` only read these.

    Adjustments are printed, never silent: a `tile stages=N` the CUDA
    kernel cannot pipeline (more than 2) gives a warning and the plan's
    stages; a forced `chunk C parallel` gives a warning that the CUDA
    kernel runs sequential; a linear chunk halved to fit shared memory
    shows as the plan's chunk. An op no CUDA kernel design fits (shared
    memory, tensor-core head dims, more than 1024 rows per block) gets
    `cuda_unsupported = "<why>"` instead of a plan: its package then has a
    CPU backend only, and `--emit=cuda` reports the reason.
  }];
}

def AttnDifferentiatePass : Pass<"attn-differentiate", "mlir::ModuleOp"> {
  let summary = "the backward pass's derivative regions, from the forward's";
  let description = [{
    Attaches to every attn.attention its `score_vjp` region: the score
    region's vector-Jacobian product (b, h, q, k, Nq, Nk, s, dt) -> ds,
    with an `attn.param_grad` per read of an f32 parameter that is not
    frozen. Derivatives come from one rule per arith/math op
    (lib/Autodiff/ScalarVjp.cpp; conventions at kinks as PyTorch's).
    Sparse + linear hybrids and the linear family are reported as not
    differentiable yet: an error, or with `allow-unsupported` (the
    pipeline's backward mode, where a spec file's other blocks may be of
    either) a warning, and the op keeps no score_vjp region.
    `attnc SPEC --emit=backward` prints the result.
  }];
  let options = [
    Option<"allowUnsupported", "allow-unsupported", "bool", "false",
           "warn about ops without a backward instead of failing">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

def AttnConvertSoftmaxToKernelPass
    : Pass<"attn-convert-softmax-to-kernel", "mlir::ModuleOp"> {
  let summary = "attn.attention to the kernel level, one attn.kernel per plan";
  let description = [{
    Writes out the flash-style schedule of every planned attn.attention as
    an `attn.kernel` per target plan (`@<name>_cpu`, `@<name>_cuda`): the
    q-block load, the k-block loop (block map or selection, the plan's
    stages), S = Q K^T, score and mask, the online softmax or row sum,
    O += P V, a hybrid's linear branch, the normalized store. Tile shapes
    are the plan's. `attnc SPEC --emit=kernel` prints the result.
  }];
  let dependentDialects = ["::mlir::attn::AttnDialect"];
}

def AttnConvertSoftmaxBackwardToKernelPass
    : Pass<"attn-convert-softmax-backward-to-kernel", "mlir::ModuleOp"> {
  let summary = "the backward kernel of every differentiated attn.attention";
  let description = [{
    Writes out the backward schedule of every planned attn.attention that
    has a score_vjp region (attn-differentiate) as
    `attn.kernel @<name>_cpu_backward`: the row statistics, the key-major
    pass (dK, dV and parameter gradients per k-block, over the q-blocks
    whose plan visits it) and the query-major pass (dQ per q-block). Tiles
    are the CPU plan's; the loops walk the forward's tiles (its static
    block map, or with `select` the selection, which the kernel rebuilds:
    selection is deterministic).
  }];
  let dependentDialects = ["::mlir::attn::AttnDialect"];
}

def AttnConvertLinearToKernelPass
    : Pass<"attn-convert-linear-to-kernel", "mlir::ModuleOp"> {
  let summary = "attn.linear_attention to the kernel level";
  let description = [{
    Writes out the chunked schedule of every planned attn.linear_attention
    as an `attn.kernel` per target plan, one `attn.form` per kernel form of
    that plan: sequential (a chunk loop carrying the state: feature maps,
    gates, the delta rule's WY form, the intra-chunk weights, the chunk's
    outputs, the state update), chunk_parallel (parallel chunk states, a
    scan, parallel outputs) and recurrent_step (one decode token).
    Bidirectional ops accumulate the whole state first, then read it.
  }];
  let dependentDialects = ["::mlir::attn::AttnDialect"];
}

def AttnTestBlockRangesPass : Pass<"attn-test-block-ranges", "mlir::ModuleOp"> {
  let summary = "test only: tile counts of the block map for given lengths";
  let description = [{
    Annotates each attn.attention carrying a block_map with
    `test.tiles = [total, visited, full, partial]` for lengths nq x nk, and
    `test.qblock<i> = [[first, last], ...]` segments for the first q-blocks.
  }];
  let options = [
    Option<"nq", "nq", "int64_t", "256", "number of queries">,
    Option<"nk", "nk", "int64_t", "256", "number of keys">,
    Option<"showBlocks", "show-blocks", "int64_t", "4",
           "how many q-blocks to list">,
  ];
}

#endif // ATTN_PASSES_TD
