// RUN: %attnc-opt %s --attn-classify-blocks --attn-plan-chunks --attn-plan-kernel --split-input-file -verify-diagnostics | FileCheck %s
// One verified plan per target (docs/passes.md, attn-plan-kernel): the
// CUDA path by family and dtype, threads, tiles, stages, value tiles, the
// chunk after halving, the forms and the shared memory the emitters print.

// bf16 on tensor cores, 4 warps of 32 rows (block_q 128): the spec asked for
// 4 stages, the sm_80 kernel pipelines 2, and says so. Two m-tiles a warp
// need 160 registers of Q, O and S fragments, more than the 128 under which
// Q stays in registers (it is reloaded from shared memory per k-step).
// CHECK-LABEL: attn.attention @tc
// CHECK-SAME: cpu_plan = #attn.cpu_plan<block_q = 128, block_k = 64, chunk = 0, memo_keys = false, ragged = true, kv_splits = 64>
// CHECK-SAME: cuda_plan = #attn.cuda_plan<path = tensor_core, grid = q_blocks, threads = 128, warps = 4, block_q = 128, block_k = 64, stages = 2, q_in_registers = false, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 49152, main_shared_bytes = 49152, ragged = true, kv_splits = 64>
// expected-warning @+1 {{tile stages=4 is more than the sm_80 tensor-core kernel pipelines; its CUDA plan uses 2 stages}}
attn.attention @tc {dtype = #attn.dtype<bfloat16>, head_dim = 64 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.250000e-01 : f64, schedule = #attn.schedule<block_q = 128, block_k = 64, warps = 4, stages = 4, chunk = 0>, value_dim = 64 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

// f32 runs one SIMT thread per query row, without a k-loop pipeline.
// CHECK-LABEL: attn.attention @simt
// CHECK-SAME: cuda_plan = #attn.cuda_plan<path = simt, grid = q_blocks, threads = 64, warps = 2, block_q = 64, block_k = 64, stages = 1, q_in_registers = false, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 33280, main_shared_bytes = 33280, ragged = true, kv_splits = 64>
attn.attention @simt {dtype = #attn.dtype<float32>, head_dim = 32 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 0.17677669529663687 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 32 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

// head_dim 256 with 128 x 128 tiles needs more shared memory than a block
// has: no CUDA plan, the reason instead (the CPU plan stands).
// CHECK-LABEL: attn.attention @big
// CHECK-SAME: cpu_plan = #attn.cpu_plan<block_q = 128, block_k = 128, chunk = 0, memo_keys = false, ragged = true, kv_splits = 64>
// CHECK-SAME: cuda_unsupported = "the schedule needs 327680 bytes of shared memory per block, more than the 166912 sm_80 allows; use smaller tiles (tile q=... k=...)"
// CHECK-NOT: cuda_plan
attn.attention @big {dtype = #attn.dtype<float16>, head_dim = 256 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 6.250000e-02 : f64, schedule = #attn.schedule<block_q = 128, block_k = 128, warps = 4, stages = 2, chunk = 0>, value_dim = 256 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

// Based (taylor2, 273 features): the 64-row chunk does not fit a block, the
// CUDA plan halves it to 32 and keeps the decode step; the CPU runs 64 with
// every form, without memoising phi(k) (taylor2 is cheaper to recompute).
// CHECK-LABEL: attn.linear_attention @based
// CHECK-SAME: cpu_plan = #attn.cpu_plan<block_q = 0, block_k = 0, chunk = 64, forms = [sequential, chunk_parallel, recurrent_step], memo_keys = false>
// CHECK-SAME: cuda_plan = #attn.cuda_plan<path = chunked_simt, grid = value_tiles, threads = 256, warps = 8, block_q = 0, block_k = 0, stages = 0, q_in_registers = false, chunk = 32, value_tile = 16, value_tiles = 1, forms = [sequential, recurrent_step], shared_bytes = {{[0-9]+}}, main_shared_bytes = {{[0-9]+}}>
attn.linear_attention @based {bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<taylor2>, head_dim = 16 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.000000e+00 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 4, stages = 2, chunk = 64>, update = #attn.update<add>, value_dim = 16 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %cst = arith.constant 1.000000e+00 : f32
  attn.yield %cst : f32
}

// -----

// Causal normalize sum: z has one writer, so one value tile covers all 128
// columns, and the chunk halves to 32 to fit; elu1 is worth memoising in
// the CPU's chunk-parallel form.
// CHECK-LABEL: attn.linear_attention @sum
// CHECK-SAME: cpu_plan = #attn.cpu_plan<block_q = 0, block_k = 0, chunk = 64, forms = [sequential, chunk_parallel, recurrent_step], memo_keys = true>
// CHECK-SAME: cuda_plan = #attn.cuda_plan<path = chunked_simt, grid = value_tiles, threads = 256, warps = 8, block_q = 0, block_k = 0, stages = 0, q_in_registers = false, chunk = 32, value_tile = 128, value_tiles = 1, forms = [sequential, recurrent_step]
attn.linear_attention @sum {bidirectional = false, dtype = #attn.dtype<bfloat16>, feature = #attn.feature<elu1>, head_dim = 128 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<sum>, params = [], scale = 1.000000e+00 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 4, stages = 2, chunk = 64>, update = #attn.update<add>, value_dim = 128 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %cst = arith.constant 1.000000e+00 : f32
  attn.yield %cst : f32
}

// -----

// A forced chunk-parallel form has no CUDA kernel: the CUDA plan runs the
// chunks in sequence and says so; value_dim 160 takes 3 tiles of 64.
// CHECK-LABEL: attn.linear_attention @par
// CHECK-SAME: cpu_plan = #attn.cpu_plan<block_q = 0, block_k = 0, chunk = 64, forms = [chunk_parallel, recurrent_step], memo_keys = false>
// CHECK-SAME: cuda_plan = #attn.cuda_plan<path = chunked_simt, grid = value_tiles, threads = 256, warps = 8, block_q = 0, block_k = 0, stages = 0, q_in_registers = false, chunk = 64, value_tile = 64, value_tiles = 3, forms = [sequential, recurrent_step], shared_bytes = 98816, main_shared_bytes = 98816>
// expected-warning @+1 {{'chunk 64 parallel' has no CUDA kernel; the CUDA plan runs the chunks in sequence}}
attn.linear_attention @par {bidirectional = false, chunk_form = #attn.chunk_form<chunk_parallel>, dtype = #attn.dtype<float16>, feature = #attn.feature<identity>, head_dim = 64 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.000000e+00 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 4, stages = 2, chunk = 64>, update = #attn.update<add>, value_dim = 160 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %cst = arith.constant 1.000000e+00 : f32
  attn.yield %cst : f32
}

// -----

// taylor2 on head_dim 64 (4161 features) fits no chunk: no CUDA plan.
// CHECK-LABEL: attn.linear_attention @taylor
// CHECK-SAME: cuda_unsupported = "the CUDA backend needs {{[0-9]+}} bytes of shared memory per block for feature dimension 4161 and value tile 64
// CHECK-NOT: cuda_plan
attn.linear_attention @taylor {bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<taylor2>, head_dim = 64 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<sum>, params = [], scale = 1.000000e+00 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 4, stages = 2, chunk = 64>, update = #attn.update<add>, value_dim = 64 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %cst = arith.constant 1.000000e+00 : f32
  attn.yield %cst : f32
}
