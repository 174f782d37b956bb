// RUN: %attnc-translate --attn-to-cuda %s --split-input-file -verify-diagnostics
// The CUDA printer translates kernel IR it knows and rejects the rest at
// the op it did not expect (codegen/KernelReader.cpp), never printing
// different code.

// An op the k-loop printer has no translation for.
attn.attention @t {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cpu_plan = #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false>, cuda_plan = #attn.cuda_plan<path = tensor_core, grid = q_blocks, threads = 128, warps = 4, block_q = 64, block_k = 64, stages = 2, q_in_registers = true, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 20480, main_shared_bytes = 20480>, dtype = #attn.dtype<bfloat16>, head_dim = 32 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 0.17677669529663687 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 32 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}
attn.kernel @t_cpu for @t target <cpu> plan #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false> {
  %0 = attn.load_tile <q> : <[64, 32], bf16, shared>
  %acc, %row_max, %row_sum = attn.init_accumulators : <[64, 32], f32, shared>, <[64], f32, fragment>, <[64], f32, fragment>
  %1:3 = attn.k_block_loop walk <block_map> stages 1 iter_args(%acc, %row_max, %row_sum : !attn.tile<[64, 32], f32, shared>, !attn.tile<[64], f32, fragment>, !attn.tile<[64], f32, fragment>) -> (!attn.tile<[64, 32], f32, shared>, !attn.tile<[64], f32, fragment>, !attn.tile<[64], f32, fragment>) {
  ^bb0(%kb: index, %full: i1, %acc_0: !attn.tile<[64, 32], f32, shared>, %row_max_1: !attn.tile<[64], f32, fragment>, %row_sum_2: !attn.tile<[64], f32, fragment>):
    %2 = attn.load_tile <k>[%kb] : <[64, 32], bf16, shared>
    %3 = attn.load_tile <v>[%kb] : <[64, 32], bf16, shared>
    %4 = attn.tile_matmul %0, %2 {transpose_rhs} : <[64, 32], bf16, shared>, <[64, 32], bf16, shared> -> <[64, 64], f32, fragment>
    %5 = attn.score_mask %4 at %kb full %full : <[64, 64], f32, fragment> -> <[64, 64], f32, fragment>
    %probs, %new_acc, %new_row_max, %new_row_sum = attn.online_softmax %5, %acc_0, %row_max_1, %row_sum_2 : <[64, 64], f32, fragment>, <[64, 32], f32, shared>, <[64], f32, fragment>, <[64], f32, fragment>
    %6 = attn.tile_matmul %probs, %3 acc %new_acc : <[64, 64], f32, fragment>, <[64, 32], bf16, shared>, !attn.tile<[64, 32], f32, shared> -> <[64, 32], f32, shared>
    attn.kernel_yield %6, %new_row_max, %new_row_sum : !attn.tile<[64, 32], f32, shared>, !attn.tile<[64], f32, fragment>, !attn.tile<[64], f32, fragment>
  }
  attn.store_rows %1#0 : <[64, 32], f32, shared> max %1#1 : !attn.tile<[64], f32, fragment> sum %1#2 : !attn.tile<[64], f32, fragment>
}
attn.kernel @t_cuda for @t target <cuda> plan #attn.cuda_plan<path = tensor_core, grid = q_blocks, threads = 128, warps = 4, block_q = 64, block_k = 64, stages = 2, q_in_registers = true, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 20480, main_shared_bytes = 20480> {
  %0 = attn.load_tile <q> : <[64, 32], bf16, shared>
  %acc, %row_max, %row_sum = attn.init_accumulators : <[64, 32], f32, fragment>, <[64], f32, fragment>, <[64], f32, fragment>
  %1:3 = attn.k_block_loop walk <block_map> stages 2 iter_args(%acc, %row_max, %row_sum : !attn.tile<[64, 32], f32, fragment>, !attn.tile<[64], f32, fragment>, !attn.tile<[64], f32, fragment>) -> (!attn.tile<[64, 32], f32, fragment>, !attn.tile<[64], f32, fragment>, !attn.tile<[64], f32, fragment>) {
  ^bb0(%kb: index, %full: i1, %acc_0: !attn.tile<[64, 32], f32, fragment>, %row_max_1: !attn.tile<[64], f32, fragment>, %row_sum_2: !attn.tile<[64], f32, fragment>):
    %2 = attn.load_tile <k>[%kb] : <[64, 32], bf16, shared>
    %3 = attn.load_tile <v>[%kb] : <[64, 32], bf16, shared>
    %4 = attn.tile_matmul %0, %2 {transpose_rhs} : <[64, 32], bf16, shared>, <[64, 32], bf16, shared> -> <[64, 64], f32, fragment>
    %5 = attn.score_mask %4 at %kb full %full : <[64, 64], f32, fragment> -> <[64, 64], f32, fragment>
    %probs, %new_acc, %new_row_max, %new_row_sum = attn.online_softmax %5, %acc_0, %row_max_1, %row_sum_2 : <[64, 64], f32, fragment>, <[64, 32], f32, fragment>, <[64], f32, fragment>, <[64], f32, fragment>
    // expected-error @+1 {{the softmax k-loop printer has no translation for 'attn.row_sum' here; expected 'attn.tile_matmul'}}
    %extra = attn.row_sum %5, %row_sum_2 : <[64, 64], f32, fragment>, <[64], f32, fragment>
    %6 = attn.tile_matmul %probs, %3 acc %new_acc : <[64, 64], f32, fragment>, <[64, 32], bf16, shared>, !attn.tile<[64, 32], f32, fragment> -> <[64, 32], f32, fragment>
    attn.kernel_yield %6, %new_row_max, %new_row_sum : !attn.tile<[64, 32], f32, fragment>, !attn.tile<[64], f32, fragment>, !attn.tile<[64], f32, fragment>
  }
  attn.store_rows %1#0 : <[64, 32], f32, fragment> max %1#1 : !attn.tile<[64], f32, fragment> sum %1#2 : !attn.tile<[64], f32, fragment>
}

