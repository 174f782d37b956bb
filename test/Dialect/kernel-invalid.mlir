// RUN: %attnc-opt %s --split-input-file -verify-diagnostics
// Kernel-level IR the verifiers reject (dialect/AttnKernelOps.td).

// A matmul whose contracted dimensions differ.
attn.attention @padded {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cpu_plan = #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false>, cuda_plan = #attn.cuda_plan<path = tensor_core, grid = q_blocks, threads = 128, warps = 4, block_q = 64, block_k = 64, stages = 2, q_in_registers = true, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 30720, main_shared_bytes = 30720>, dtype = #attn.dtype<bfloat16>, head_dim = 40 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 0.15811388300841897 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 40 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}
attn.kernel @k for @padded target <cpu> plan #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false> {
  %q = attn.load_tile <q> : <[64, 40], bf16, shared>
  %c0 = arith.constant 0 : index
  %k = attn.load_tile <k>[%c0] : <[64, 32], bf16, shared>
  // expected-error @+1 {{expected the contracted dimensions to agree, got 40 and 32}}
  %s = attn.tile_matmul %q, %k {transpose_rhs} : <[64, 40], bf16, shared>, <[64, 32], bf16, shared> -> <[64, 64], f32, fragment>
}

// -----

// A k tile needs its k-block.
attn.attention @padded {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cpu_plan = #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false>, cuda_plan = #attn.cuda_plan<path = tensor_core, grid = q_blocks, threads = 128, warps = 4, block_q = 64, block_k = 64, stages = 2, q_in_registers = true, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 30720, main_shared_bytes = 30720>, dtype = #attn.dtype<bfloat16>, head_dim = 40 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 0.15811388300841897 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 40 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}
attn.kernel @k for @padded target <cpu> plan #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false> {
  // expected-error @+1 {{expected a k-block or chunk index for a k or v tile}}
  %k = attn.load_tile <k> : <[64, 40], bf16, shared>
}

// -----

// The plan must be the source op's for the target.
attn.attention @padded {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cpu_plan = #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false>, cuda_plan = #attn.cuda_plan<path = tensor_core, grid = q_blocks, threads = 128, warps = 4, block_q = 64, block_k = 64, stages = 2, q_in_registers = true, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 30720, main_shared_bytes = 30720>, dtype = #attn.dtype<bfloat16>, head_dim = 40 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 0.15811388300841897 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 40 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}
// expected-error @+1 {{expected a #attn.cpu_plan for target 'cpu'}}
attn.kernel @k for @padded target <cpu> plan #attn.cuda_plan<path = tensor_core, grid = q_blocks, threads = 128, warps = 4, block_q = 64, block_k = 64, stages = 2, q_in_registers = true, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 30720, main_shared_bytes = 30720> {

}

// -----

// A kernel for a symbol that is no attention op.
attn.attention @padded {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cpu_plan = #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false>, cuda_plan = #attn.cuda_plan<path = tensor_core, grid = q_blocks, threads = 128, warps = 4, block_q = 64, block_k = 64, stages = 2, q_in_registers = true, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 30720, main_shared_bytes = 30720>, dtype = #attn.dtype<bfloat16>, head_dim = 40 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 0.15811388300841897 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 40 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}
// expected-error @+1 {{expected 'nothing' to name an attn.attention or attn.linear_attention}}
attn.kernel @k for @nothing target <cpu> plan #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false> {

}

// -----

// A k-block loop must yield what it carries.
attn.attention @padded {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cpu_plan = #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false>, cuda_plan = #attn.cuda_plan<path = tensor_core, grid = q_blocks, threads = 128, warps = 4, block_q = 64, block_k = 64, stages = 2, q_in_registers = true, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 30720, main_shared_bytes = 30720>, dtype = #attn.dtype<bfloat16>, head_dim = 40 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 0.15811388300841897 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 40 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}
attn.kernel @k for @padded target <cpu> plan #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false> {
  %acc, %m, %l = attn.init_accumulators : <[64, 40], f32, shared>, <[64], f32, fragment>, <[64], f32, fragment>
  // expected-error @+1 {{expected attn.kernel_yield to yield the carried tiles' types}}
  %r:3 = attn.k_block_loop walk <block_map> stages 1 iter_args(%acc, %m, %l : !attn.tile<[64, 40], f32, shared>, !attn.tile<[64], f32, fragment>, !attn.tile<[64], f32, fragment>) -> (!attn.tile<[64, 40], f32, shared>, !attn.tile<[64], f32, fragment>, !attn.tile<[64], f32, fragment>) {
  ^bb0(%kb: index, %full: i1, %a: !attn.tile<[64, 40], f32, shared>, %mm: !attn.tile<[64], f32, fragment>, %ll: !attn.tile<[64], f32, fragment>):
    attn.kernel_yield %a, %mm : !attn.tile<[64, 40], f32, shared>, !attn.tile<[64], f32, fragment>
  }
}

