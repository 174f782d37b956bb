// RUN: %attnc-opt %s --attn-choose-schedule --split-input-file --verify-diagnostics

// expected-error @+1 {{expected tile q to be a multiple of 16 * warps (64), got 48}}
attn.attention @bad_q {dtype = #attn.dtype<float16>, head_dim = 64 : i64, heads = 8 : i64, kv_heads = 8 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.25e-01 : f64, schedule = #attn.schedule<block_q = 48, block_k = 0, warps = 0, stages = 0, chunk = 0>, value_dim = 64 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %true = arith.constant true
  attn.yield %true : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

// expected-error @+1 {{expected tile k to be a multiple of 16, got 40}}
attn.attention @bad_k {dtype = #attn.dtype<float16>, head_dim = 64 : i64, heads = 8 : i64, kv_heads = 8 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.25e-01 : f64, schedule = #attn.schedule<block_q = 0, block_k = 40, warps = 0, stages = 0, chunk = 0>, value_dim = 64 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %true = arith.constant true
  attn.yield %true : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

// expected-error @+1 {{expected at most 4 pipeline stages, got 6}}
attn.attention @bad_stages {dtype = #attn.dtype<float16>, head_dim = 64 : i64, heads = 8 : i64, kv_heads = 8 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.25e-01 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 0, stages = 6, chunk = 0>, value_dim = 64 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %true = arith.constant true
  attn.yield %true : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

// expected-error @+1 {{expected chunk to be a power of two in [16, 256], got 48}}
attn.linear_attention @bad_chunk {bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<identity>, head_dim = 64 : i64, heads = 4 : i64, kv_heads = 4 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.0 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 0, stages = 0, chunk = 48>, update = #attn.update<add>, value_dim = 64 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}