// -----

// A kernel whose normalizer is not its op's (row_sum under softmax).
attn.attention @t {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cpu_plan = #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false>, cuda_plan = #attn.cuda_plan<path = tensor_core, grid = q_blocks, threads = 128, warps = 4, block_q = 64, block_k = 64, stages = 2, q_in_registers = true, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 20480, main_shared_bytes = 20480>, dtype = #attn.dtype<bfloat16>, head_dim = 32 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 0.17677669529663687 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 32 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}
// expected-error @+1 {{the kernel's normalizer, hybrid fold or tile walk does not match 't'}}
attn.kernel @t_cuda for @t target <cuda> plan #attn.cuda_plan<path = tensor_core, grid = q_blocks, threads = 128, warps = 4, block_q = 64, block_k = 64, stages = 2, q_in_registers = true, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 20480, main_shared_bytes = 20480> {
  %0 = attn.load_tile <q> : <[64, 32], bf16, shared>
  %acc, %row_max, %row_sum = attn.init_accumulators : <[64, 32], f32, fragment>, <[64], f32, fragment>, <[64], f32, fragment>
  %1:3 = attn.k_block_loop walk <block_map> stages 2 iter_args(%acc, %row_max, %row_sum : !attn.tile<[64, 32], f32, fragment>, !attn.tile<[64], f32, fragment>, !attn.tile<[64], f32, fragment>) -> (!attn.tile<[64, 32], f32, fragment>, !attn.tile<[64], f32, fragment>, !attn.tile<[64], f32, fragment>) {
  ^bb0(%kb: index, %full: i1, %acc_0: !attn.tile<[64, 32], f32, fragment>, %row_max_1: !attn.tile<[64], f32, fragment>, %row_sum_2: !attn.tile<[64], f32, fragment>):
    %2 = attn.load_tile <k>[%kb] : <[64, 32], bf16, shared>
    %3 = attn.load_tile <v>[%kb] : <[64, 32], bf16, shared>
    %4 = attn.tile_matmul %0, %2 {transpose_rhs} : <[64, 32], bf16, shared>, <[64, 32], bf16, shared> -> <[64, 64], f32, fragment>
    %5 = attn.score_mask %4 at %kb full %full : <[64, 64], f32, fragment> -> <[64, 64], f32, fragment>
    %new_row_sum = attn.row_sum %5, %row_sum_2 : <[64, 64], f32, fragment>, <[64], f32, fragment>
    %6 = attn.tile_matmul %5, %3 acc %acc_0 : <[64, 64], f32, fragment>, <[64, 32], bf16, shared>, !attn.tile<[64, 32], f32, fragment> -> <[64, 32], f32, fragment>
    attn.kernel_yield %6, %row_max_1, %new_row_sum : !attn.tile<[64, 32], f32, fragment>, !attn.tile<[64], f32, fragment>, !attn.tile<[64], f32, fragment>
  }
  attn.store_rows %1#0 : <[64, 32], f32, fragment> max %1#1 : !attn.tile<[64], f32, fragment> sum %1#2 : !attn.tile<[64], f32, fragment>
}