// -----

// Three pipeline stages are more than any kernel runs.
attn.attention @padded {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cpu_plan = #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false>, cuda_plan = #attn.cuda_plan<path = tensor_core, grid = q_blocks, threads = 128, warps = 4, block_q = 64, block_k = 64, stages = 2, q_in_registers = true, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 30720, main_shared_bytes = 30720>, dtype = #attn.dtype<bfloat16>, head_dim = 40 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 0.15811388300841897 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 40 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}
attn.kernel @k for @padded target <cpu> plan #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false> {
  %acc, %m, %l = attn.init_accumulators : <[64, 40], f32, shared>, <[64], f32, fragment>, <[64], f32, fragment>
  // expected-error @+1 {{expected 1 or 2 stages, got 3}}
  %r:3 = attn.k_block_loop walk <block_map> stages 3 iter_args(%acc, %m, %l : !attn.tile<[64, 40], f32, shared>, !attn.tile<[64], f32, fragment>, !attn.tile<[64], f32, fragment>) -> (!attn.tile<[64, 40], f32, shared>, !attn.tile<[64], f32, fragment>, !attn.tile<[64], f32, fragment>) {
  ^bb0(%kb: index, %full: i1, %a: !attn.tile<[64, 40], f32, shared>, %mm: !attn.tile<[64], f32, fragment>, %ll: !attn.tile<[64], f32, fragment>):
    attn.kernel_yield %a, %mm, %ll : !attn.tile<[64, 40], f32, shared>, !attn.tile<[64], f32, fragment>, !attn.tile<[64], f32, fragment>
  }
}

// -----

// A tile of three dimensions.
attn.attention @padded {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cpu_plan = #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false>, cuda_plan = #attn.cuda_plan<path = tensor_core, grid = q_blocks, threads = 128, warps = 4, block_q = 64, block_k = 64, stages = 2, q_in_registers = true, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 30720, main_shared_bytes = 30720>, dtype = #attn.dtype<bfloat16>, head_dim = 40 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 0.15811388300841897 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 40 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}
attn.kernel @k for @padded target <cpu> plan #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false> {
  // expected-error @+1 {{expected a tile of 1 or 2 dimensions, got 3}}
  %q = attn.load_tile <q> : <[64, 40, 2], bf16, shared>
}

// -----

// The CPU kernel runs one stage, as its plan says.
attn.attention @padded {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cpu_plan = #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false>, cuda_plan = #attn.cuda_plan<path = tensor_core, grid = q_blocks, threads = 128, warps = 4, block_q = 64, block_k = 64, stages = 2, q_in_registers = true, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 30720, main_shared_bytes = 30720>, dtype = #attn.dtype<bfloat16>, head_dim = 40 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 0.15811388300841897 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 40 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}
attn.kernel @k for @padded target <cpu> plan #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false> {
  %acc, %m, %l = attn.init_accumulators : <[64, 40], f32, shared>, <[64], f32, fragment>, <[64], f32, fragment>
  // expected-error @+1 {{expected the plan's 1 stages, got 2}}
  %r:3 = attn.k_block_loop walk <block_map> stages 2 iter_args(%acc, %m, %l : !attn.tile<[64, 40], f32, shared>, !attn.tile<[64], f32, fragment>, !attn.tile<[64], f32, fragment>) -> (!attn.tile<[64, 40], f32, shared>, !attn.tile<[64], f32, fragment>, !attn.tile<[64], f32, fragment>) {
  ^bb0(%kb: index, %full: i1, %a: !attn.tile<[64, 40], f32, shared>, %mm: !attn.tile<[64], f32, fragment>, %ll: !attn.tile<[64], f32, fragment>):
    attn.kernel_yield %a, %mm, %ll : !attn.tile<[64, 40], f32, shared>, !attn.tile<[64], f32, fragment>, !attn.tile<[64], f32, fragment>
  }
}

// -----

// Backward: A gradient is an output: it is stored, never loaded.
attn.attention @padded {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cpu_plan = #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false>, dtype = #attn.dtype<bfloat16>, head_dim = 40 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 0.15811388300841897 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 40 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}
attn.kernel @k for @padded target <cpu> plan #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false> {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{cannot load an output}}
  %g = attn.load_tile <dq>[%c0] : <[64, 40], f32, shared>
}

// -----

// Backward: Only gradients are stored by store_tile.
attn.attention @padded {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cpu_plan = #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false>, dtype = #attn.dtype<bfloat16>, head_dim = 40 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 0.15811388300841897 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 40 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}
attn.kernel @k for @padded target <cpu> plan #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false> {
  %t = attn.init_gradients : !attn.tile<[64, 40], f32, shared>
  // expected-error @+1 {{stores gradients (dq, dk, dv) only}}
  attn.store_tile %t to <q> : <[64, 40], f32, shared>
}

// -----

