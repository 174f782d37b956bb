// RUN: %attnc-opt %s --attn-convert-softmax-to-kernel | FileCheck %s --enable-var-scope
// The flash schedule written out per target (docs/passes.md,
// attn-convert-softmax-to-kernel): tile shapes from each target's plan.

// bf16 on tensor cores: head_dim 40 padded to 48 (whole k16 fragments), the
// accumulator in mma fragments, two K/V stages; the CPU's tiles are the
// unpadded ones, its accumulator staged, one stage.
// CHECK-LABEL: attn.attention @padded
// CHECK: attn.kernel @padded_cpu for @padded target <cpu> plan #attn.cpu_plan<block_q = 64, block_k = 64
// CHECK-NEXT: %[[Q:.*]] = attn.load_tile <q> : <[64, 40], bf16, shared>
// CHECK-NEXT: attn.init_accumulators : <[64, 40], f32, shared>, <[64], f32, fragment>, <[64], f32, fragment>
// CHECK: attn.k_block_loop walk <block_map> stages 1 iter_args(
// CHECK: attn.kernel @padded_cuda for @padded target <cuda> plan #attn.cuda_plan<path = tensor_core
// CHECK-NEXT: %[[Q:.*]] = attn.load_tile <q> : <[64, 48], bf16, shared>
// CHECK-NEXT: %[[ACC:.*]], %[[MAX:.*]], %[[SUM:.*]] = attn.init_accumulators : <[64, 48], f32, fragment>, <[64], f32, fragment>, <[64], f32, fragment>
// CHECK-NEXT: %[[LOOP:.*]]:3 = attn.k_block_loop walk <block_map> stages 2 iter_args(%[[ACC]], %[[MAX]], %[[SUM]] :
// CHECK-NEXT: ^bb0(%[[KB:.*]]: index, %[[FULL:.*]]: i1, %[[A:.*]]: !attn.tile<[64, 48], f32, fragment>, %[[M:.*]]: !attn.tile<[64], f32, fragment>, %[[L:.*]]: !attn.tile<[64], f32, fragment>):
// CHECK-NEXT: %[[K:.*]] = attn.load_tile <k>[%[[KB]]] : <[64, 48], bf16, shared>
// CHECK-NEXT: %[[V:.*]] = attn.load_tile <v>[%[[KB]]] : <[64, 48], bf16, shared>
// CHECK-NEXT: %[[S:.*]] = attn.tile_matmul %[[Q]], %[[K]] {transpose_rhs} : {{.*}} -> <[64, 64], f32, fragment>
// CHECK-NEXT: %[[S1:.*]] = attn.score_mask %[[S]] at %[[KB]] full %[[FULL]]
// CHECK-NEXT: %[[P:.*]], %[[A1:.*]], %[[M1:.*]], %[[L1:.*]] = attn.online_softmax %[[S1]], %[[A]], %[[M]], %[[L]]
// CHECK-NEXT: %[[O:.*]] = attn.tile_matmul %[[P]], %[[V]] acc %[[A1]]
// CHECK-NEXT: attn.kernel_yield %[[O]], %[[M1]], %[[L1]]
// CHECK: attn.store_rows %[[LOOP]]#0 : {{.*}} max %[[LOOP]]#1 : {{.*}} sum %[[LOOP]]#2 :

// normalize sum on the SIMT path: no online softmax, the row sums only, no
// row maximum stored (no lse).
// CHECK-LABEL: attn.attention @summed
// CHECK: attn.kernel @summed_cuda for @summed target <cuda> plan #attn.cuda_plan<path = simt
// CHECK: %[[S1:.*]] = attn.score_mask
// CHECK-NEXT: %[[L1:.*]] = attn.row_sum %[[S1]], %{{.*}} : <[64, 64], f32, fragment>, <[64], f32, fragment>
// CHECK-NEXT: attn.tile_matmul %[[S1]], %{{.*}} acc
// CHECK-NOT: attn.online_softmax
// CHECK: attn.store_rows %{{[0-9]+}}#0 : <[64, 32], f32, shared> sum %{{[0-9]+}}#2 :

