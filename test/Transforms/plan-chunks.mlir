// RUN: %attnc-opt %s --attn-choose-schedule --attn-plan-chunks --split-input-file | FileCheck %s
// The chunk plan per recurrence kind (docs/passes.md, attn-plan-chunks).

// No gate, update add, causal: the masked product and a plain sum of chunk
// states; every form.
// CHECK-LABEL: attn.linear_attention @plain
// CHECK-SAME: chunk_plan = #attn.chunk_plan<chunk = 64, intra = masked, inter = state_add, sub_chunk = 0, forms = [sequential, chunk_parallel, recurrent_step]>
attn.linear_attention @plain {bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<identity>, head_dim = 4 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.000000e+00 : f64, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %cst = arith.constant 1.000000e+00 : f32
  attn.yield %cst : f32
}

// -----

// A scalar gate per token (Lightning Attention): log-space decay masks.
// CHECK-LABEL: attn.linear_attention @slope
// CHECK-SAME: chunk_plan = #attn.chunk_plan<chunk = 64, intra = decay_masked, inter = scalar_decay, sub_chunk = 0, forms = [sequential, chunk_parallel, recurrent_step]>
attn.linear_attention @slope {bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<identity>, head_dim = 4 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<none>, params = [#attn.param<"slope", f32, "h">], scale = 1.000000e+00 : f64, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %0 = attn.param "slope"[%h] : f32
  %1 = arith.negf %0 : f32
  %2 = math.exp %1 : f32
  attn.yield %2 : f32
}

// -----

// A per-channel gate (GLA): 16-row sub-chunks inside the 32-row chunk.
// CHECK-LABEL: attn.linear_attention @gla
// CHECK-SAME: chunk_plan = #attn.chunk_plan<chunk = 32, intra = channel_decay_masked, inter = vector_decay, sub_chunk = 16, forms = [sequential, chunk_parallel, recurrent_step]>
attn.linear_attention @gla {bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<identity>, head_dim = 4 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<none>, params = [#attn.param<"a", f32, "bhnd">], scale = 1.000000e+00 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 0, stages = 0, chunk = 32>, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %0 = attn.param "a"[%b, %h, %n, %d] : f32
  attn.yield %0 : f32
}

// -----

// The delta rule (DeltaNet) goes through the WY/UT form; its chunk carry is
// an F x F matrix, so chunk-parallel works too.
// CHECK-LABEL: attn.linear_attention @delta
// CHECK-SAME: chunk_plan = #attn.chunk_plan<chunk = 64, intra = masked, inter = delta_wy, sub_chunk = 0, forms = [sequential, chunk_parallel, recurrent_step]>
attn.linear_attention @delta {beta_param = "beta", bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<l2norm>, head_dim = 4 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<none>, params = [#attn.param<"beta", f32, "bhn">], scale = 1.000000e+00 : f64, update = #attn.update<delta>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %cst = arith.constant 1.000000e+00 : f32
  attn.yield %cst : f32
}

// -----

// Gated DeltaNet: the delta rule with a scalar gate, chunk 16.
// CHECK-LABEL: attn.linear_attention @gated_delta
// CHECK-SAME: chunk_plan = #attn.chunk_plan<chunk = 16, intra = decay_masked, inter = gated_delta_wy, sub_chunk = 0, forms = [sequential, chunk_parallel, recurrent_step]>
attn.linear_attention @gated_delta {beta_param = "beta", bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<l2norm>, head_dim = 4 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<none>, params = [#attn.param<"beta", f32, "bhn">, #attn.param<"g", f32, "bhn">], scale = 1.000000e+00 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 0, stages = 0, chunk = 16>, update = #attn.update<delta>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %0 = attn.param "g"[%b, %h, %n] : f32
  attn.yield %0 : f32
}

// -----

// The delta rule with a per-channel gate: pairwise per-channel ratios.
// CHECK-LABEL: attn.linear_attention @vgated_delta
// CHECK-SAME: chunk_plan = #attn.chunk_plan<chunk = 64, intra = channel_pair_masked, inter = vector_gated_delta_wy, sub_chunk = 0, forms = [sequential, chunk_parallel, recurrent_step]>
attn.linear_attention @vgated_delta {beta_param = "beta", bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<l2norm>, head_dim = 4 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<none>, params = [#attn.param<"beta", f32, "bhn">, #attn.param<"a", f32, "bhnd">], scale = 1.000000e+00 : f64, update = #attn.update<delta>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %0 = attn.param "a"[%b, %h, %n, %d] : f32
  attn.yield %0 : f32
}

// -----

// Bidirectional: no intra-chunk product and no recurrent state to step.
// CHECK-LABEL: attn.linear_attention @bidir
// CHECK-SAME: chunk_plan = #attn.chunk_plan<chunk = 64, intra = none, inter = state_add, sub_chunk = 0, forms = [sequential]>
attn.linear_attention @bidir {bidirectional = true, dtype = #attn.dtype<float32>, feature = #attn.feature<elu1>, head_dim = 4 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<sum>, params = [], scale = 1.000000e+00 : f64, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %cst = arith.constant 1.000000e+00 : f32
  attn.yield %cst : f32
}

// -----

// `chunk 128 parallel` keeps only the chunk-parallel chunked form.
// CHECK-LABEL: attn.linear_attention @forced_parallel
// CHECK-SAME: chunk_plan = #attn.chunk_plan<chunk = 128, intra = decay_masked, inter = scalar_decay, sub_chunk = 0, forms = [chunk_parallel, recurrent_step]>
attn.linear_attention @forced_parallel {bidirectional = false, chunk_form = #attn.chunk_form<chunk_parallel>, dtype = #attn.dtype<float32>, feature = #attn.feature<identity>, head_dim = 4 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<none>, params = [#attn.param<"slope", f32, "h">], scale = 1.000000e+00 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 0, stages = 0, chunk = 128>, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %0 = attn.param "slope"[%h] : f32
  %1 = arith.negf %0 : f32
  %2 = math.exp %1 : f32
  attn.yield %2 : f32
}

// -----

// `chunk 64 sequential` keeps only the sequential chunked form.
// CHECK-LABEL: attn.linear_attention @forced_sequential
// CHECK-SAME: chunk_plan = #attn.chunk_plan<chunk = 64, intra = masked, inter = state_add, sub_chunk = 0, forms = [sequential, recurrent_step]>
attn.linear_attention @forced_sequential {bidirectional = false, chunk_form = #attn.chunk_form<sequential>, dtype = #attn.dtype<float32>, feature = #attn.feature<elu1>, head_dim = 4 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<sum>, params = [], scale = 1.000000e+00 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 0, stages = 0, chunk = 64>, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %cst = arith.constant 1.000000e+00 : f32
  attn.yield %cst : f32
}