// -----

// No CUDA kernel to translate.
// expected-error @+1 {{the cuda emitter needs the op's attn.kernel (run the attnc pipeline to the kernel level)}}
attn.attention @t {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cpu_plan = #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false>, cuda_plan = #attn.cuda_plan<path = tensor_core, grid = q_blocks, threads = 128, warps = 4, block_q = 64, block_k = 64, stages = 2, q_in_registers = true, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 20480, main_shared_bytes = 20480>, dtype = #attn.dtype<bfloat16>, head_dim = 32 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 0.17677669529663687 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 32 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}
attn.kernel @t_cpu for @t target <cpu> plan #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false> {
  %0 = attn.load_tile <q> : <[64, 32], bf16, shared>
  %acc, %row_max, %row_sum = attn.init_accumulators : <[64, 32], f32, shared>, <[64], f32, fragment>, <[64], f32, fragment>
  %1:3 = attn.k_block_loop walk <block_map> stages 1 iter_args(%acc, %row_max, %row_sum : !attn.tile<[64, 32], f32, shared>, !attn.tile<[64], f32, fragment>, !attn.tile<[64], f32, fragment>) -> (!attn.tile<[64, 32], f32, shared>, !attn.tile<[64], f32, fragment>, !attn.tile<[64], f32, fragment>) {
  ^bb0(%kb: index, %full: i1, %acc_0: !attn.tile<[64, 32], f32, shared>, %row_max_1: !attn.tile<[64], f32, fragment>, %row_sum_2: !attn.tile<[64], f32, fragment>):
    %2 = attn.load_tile <k>[%kb] : <[64, 32], bf16, shared>
    %3 = attn.load_tile <v>[%kb] : <[64, 32], bf16, shared>
    %4 = attn.tile_matmul %0, %2 {transpose_rhs} : <[64, 32], bf16, shared>, <[64, 32], bf16, shared> -> <[64, 64], f32, fragment>
    %5 = attn.score_mask %4 at %kb full %full : <[64, 64], f32, fragment> -> <[64, 64], f32, fragment>
    %probs, %new_acc, %new_row_max, %new_row_sum = attn.online_softmax %5, %acc_0, %row_max_1, %row_sum_2 : <[64, 64], f32, fragment>, <[64, 32], f32, shared>, <[64], f32, fragment>, <[64], f32, fragment>
    %6 = attn.tile_matmul %probs, %3 acc %new_acc : <[64, 64], f32, fragment>, <[64, 32], bf16, shared>, !attn.tile<[64, 32], f32, shared> -> <[64, 32], f32, shared>
    attn.kernel_yield %6, %new_row_max, %new_row_sum : !attn.tile<[64, 32], f32, shared>, !attn.tile<[64], f32, fragment>, !attn.tile<[64], f32, fragment>
  }
  attn.store_rows %1#0 : <[64, 32], f32, shared> max %1#1 : !attn.tile<[64], f32, fragment> sum %1#2 : !attn.tile<[64], f32, fragment>
}
