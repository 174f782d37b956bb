// RUN: %attnc-opt %s --attn-convert-linear-to-kernel | FileCheck %s --enable-var-scope
// The chunked schedule written out per target (docs/passes.md,
// attn-convert-linear-to-kernel): one attn.form per form of each target's
// plan, the chunk structure of the chunk plan.

// Gated DeltaNet: scalar log-gates per token, beta, the WY form feeding the
// intra-chunk weights, the output and the state update; the CPU also has
// the chunk-parallel form (local states, a scan, outputs), CUDA only the
// sequential one and the decode step, with its value tile of 32.
// CHECK-LABEL: attn.linear_attention @gdn
// CHECK: attn.kernel @gdn_cpu for @gdn target <cpu>
// CHECK-NEXT: attn.form <sequential> {
// CHECK-NEXT: %[[S0:.*]] = attn.load_state : !attn.tile<[32, 32], f32, shared>
// CHECK-NEXT: %[[LOOP:.*]] = attn.chunk_loop chunk 64 iter_args(%[[S0]] :
// CHECK-NEXT: ^bb0(%[[C:.*]]: index, %[[S:.*]]: !attn.tile<[32, 32], f32, shared>):
// CHECK-NEXT: %[[XK:.*]] = attn.load_tile <k>[%[[C]]] : <[64, 32], f32, shared>
// CHECK-NEXT: %[[V:.*]] = attn.load_tile <v>[%[[C]]] : <[64, 32], f32, shared>
// CHECK-NEXT: %[[FK:.*]] = attn.feature_map <l2norm> %[[XK]]
// CHECK-NEXT: %[[G:.*]] = attn.chunk_gates %[[C]] : <[65], f64, shared>
// CHECK-NEXT: %[[B:.*]] = attn.load_beta %[[C]] : <[64], f32, shared>
// CHECK-NEXT: %[[W:.*]], %[[U:.*]] = attn.wy_transform %[[FK]], %[[V]], %[[B]] gates %[[G]]
// CHECK-NEXT: %[[XQ:.*]] = attn.load_tile <q>[%[[C]]]
// CHECK-NEXT: %[[FQ:.*]] = attn.feature_map <l2norm> %[[XQ]]
// CHECK-NEXT: %[[P:.*]] = attn.intra_chunk <decay_masked> %[[FQ]], %[[FK]] gates %[[G]] {{.*}} -> <[64, 64], f32, shared>
// CHECK-NEXT: %[[O:.*]] = attn.chunk_output %[[FQ]], state(%[[S]] : {{.*}}) intra(%[[P]], %[[U]] :
// CHECK-NEXT: attn.store_rows %[[O]][%[[C]]] :
// CHECK-NEXT: %[[S1:.*]] = attn.state_update <gated_delta_wy>(%[[S]] : {{.*}}) with(%[[FK]], %[[W]], %[[U]], %[[G]] :
// CHECK-NEXT: attn.kernel_yield %[[S1]]
// CHECK: attn.store_state %[[LOOP]]
// CHECK: attn.form <chunk_parallel> {
// CHECK-NEXT: attn.chunk_loop chunk 64 parallel {
// CHECK: attn.load_state zero
// CHECK: attn.store_chunk_state
// CHECK: attn.state_scan <gated_delta_wy>
// CHECK-NEXT: attn.chunk_loop chunk 64 parallel
// CHECK: attn.load_chunk_state
// CHECK: attn.form <recurrent_step> {
// CHECK-NEXT: %[[IN:.*]] = attn.load_state
// CHECK-NEXT: %[[OUT:.*]] = attn.recurrent_step <gated_delta_wy> %[[IN]]
// CHECK-NEXT: attn.store_state %[[OUT]]
// CHECK: attn.kernel @gdn_cuda for @gdn target <cuda>
// CHECK-NOT: chunk_parallel
// CHECK: attn.form <recurrent_step>

// GLA: a per-channel gate ([chunk + 1, F] log-gates); value_dim 96 is one
// CPU task but CUDA tiles of 64.
// CHECK-LABEL: attn.linear_attention @gla
// CHECK: attn.kernel @gla_cpu
// CHECK: attn.load_state : !attn.tile<[16, 96], f32, shared>
// CHECK: attn.chunk_gates %{{.*}} : <[33, 16], f64, shared>
// CHECK: attn.intra_chunk <channel_decay_masked>
// CHECK: attn.state_update <vector_decay>
// CHECK: attn.kernel @gla_cuda
// CHECK: attn.load_state : !attn.tile<[16, 64], f32, shared>

