// RUN: %attnc-opt %s --split-input-file -verify-diagnostics
// Plans the verifiers reject (docs/passes.md, attn-plan-kernel): a hand-
// written or transformed plan is checked exactly as the pass's own.

// A block runs at most 1024 threads.
// expected-error @+1 {{expected 1 to 1024 threads per block, got 2048}}
attn.attention @too_many_threads {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cuda_plan = #attn.cuda_plan<path = tensor_core, grid = q_blocks, threads = 2048, warps = 64, block_q = 128, block_k = 64, stages = 2, q_in_registers = true, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 49152, main_shared_bytes = 49152>, dtype = #attn.dtype<bfloat16>, head_dim = 64 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.250000e-01 : f64, schedule = #attn.schedule<block_q = 128, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 64 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

// Warps follow from threads.
// expected-error @+1 {{expected warps = ceil(threads / 32) = 4, got 3}}
attn.attention @warps_mismatch {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cuda_plan = #attn.cuda_plan<path = tensor_core, grid = q_blocks, threads = 128, warps = 3, block_q = 128, block_k = 64, stages = 2, q_in_registers = true, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 49152, main_shared_bytes = 49152>, dtype = #attn.dtype<bfloat16>, head_dim = 64 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.250000e-01 : f64, schedule = #attn.schedule<block_q = 128, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 64 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

// No plan may need more shared memory than sm_80 has.
// expected-error @+1 {{the plan needs 200000 bytes of shared memory per block, more than the 166912 sm_80 allows}}
attn.attention @too_much_shared {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cuda_plan = #attn.cuda_plan<path = tensor_core, grid = q_blocks, threads = 128, warps = 4, block_q = 128, block_k = 64, stages = 2, q_in_registers = true, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 200000, main_shared_bytes = 200000>, dtype = #attn.dtype<bfloat16>, head_dim = 64 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.250000e-01 : f64, schedule = #attn.schedule<block_q = 128, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 64 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

// The tensor-core kernel double-buffers at most.
// expected-error @+1 {{expected 1 or 2 stages on path tensor_core, got 4}}
attn.attention @deep_pipeline {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cuda_plan = #attn.cuda_plan<path = tensor_core, grid = q_blocks, threads = 128, warps = 4, block_q = 128, block_k = 64, stages = 4, q_in_registers = true, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 81920, main_shared_bytes = 81920>, dtype = #attn.dtype<bfloat16>, head_dim = 64 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.250000e-01 : f64, schedule = #attn.schedule<block_q = 128, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 64 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

// The path follows the dtype.
// expected-error @+1 {{expected CUDA path 'tensor_core' for dtype 'bfloat16', got 'simt'}}
attn.attention @wrong_path {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cuda_plan = #attn.cuda_plan<path = simt, grid = q_blocks, threads = 128, warps = 4, block_q = 128, block_k = 64, stages = 1, q_in_registers = false, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 49152, main_shared_bytes = 49152>, dtype = #attn.dtype<bfloat16>, head_dim = 64 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.250000e-01 : f64, schedule = #attn.schedule<block_q = 128, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 64 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

// A plan that under-counts its buffers would overrun shared memory.
// expected-error @+1 {{expected the CUDA plan's shared memory to be what its buffers need (49152 bytes, 49152 in the k-loop), got 40960 and 40960}}
attn.attention @short_shared {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cuda_plan = #attn.cuda_plan<path = tensor_core, grid = q_blocks, threads = 128, warps = 4, block_q = 128, block_k = 64, stages = 2, q_in_registers = true, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 40960, main_shared_bytes = 40960>, dtype = #attn.dtype<bfloat16>, head_dim = 64 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.250000e-01 : f64, schedule = #attn.schedule<block_q = 128, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 64 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

// A CUDA plan or the reason there is none, not both.
// expected-error @+1 {{expected either 'cuda_plan' or 'cuda_unsupported', not both}}
attn.attention @plan_and_reason {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cuda_plan = #attn.cuda_plan<path = tensor_core, grid = q_blocks, threads = 128, warps = 4, block_q = 128, block_k = 64, stages = 2, q_in_registers = true, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 49152, main_shared_bytes = 49152>, cuda_unsupported = "no", dtype = #attn.dtype<bfloat16>, head_dim = 64 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.250000e-01 : f64, schedule = #attn.schedule<block_q = 128, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 64 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

// The CUDA kernel may halve the chunk plan's chunk, never lengthen it.
// expected-error @+1 {{expected the CUDA chunk (128) at most the chunk plan's (64)}}
attn.linear_attention @longer_chunk {bidirectional = false, chunk_plan = #attn.chunk_plan<chunk = 64, intra = masked, inter = state_add, sub_chunk = 0, forms = [sequential, chunk_parallel, recurrent_step]>, cuda_plan = #attn.cuda_plan<path = chunked_simt, grid = value_tiles, threads = 256, warps = 8, block_q = 0, block_k = 0, stages = 0, q_in_registers = false, chunk = 128, value_tile = 16, value_tiles = 1, forms = [sequential, recurrent_step], shared_bytes = 95552, main_shared_bytes = 95552>, dtype = #attn.dtype<float32>, feature = #attn.feature<taylor2>, head_dim = 16 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.000000e+00 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 4, stages = 2, chunk = 64>, update = #attn.update<add>, value_dim = 16 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %cst = arith.constant 1.000000e+00 : f32
  attn.yield %cst : f32
}

// -----

// There is no chunk-parallel CUDA kernel.
// expected-error @+1 {{form 'chunk_parallel' has no CUDA kernel}}
attn.linear_attention @parallel_cuda {bidirectional = false, chunk_plan = #attn.chunk_plan<chunk = 64, intra = masked, inter = state_add, sub_chunk = 0, forms = [sequential, chunk_parallel, recurrent_step]>, cuda_plan = #attn.cuda_plan<path = chunked_simt, grid = value_tiles, threads = 256, warps = 8, block_q = 0, block_k = 0, stages = 0, q_in_registers = false, chunk = 32, value_tile = 16, value_tiles = 1, forms = [sequential, chunk_parallel, recurrent_step], shared_bytes = 95552, main_shared_bytes = 95552>, dtype = #attn.dtype<float32>, feature = #attn.feature<taylor2>, head_dim = 16 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.000000e+00 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 4, stages = 2, chunk = 64>, update = #attn.update<add>, value_dim = 16 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %cst = arith.constant 1.000000e+00 : f32
  attn.yield %cst : f32
}

// -----

// The decode step exists on every target or none.
// expected-error @+1 {{expected the CUDA plan to have form 'recurrent_step' exactly when the chunk plan has it}}
attn.linear_attention @no_step {bidirectional = false, chunk_plan = #attn.chunk_plan<chunk = 64, intra = masked, inter = state_add, sub_chunk = 0, forms = [sequential, chunk_parallel, recurrent_step]>, cuda_plan = #attn.cuda_plan<path = chunked_simt, grid = value_tiles, threads = 256, warps = 8, block_q = 0, block_k = 0, stages = 0, q_in_registers = false, chunk = 32, value_tile = 16, value_tiles = 1, forms = [sequential], shared_bytes = 95552, main_shared_bytes = 95552>, dtype = #attn.dtype<float32>, feature = #attn.feature<taylor2>, head_dim = 16 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.000000e+00 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 4, stages = 2, chunk = 64>, update = #attn.update<add>, value_dim = 16 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %cst = arith.constant 1.000000e+00 : f32
  attn.yield %cst : f32
}

// -----

// Packed variable-length batches are the softmax forward's (grid q_blocks).
// expected-error @+1 {{expected ragged only with grid q_blocks (the softmax forward), got grid value_tiles}}
attn.linear_attention @ragged_linear_cuda {bidirectional = false, chunk_plan = #attn.chunk_plan<chunk = 64, intra = masked, inter = state_add, sub_chunk = 0, forms = [sequential, chunk_parallel, recurrent_step]>, cuda_plan = #attn.cuda_plan<path = chunked_simt, grid = value_tiles, threads = 256, warps = 8, block_q = 0, block_k = 0, stages = 0, q_in_registers = false, chunk = 32, value_tile = 16, value_tiles = 1, forms = [sequential, recurrent_step], shared_bytes = 95552, main_shared_bytes = 95552, ragged = true>, dtype = #attn.dtype<float32>, feature = #attn.feature<taylor2>, head_dim = 16 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.000000e+00 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 4, stages = 2, chunk = 64>, update = #attn.update<add>, value_dim = 16 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %cst = arith.constant 1.000000e+00 : f32
  attn.yield %cst : f32
}

// -----

// Nor does the CPU plan of a chunked (linear) kernel take them.
// expected-error @+1 {{expected ragged only without a chunk (the softmax family)}}
attn.linear_attention @ragged_linear_cpu {bidirectional = false, chunk_plan = #attn.chunk_plan<chunk = 64, intra = masked, inter = state_add, sub_chunk = 0, forms = [sequential, chunk_parallel, recurrent_step]>, cpu_plan = #attn.cpu_plan<block_q = 0, block_k = 0, chunk = 64, forms = [sequential, recurrent_step], memo_keys = false, ragged = true>, cuda_plan = #attn.cuda_plan<path = chunked_simt, grid = value_tiles, threads = 256, warps = 8, block_q = 0, block_k = 0, stages = 0, q_in_registers = false, chunk = 32, value_tile = 16, value_tiles = 1, forms = [sequential, recurrent_step], shared_bytes = 95552, main_shared_bytes = 95552>, dtype = #attn.dtype<float32>, feature = #attn.feature<taylor2>, head_dim = 16 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.000000e+00 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 4, stages = 2, chunk = 64>, update = #attn.update<add>, value_dim = 16 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %cst = arith.constant 1.000000e+00 : f32
  attn.yield %cst : f32
}
