// RUN: %attnc-opt %s | %attnc-opt | FileCheck %s
// Print-parse identity: printing the parsed form again changes nothing.
// RUN: %attnc-opt %s > %t1 && %attnc-opt %t1 > %t2 && diff %t1 %t2
// The generic form round-trips too.
// RUN: %attnc-opt %s --mlir-print-op-generic | %attnc-opt | FileCheck %s

// CHECK-LABEL: attn.attention @full
// CHECK-SAME: dtype = #attn.dtype<float32>
// CHECK-SAME: normalize = #attn.normalize<softmax>
// CHECK-SAME: params = []
// CHECK-SAME: scale = 1.250000e-01 : f64
// CHECK-SAME: mask {
// CHECK-NEXT: ^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
// CHECK-NEXT: %[[T:.*]] = arith.constant true
// CHECK-NEXT: attn.yield %[[T]] : i1
// CHECK-NEXT: } score {
// CHECK-NEXT: ^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
// CHECK-NEXT: attn.yield %s : f32
attn.attention @full {dtype = #attn.dtype<float32>, head_dim = 64 : i64,
    heads = 8 : i64, kv_heads = 8 : i64, normalize = #attn.normalize<softmax>,
    params = [], scale = 0.125 : f64, value_dim = 64 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %true = arith.constant true
  attn.yield %true : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// Parameters of both element types, parameter reads, and a schedule.
// CHECK-LABEL: attn.attention @document_alibi
// CHECK-SAME: dtype = #attn.dtype<bfloat16>
// CHECK-SAME: kv_heads = 2 : i64
// CHECK-SAME: normalize = #attn.normalize<none>
// CHECK-SAME: params = [#attn.param<"doc", i32, "bn">, #attn.param<"slope", f32, "h">]
// CHECK-SAME: schedule = #attn.schedule<block_q = 128, block_k = 64, warps = 4, stages = 2, chunk = 0>
// CHECK-SAME: value_dim = 32 : i64
// CHECK: %[[DQ:.*]] = attn.param "doc"[%b, %q] : i32
// CHECK: %[[DK:.*]] = attn.param "doc"[%b, %k] : i32
// CHECK: %[[EQ:.*]] = arith.cmpi eq, %[[DQ]], %[[DK]] : i32
// CHECK: attn.yield %[[EQ]] : i1
// CHECK: } score {
// CHECK: %[[SLOPE:.*]] = attn.param "slope"[%h] : f32
// CHECK: %[[R:.*]] = arith.subf %s, %[[SLOPE]] : f32
// CHECK: attn.yield %[[R]] : f32
attn.attention @document_alibi {dtype = #attn.dtype<bfloat16>,
    head_dim = 16 : i64, heads = 8 : i64, kv_heads = 2 : i64,
    normalize = #attn.normalize<none>,
    params = [#attn.param<"doc", i32, "bn">, #attn.param<"slope", f32, "h">],
    scale = 2.500000e-01 : f64,
    schedule = #attn.schedule<block_q = 128, block_k = 64, warps = 4, stages = 2, chunk = 0>,
    value_dim = 32 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = attn.param "doc"[%b, %q] : i32
  %1 = attn.param "doc"[%b, %k] : i32
  %2 = arith.cmpi eq, %0, %1 : i32
  attn.yield %2 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  %0 = attn.param "slope"[%h] : f32
  %1 = arith.subf %s, %0 : f32
  attn.yield %1 : f32
}

// Content-based block selection: the rule and its value, and a keep region
// (sinks) that reads a parameter.
// CHECK-LABEL: attn.attention @seer
// CHECK-SAME: select = #attn.select<topk>
// CHECK-SAME: select_value = 1.600000e+01 : f64
// CHECK: } score {
// CHECK: } keep {
// CHECK-NEXT: ^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
// CHECK: %[[SINK:.*]] = attn.param "sinks"[%h] : i32
// CHECK: attn.yield %{{.*}} : i1
attn.attention @seer {dtype = #attn.dtype<float32>, head_dim = 64 : i64,
    heads = 4 : i64, kv_heads = 4 : i64, normalize = #attn.normalize<softmax>,
    params = [#attn.param<"sinks", i32, "h">], scale = 0.125 : f64,
    select = #attn.select<topk>, select_value = 16.0 : f64,
    value_dim = 64 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
} keep {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = attn.param "sinks"[%h] : i32
  %1 = arith.extsi %0 : i32 to i64
  %2 = arith.cmpi slt, %k, %1 : i64
  attn.yield %2 : i1
}

// The linear family with a delta rule, a per-channel decay and a chunk.
// CHECK-LABEL: attn.linear_attention @gated_delta
// CHECK-SAME: beta_param = "beta"
// CHECK-SAME: bidirectional = false
// CHECK-SAME: feature = #attn.feature<l2norm>
// CHECK-SAME: normalize = #attn.normalize<none>
// CHECK-SAME: params = [#attn.param<"beta", f32, "bhn">, #attn.param<"gate", f32, "hd">]
// CHECK-SAME: schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 0, stages = 0, chunk = 64>
// CHECK-SAME: update = #attn.update<delta>
// CHECK-SAME: feature {
// CHECK-NEXT: ^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
// CHECK-NEXT: attn.yield %x : f32
// CHECK-NEXT: } decay {
// CHECK-NEXT: ^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
// CHECK-NEXT: %[[G:.*]] = attn.param "gate"[%h, %d] : f32
// CHECK-NEXT: attn.yield %[[G]] : f32
attn.linear_attention @gated_delta {beta_param = "beta", bidirectional = false,
    dtype = #attn.dtype<float16>, feature = #attn.feature<l2norm>,
    head_dim = 64 : i64, heads = 4 : i64, kv_heads = 4 : i64,
    normalize = #attn.normalize<none>,
    params = [#attn.param<"beta", f32, "bhn">, #attn.param<"gate", f32, "hd">],
    scale = 1.000000e+00 : f64,
    schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 0, stages = 0, chunk = 64>,
    update = #attn.update<delta>, value_dim = 64 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %0 = attn.param "gate"[%h, %d] : f32
  attn.yield %0 : f32
}

// A forced chunk form and the chunk plan of attn-plan-chunks.
// CHECK-LABEL: attn.linear_attention @planned
// CHECK-SAME: chunk_form = #attn.chunk_form<chunk_parallel>
// CHECK-SAME: chunk_plan = #attn.chunk_plan<chunk = 32, intra = channel_decay_masked, inter = vector_decay, sub_chunk = 16, forms = [chunk_parallel, recurrent_step]>
attn.linear_attention @planned {bidirectional = false,
    chunk_form = #attn.chunk_form<chunk_parallel>,
    chunk_plan = #attn.chunk_plan<chunk = 32, intra = channel_decay_masked,
                                  inter = vector_decay, sub_chunk = 16,
                                  forms = [chunk_parallel, recurrent_step]>,
    dtype = #attn.dtype<float32>, feature = #attn.feature<identity>,
    head_dim = 16 : i64, heads = 2 : i64, kv_heads = 2 : i64,
    normalize = #attn.normalize<none>,
    params = [#attn.param<"gate", f32, "hd">], scale = 1.000000e+00 : f64,
    schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 4, stages = 2, chunk = 32>,
    update = #attn.update<add>, value_dim = 16 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %0 = attn.param "gate"[%h, %d] : f32
  attn.yield %0 : f32
}

// Hedgehog's weight parameter, bidirectional, normalize sum.
// CHECK-LABEL: attn.linear_attention @hedgehog
// CHECK-SAME: bidirectional = true
// CHECK-SAME: feature = #attn.feature<hedgehog>
// CHECK-SAME: feature_param = "w"
// CHECK-SAME: normalize = #attn.normalize<sum>
// CHECK-SAME: params = [#attn.param<"w", f32, "hdd">]
// CHECK-SAME: update = #attn.update<add>
attn.linear_attention @hedgehog {bidirectional = true,
    dtype = #attn.dtype<float32>, feature = #attn.feature<hedgehog>,
    feature_param = "w", head_dim = 8 : i64, heads = 2 : i64, kv_heads = 1 : i64,
    normalize = #attn.normalize<sum>, params = [#attn.param<"w", f32, "hdd">],
    scale = 1.000000e+00 : f64, update = #attn.update<add>,
    value_dim = 8 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}

// Every feature map and normalizer spelling parses.
// CHECK-LABEL: attn.linear_attention @taylor
// CHECK-SAME: feature = #attn.feature<taylor2>
attn.linear_attention @taylor {bidirectional = false,
    dtype = #attn.dtype<float32>, feature = #attn.feature<taylor2>,
    head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64,
    normalize = #attn.normalize<sum>, params = [], scale = 1.0 : f64,
    update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}

// The attributes stand alone as well.
// CHECK-LABEL: func.func private @attrs()
// CHECK-SAME: attn.dtypes = [#attn.dtype<float32>, #attn.dtype<float16>, #attn.dtype<bfloat16>]
// CHECK-SAME: attn.features = [#attn.feature<expression>, #attn.feature<identity>, #attn.feature<relu>, #attn.feature<elu1>, #attn.feature<exp>, #attn.feature<l2norm>, #attn.feature<taylor2>, #attn.feature<hedgehog>]
// CHECK-SAME: attn.normalizes = [#attn.normalize<softmax>, #attn.normalize<sum>, #attn.normalize<none>]
// CHECK-SAME: attn.schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 0, stages = 0, chunk = 0>
// CHECK-SAME: attn.updates = [#attn.update<add>, #attn.update<delta>]
// CHECK-SAME: attn.weights = #attn.param<"w", f32, "hddd">
func.func private @attrs() attributes {
  attn.dtypes = [#attn.dtype<float32>, #attn.dtype<float16>, #attn.dtype<bfloat16>],
  attn.features = [#attn.feature<expression>, #attn.feature<identity>,
                   #attn.feature<relu>, #attn.feature<elu1>, #attn.feature<exp>,
                   #attn.feature<l2norm>, #attn.feature<taylor2>,
                   #attn.feature<hedgehog>],
  attn.normalizes = [#attn.normalize<softmax>, #attn.normalize<sum>,
                     #attn.normalize<none>],
  attn.schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 0, stages = 0, chunk = 0>,
  attn.updates = [#attn.update<add>, #attn.update<delta>],
  attn.weights = #attn.param<"w", f32, "hddd">}