// Bidirectional with normalize sum: S and z over every key first, then
// every chunk reads them; no intra-chunk weights, no decode step.
// CHECK-LABEL: attn.linear_attention @bidir
// CHECK: attn.kernel @bidir_cpu
// CHECK-NEXT: attn.form <sequential> {
// CHECK-NEXT: %[[Z:.*]]:2 = attn.load_state zero : !attn.tile<[16, 16], f32, shared>, !attn.tile<[16], f32, shared>
// CHECK-NEXT: %[[TOTAL:.*]]:2 = attn.chunk_loop chunk 64 iter_args(%[[Z]]#0, %[[Z]]#1
// CHECK: attn.state_update <state_add>
// CHECK: attn.chunk_loop chunk 64 parallel
// CHECK: attn.chunk_output %{{.*}}, state(%[[TOTAL]]#0, %[[TOTAL]]#1 : {{[^)]*}}) :
// CHECK-NOT: attn.intra_chunk
// CHECK-NOT: recurrent_step
attn.linear_attention @gdn {beta_param = "beta", bidirectional = false, chunk_plan = #attn.chunk_plan<chunk = 64, intra = decay_masked, inter = gated_delta_wy, sub_chunk = 0, forms = [sequential, chunk_parallel, recurrent_step]>, cpu_plan = #attn.cpu_plan<block_q = 0, block_k = 0, chunk = 64, forms = [sequential, chunk_parallel, recurrent_step], memo_keys = true>, cuda_plan = #attn.cuda_plan<path = chunked_simt, grid = value_tiles, threads = 256, warps = 8, block_q = 0, block_k = 0, stages = 0, q_in_registers = false, chunk = 64, value_tile = 32, value_tiles = 1, forms = [sequential, recurrent_step], shared_bytes = 72224, main_shared_bytes = 72224>, dtype = #attn.dtype<bfloat16>, feature = #attn.feature<l2norm>, head_dim = 32 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<none>, params = [#attn.param<"g", f32, "bhn">, #attn.param<"beta", f32, "bhn">], scale = 1.000000e+00 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 4, stages = 2, chunk = 64>, update = #attn.update<delta>, value_dim = 32 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %0 = attn.param "g"[%b, %h, %n] : f32
  %1 = math.exp %0 : f32
  attn.yield %1 : f32
}
attn.linear_attention @gla {bidirectional = false, chunk_plan = #attn.chunk_plan<chunk = 32, intra = channel_decay_masked, inter = vector_decay, sub_chunk = 16, forms = [sequential, chunk_parallel, recurrent_step]>, cpu_plan = #attn.cpu_plan<block_q = 0, block_k = 0, chunk = 32, forms = [sequential, chunk_parallel, recurrent_step], memo_keys = false>, cuda_plan = #attn.cuda_plan<path = chunked_simt, grid = value_tiles, threads = 256, warps = 8, block_q = 0, block_k = 0, stages = 0, q_in_registers = false, chunk = 32, value_tile = 64, value_tiles = 2, forms = [sequential, recurrent_step], shared_bytes = 29120, main_shared_bytes = 29120>, dtype = #attn.dtype<float32>, feature = #attn.feature<identity>, head_dim = 16 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<none>, params = [#attn.param<"gk", f32, "bhnd">], scale = 1.000000e+00 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 4, stages = 2, chunk = 32>, update = #attn.update<add>, value_dim = 96 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %0 = attn.param "gk"[%b, %h, %n, %d] : f32
  %1 = arith.negf %0 : f32
  %2 = math.exp %1 : f32
  %cst = arith.constant 1.000000e+00 : f32
  %3 = arith.addf %cst, %2 : f32
  %cst_0 = arith.constant 1.000000e+00 : f32
  %4 = arith.divf %cst_0, %3 : f32
  attn.yield %4 : f32
}
attn.linear_attention @bidir {bidirectional = true, chunk_plan = #attn.chunk_plan<chunk = 64, intra = none, inter = state_add, sub_chunk = 0, forms = [sequential]>, cpu_plan = #attn.cpu_plan<block_q = 0, block_k = 0, chunk = 64, forms = [sequential], memo_keys = false>, cuda_plan = #attn.cuda_plan<path = chunked_simt, grid = value_tiles, threads = 256, warps = 8, block_q = 0, block_k = 0, stages = 0, q_in_registers = false, chunk = 64, value_tile = 16, value_tiles = 1, forms = [sequential], shared_bytes = 34624, main_shared_bytes = 34624>, dtype = #attn.dtype<float32>, feature = #attn.feature<elu1>, head_dim = 16 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<sum>, params = [], scale = 1.000000e+00 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 4, stages = 2, chunk = 64>, update = #attn.update<add>, value_dim = 16 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %cst = arith.constant 1.000000e+00 : f32
  attn.yield %cst : f32
}