// Backward: dk is stored per k-block.
attn.attention @padded {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cpu_plan = #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false>, dtype = #attn.dtype<bfloat16>, head_dim = 40 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 0.15811388300841897 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 40 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}
attn.kernel @k for @padded target <cpu> plan #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false> {
  %t = attn.init_gradients : !attn.tile<[64, 40], f32, shared>
  // expected-error @+1 {{expected the k-block of a dk or dv tile}}
  attn.store_tile %t to <dk> : <[64, 40], f32, shared>
}

// -----

// Backward: A task block exists only inside a backward pass.
attn.attention @padded {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cpu_plan = #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false>, dtype = #attn.dtype<bfloat16>, head_dim = 40 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 0.15811388300841897 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 40 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}
attn.kernel @k for @padded target <cpu> plan #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false> {
  // expected-error @+1 {{expected to be in a backward pass}}
  %b = attn.task_block
}

// -----

// Backward: A backward pass walks its tiles with one loop of its direction.
attn.attention @padded {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cpu_plan = #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false>, dtype = #attn.dtype<bfloat16>, head_dim = 40 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 0.15811388300841897 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 40 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}
attn.kernel @k for @padded target <cpu> plan #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false> {
  // expected-error @+1 {{expected one tile loop, got 0}}
  attn.backward_pass <key_major> {
    %b = attn.task_block
  }
}

// -----

// Backward: The score gradient needs the source op's score_vjp.
attn.attention @padded {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cpu_plan = #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false>, dtype = #attn.dtype<bfloat16>, head_dim = 40 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 0.15811388300841897 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 40 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}
attn.kernel @k for @padded target <cpu> plan #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false> {
  %s, %d = attn.backward_row_stats : <[64], f32, fragment>, <[64], f32, fragment>
  %t = attn.init_gradients : !attn.tile<[64, 64], f32, fragment>
  %c0 = arith.constant 0 : index
  %true = arith.constant true
  // expected-error @+1 {{expected the kernel's source to have a score_vjp region (run attn-differentiate)}}
  %p, %ds = attn.score_gradient %t, %t rows %s, %d at %c0, %c0 full %true : <[64, 64], f32, fragment>, <[64, 64], f32, fragment>, <[64], f32, fragment>, <[64], f32, fragment> -> <[64, 64], f32, fragment>, <[64, 64], f32, fragment>
}

// -----

// Backward: a backward_simt plan (the CUDA backward's own) on a kernel that
// is no backward kernel.
attn.attention @padded {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cpu_plan = #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false>, cuda_plan = #attn.cuda_plan<path = tensor_core, grid = q_blocks, threads = 128, warps = 4, block_q = 64, block_k = 64, stages = 2, q_in_registers = true, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 30720, main_shared_bytes = 30720>, dtype = #attn.dtype<bfloat16>, head_dim = 40 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 0.15811388300841897 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 40 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}
// expected-error @+1 {{a backward_simt plan is for the softmax family's backward kernels}}
attn.kernel @k for @padded target <cuda> plan #attn.cuda_plan<path = backward_simt, grid = backward_tasks, threads = 256, warps = 8, block_q = 32, block_k = 32, stages = 1, q_in_registers = false, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 25600, main_shared_bytes = 25600> {

}

// -----

// Backward: the backward_simt path launches without the opt-in attribute.
attn.attention @padded {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cpu_plan = #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false>, cuda_plan = #attn.cuda_plan<path = tensor_core, grid = q_blocks, threads = 128, warps = 4, block_q = 64, block_k = 64, stages = 2, q_in_registers = true, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 30720, main_shared_bytes = 30720>, dtype = #attn.dtype<bfloat16>, head_dim = 40 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 0.15811388300841897 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 40 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}
// expected-error @+1 {{the backward's kernels take at most 49152 bytes of shared memory, got 50000}}
attn.kernel @k for @padded target <cuda> plan #attn.cuda_plan<path = backward_simt, grid = backward_tasks, threads = 256, warps = 8, block_q = 32, block_k = 32, stages = 1, q_in_registers = false, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 50000, main_shared_bytes = 50000> {

}

// -----

// Backward: the backward_simt path counts backward tasks, not q-blocks.
attn.attention @padded {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cpu_plan = #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false>, cuda_plan = #attn.cuda_plan<path = tensor_core, grid = q_blocks, threads = 128, warps = 4, block_q = 64, block_k = 64, stages = 2, q_in_registers = true, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 30720, main_shared_bytes = 30720>, dtype = #attn.dtype<bfloat16>, head_dim = 40 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 0.15811388300841897 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 40 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}
// expected-error @+1 {{expected grid backward_tasks on path backward_simt}}
attn.kernel @k for @padded target <cuda> plan #attn.cuda_plan<path = backward_simt, grid = q_blocks, threads = 256, warps = 8, block_q = 32, block_k = 32, stages = 1, q_in_registers = false, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 25600, main_shared_bytes = 25600> {

}
