// RUN: %attnc-opt %s --attn-choose-schedule --split-input-file | FileCheck %s

// Defaults: 4 warps of 16 rows, block_k 64 for head_dim <= 128, 2 stages.
// CHECK-LABEL: attn.attention @defaults
// CHECK-SAME: schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>
attn.attention @defaults {dtype = #attn.dtype<bfloat16>, head_dim = 128 : i64, heads = 8 : i64, kv_heads = 8 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 8.8e-02 : f64, value_dim = 128 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

// head_dim above 128 halves block_k to bound the register footprint.
// CHECK-LABEL: attn.attention @wide
// CHECK-SAME: schedule = #attn.schedule<block_q = 64, block_k = 32, warps = 4, stages = 2, chunk = 0>
attn.attention @wide {dtype = #attn.dtype<bfloat16>, head_dim = 256 : i64, heads = 8 : i64, kv_heads = 8 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 6.25e-02 : f64, value_dim = 256 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %true = arith.constant true
  attn.yield %true : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

// Hints are kept; unset fields are completed (block_q follows warps).
// CHECK-LABEL: attn.attention @hints
// CHECK-SAME: schedule = #attn.schedule<block_q = 128, block_k = 32, warps = 8, stages = 3, chunk = 0>
attn.attention @hints {dtype = #attn.dtype<float16>, head_dim = 64 : i64, heads = 8 : i64, kv_heads = 8 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.25e-01 : f64, schedule = #attn.schedule<block_q = 0, block_k = 32, warps = 8, stages = 3, chunk = 0>, value_dim = 64 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %true = arith.constant true
  attn.yield %true : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

// The linear family gets a chunk (64 by default).
// CHECK-LABEL: attn.linear_attention @lin
// CHECK-SAME: schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 4, stages = 2, chunk = 64>
attn.linear_attention @lin {bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<identity>, head_dim = 64 : i64, heads = 4 : i64, kv_heads = 4 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.0 : f64, update = #attn.update<add>, value_dim = 64 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}
