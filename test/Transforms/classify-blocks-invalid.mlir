// RUN: %attnc-opt %s --attn-classify-blocks --verify-diagnostics

// expected-error @+1 {{attn-classify-blocks needs a schedule; run attn-choose-schedule first}}
attn.attention @unscheduled {dtype = #attn.dtype<float32>, head_dim = 16 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 2.5e-01 : f64, value_dim = 16 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.cmpi sle, %k, %q : i64
  attn.yield %0 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}