// No CUDA plan fits: the CPU kernel only.
// CHECK-LABEL: attn.attention @big
// CHECK: attn.kernel @big_cpu for @big target <cpu>
// CHECK-NOT: attn.kernel @big_cuda
attn.attention @padded {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cpu_plan = #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false>, cuda_plan = #attn.cuda_plan<path = tensor_core, grid = q_blocks, threads = 128, warps = 4, block_q = 64, block_k = 64, stages = 2, q_in_registers = true, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 30720, main_shared_bytes = 30720>, dtype = #attn.dtype<bfloat16>, head_dim = 40 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 0.15811388300841897 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 40 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}
attn.attention @summed {block_map = [#attn.clause<lower = [], upper = [], exact = true>], cpu_plan = #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false>, cuda_plan = #attn.cuda_plan<path = simt, grid = q_blocks, threads = 64, warps = 2, block_q = 64, block_k = 64, stages = 1, q_in_registers = false, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 33280, main_shared_bytes = 33280>, dtype = #attn.dtype<float32>, head_dim = 32 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<sum>, params = [], scale = 0.17677669529663687 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 32 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %true = arith.constant true
  attn.yield %true : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  %0 = arith.mulf %s, %s : f32
  attn.yield %0 : f32
}
attn.attention @big {block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>], cpu_plan = #attn.cpu_plan<block_q = 128, block_k = 128, chunk = 0, memo_keys = false>, cuda_unsupported = "the schedule needs 327680 bytes of shared memory per block, more than the 166912 sm_80 allows; use smaller tiles (tile q=... k=...)", dtype = #attn.dtype<float16>, head_dim = 256 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 6.250000e-02 : f64, schedule = #attn.schedule<block_q = 128, block_k = 128, warps = 4, stages = 2, chunk = 0>, value_dim = 256 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// SLA: content-based selection walks the tiles a prologue selected; the
// hybrid's linear branch is folded per q-block and joins the store.
// CHECK-LABEL: attn.attention @sla
// CHECK: attn.kernel @sla_cuda for @sla target <cuda>
// CHECK: %[[LOOP:.*]]:3 = attn.k_block_loop walk <selected> stages 2
// CHECK: %[[H:.*]] = attn.hybrid_fold : <[64, 65], f32, shared>
// CHECK-NEXT: attn.store_rows %[[LOOP]]#0 : {{.*}} max %[[LOOP]]#1 : {{.*}} sum %[[LOOP]]#2 : {{.*}} hybrid %[[H]] :
attn.attention @sla {block_map = [#attn.clause<lower = [], upper = [], exact = true>], combine = #attn.combine<add>, complement_map = [#attn.clause<lower = [], upper = [], exact = true>], cpu_plan = #attn.cpu_plan<block_q = 64, block_k = 64, chunk = 0, memo_keys = false>, cuda_plan = #attn.cuda_plan<path = tensor_core, grid = q_blocks, threads = 128, warps = 4, block_q = 64, block_k = 64, stages = 2, q_in_registers = true, chunk = 0, value_tile = 0, value_tiles = 0, shared_bytes = 90368, main_shared_bytes = 40960>, dtype = #attn.dtype<bfloat16>, head_dim = 64 : i64, heads = 8 : i64, hybrid_feature = #attn.feature<elu1>, kv_heads = 8 : i64, normalize = #attn.normalize<softmax>, params = [#attn.param<"proj", f32, "h">], scale = 1.250000e-01 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, select = #attn.select<topk>, select_value = 4.000000e+00 : f64, value_dim = 64 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %true = arith.constant true
  attn.yield %true : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
} keep {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %false = arith.constant false
  attn.yield %false : i1
} hybrid_phi {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} complement {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %true = arith.constant true
  attn.yield %true : i1
} combine_weight {
^bb0(%b: i64, %h: i64, %q: i64, %Nq: i64, %Nk: i64):
  %0 = attn.param "proj"[%h] : f32
  attn.yield %0 : f32
}
