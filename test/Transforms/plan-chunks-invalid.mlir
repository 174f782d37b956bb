// RUN: %attnc-opt %s --attn-plan-chunks --split-input-file --verify-diagnostics

// The plan needs the schedule's chunk.
// expected-error @+1 {{expected a schedule with a chunk length (run attn-choose-schedule first)}}
attn.linear_attention @unscheduled {bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<identity>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.0 : f64, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}

// -----

// expected-error @+1 {{the chunk-parallel form is not implemented for a bidirectional op; expected 'chunk 64 sequential' or no form}}
attn.linear_attention @bidir {bidirectional = true, chunk_form = #attn.chunk_form<chunk_parallel>, dtype = #attn.dtype<float32>, feature = #attn.feature<identity>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.0 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 4, stages = 2, chunk = 64>, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}
