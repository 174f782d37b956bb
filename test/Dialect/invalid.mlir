// Every verifier rule of the attn dialect, one violation per split.
// RUN: %attnc-opt %s -split-input-file -verify-diagnostics -allow-unregistered-dialect

//===----------------------------------------------------------------------===//
// Region signatures
//===----------------------------------------------------------------------===//

// expected-error @+1 {{'attn.attention' op expected the mask region to take 6 arguments, got 5}}
attn.attention @a {dtype = #attn.dtype<float32>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.0 : f64, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

// expected-error @+1 {{'attn.attention' op expected the score region to take 7 arguments, got 6}}
attn.attention @a {dtype = #attn.dtype<float32>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.0 : f64, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %z = arith.constant 0.0 : f32
  attn.yield %z : f32
}

// -----

// expected-error @+1 {{'attn.attention' op expected argument #2 of the mask region to be i64}}
attn.attention @a {dtype = #attn.dtype<float32>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.0 : f64, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i32, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

// expected-error @+1 {{'attn.attention' op expected argument #6 of the score region to be f32}}
attn.attention @a {dtype = #attn.dtype<float32>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.0 : f64, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f64):
  %z = arith.constant 0.0 : f32
  attn.yield %z : f32
}

// -----

attn.attention @a {dtype = #attn.dtype<float32>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.0 : f64, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %0 = arith.subi %q, %k : i64
  // The mask is a bool, not a number.
  // expected-error @+1 {{'attn.yield' op expected the mask to yield 'i1', got 'i64'}}
  attn.yield %0 : i64
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

attn.attention @a {dtype = #attn.dtype<float32>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.0 : f64, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  %0 = arith.extf %s : f32 to f64
  // expected-error @+1 {{'attn.yield' op expected the score to yield 'f32', got 'f64'}}
  attn.yield %0 : f64
}

// -----

// expected-error @+1 {{'attn.attention' op expected the mask region to end in attn.yield}}
attn.attention @a {dtype = #attn.dtype<float32>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.0 : f64, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  "test.terminator"(%t) : (i1) -> ()
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

// expected-error @+1 {{'attn.linear_attention' op expected the feature region to take 7 arguments, got 6}}
attn.linear_attention @l {bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<identity>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.0 : f64, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %z = arith.constant 0.0 : f32
  attn.yield %z : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}

// -----

// expected-error @+1 {{'attn.linear_attention' op expected the decay region to take 6 arguments, got 7}}
attn.linear_attention @l {bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<identity>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.0 : f64, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
}

// -----

// expected-error @+1 {{'attn.linear_attention' op expected argument #3 of the decay region to be i64}}
attn.linear_attention @l {bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<identity>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.0 : f64, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: index, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}

// -----

attn.linear_attention @l {bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<identity>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.0 : f64, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  // The decay is a float gate.
  // expected-error @+1 {{'attn.yield' op expected the decay to yield 'f32', got 'i64'}}
  attn.yield %n : i64
}

// -----

// attn.yield only terminates the regions of the attention ops.
func.func @f(%x: f32) {
  // expected-error @+1 {{'attn.yield' op expects parent op to be one of 'attn.attention, attn.linear_attention'}}
  attn.yield %x : f32
}

//===----------------------------------------------------------------------===//
// Head configuration and parameter declarations
//===----------------------------------------------------------------------===//

// -----

// expected-error @+1 {{'attn.attention' op expected positive heads, kv_heads, head_dim and value_dim}}
attn.attention @a {dtype = #attn.dtype<float32>, head_dim = 0 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.0 : f64, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

// expected-error @+1 {{'attn.linear_attention' op expected positive heads, kv_heads, head_dim and value_dim}}
attn.linear_attention @l {bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<identity>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = -1 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.0 : f64, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}

// -----

// expected-error @+1 {{'attn.attention' op expected kv_heads to divide heads (8), got 3}}
attn.attention @a {dtype = #attn.dtype<float32>, head_dim = 4 : i64, heads = 8 : i64, kv_heads = 3 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.0 : f64, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

// expected-error @+1 {{'attn.linear_attention' op expected kv_heads to divide heads (6), got 4}}
attn.linear_attention @l {bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<identity>, head_dim = 4 : i64, heads = 6 : i64, kv_heads = 4 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.0 : f64, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}

// -----

// expected-error @+1 {{'attn.attention' op parameter 'p' is declared twice}}
attn.attention @a {dtype = #attn.dtype<float32>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [#attn.param<"p", f32, "h">, #attn.param<"p", i32, "bn">], scale = 1.0 : f64, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

// expected-error @+1 {{'attn.linear_attention' op parameter 'g' is declared twice}}
attn.linear_attention @l {bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<identity>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<none>, params = [#attn.param<"g", f32, "h">, #attn.param<"g", f32, "h">], scale = 1.0 : f64, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}

// -----

// expected-error @+1 {{expected a non-empty parameter name}}
func.func private @f() attributes {p = #attn.param<"", f32, "h">}

// -----

// expected-error @+1 {{expected parameter 'p' to have element type i32 or f32, got 'f16'}}
func.func private @f() attributes {p = #attn.param<"p", f16, "h">}

// -----

// expected-error @+1 {{expected parameter 'p' to have element type i32 or f32, got 'i64'}}
func.func private @f() attributes {p = #attn.param<"p", i64, "h">}

// -----

// expected-error @+1 {{expected dimensions of parameter 'p' among b, h, n, d and [N], got 'bq': unexpected 'q' (dimensions are b, h, n, d or [N])}}
func.func private @f() attributes {p = #attn.param<"p", i32, "bq">}

// -----

// expected-error @+1 {{expected dimensions of parameter 'p' among b, h, n, d and [N], got 'h[0]': a fixed extent is written [N] with N a positive integer}}
func.func private @f() attributes {p = #attn.param<"p", f32, "h[0]">}

// -----

// expected-error @+1 {{expected dimensions of parameter 'p' among b, h, n, d and [N], got 'bhndd': more than 4 dimensions}}
func.func private @f() attributes {p = #attn.param<"p", f32, "bhndd">}

// -----

// b and h at most once, as in the language (n repeats in pairwise tables,
// d in hedgehog's weight).
// expected-error @+1 {{expected dimension 'h' at most once in parameter 'p', got 'hnh'}}
func.func private @f() attributes {p = #attn.param<"p", i32, "hnh">}

// -----

// expected-error @+1 {{expected non-negative schedule values}}
func.func private @f() attributes {s = #attn.schedule<block_q = 128, block_k = -64, warps = 4, stages = 2, chunk = 0>}

// -----

// expected-error @+1 {{expected non-negative schedule values}}
func.func private @f() attributes {s = #attn.schedule<block_q = 0, block_k = 0, warps = 0, stages = 0, chunk = -1>}

// -----

//===----------------------------------------------------------------------===//
// #attn.chunk_plan and the chunk plan of attn.linear_attention
//===----------------------------------------------------------------------===//

// expected-error @+1 {{expected chunk to be a power of two in [16, 256], got 48}}
func.func private @f() attributes {p = #attn.chunk_plan<chunk = 48, intra = masked, inter = state_add, sub_chunk = 0, forms = [sequential]>}

// -----

// expected-error @+1 {{intra 'masked' does not go with inter 'scalar_decay'}}
func.func private @f() attributes {p = #attn.chunk_plan<chunk = 64, intra = masked, inter = scalar_decay, sub_chunk = 0, forms = [sequential]>}

// -----

// expected-error @+1 {{intra 'none' does not go with inter 'delta_wy'}}
func.func private @f() attributes {p = #attn.chunk_plan<chunk = 64, intra = none, inter = delta_wy, sub_chunk = 0, forms = [sequential]>}

// -----

// expected-error @+1 {{expected sub_chunk to divide the chunk (64), got 0}}
func.func private @f() attributes {p = #attn.chunk_plan<chunk = 64, intra = channel_decay_masked, inter = vector_decay, sub_chunk = 0, forms = [sequential]>}

// -----

// expected-error @+1 {{expected sub_chunk to divide the chunk (32), got 48}}
func.func private @f() attributes {p = #attn.chunk_plan<chunk = 32, intra = channel_decay_masked, inter = vector_decay, sub_chunk = 48, forms = [sequential]>}

// -----

// expected-error @+1 {{expected sub_chunk = 0 without intra 'channel_decay_masked', got 16}}
func.func private @f() attributes {p = #attn.chunk_plan<chunk = 64, intra = masked, inter = state_add, sub_chunk = 16, forms = [sequential]>}

// -----

// expected-error @+1 {{expected kernel forms sorted and distinct, got 'sequential' after 'chunk_parallel'}}
func.func private @f() attributes {p = #attn.chunk_plan<chunk = 64, intra = masked, inter = state_add, sub_chunk = 0, forms = [chunk_parallel, sequential]>}

// -----

// expected-error @+1 {{expected kernel forms sorted and distinct, got 'sequential' after 'sequential'}}
func.func private @f() attributes {p = #attn.chunk_plan<chunk = 64, intra = masked, inter = state_add, sub_chunk = 0, forms = [sequential, sequential]>}

// -----

// expected-error @+1 {{expected a chunked form (sequential or chunk_parallel)}}
func.func private @f() attributes {p = #attn.chunk_plan<chunk = 64, intra = masked, inter = state_add, sub_chunk = 0, forms = [recurrent_step]>}

// -----

// expected-error @+1 {{form 'chunk_parallel' is not implemented for inter 'state_add' with intra 'none'}}
func.func private @f() attributes {p = #attn.chunk_plan<chunk = 64, intra = none, inter = state_add, sub_chunk = 0, forms = [sequential, chunk_parallel]>}

// -----

// expected-error @+1 {{form 'recurrent_step' needs a causal recurrence (intra 'none' is bidirectional)}}
func.func private @f() attributes {p = #attn.chunk_plan<chunk = 64, intra = none, inter = state_add, sub_chunk = 0, forms = [sequential, recurrent_step]>}

// -----

// expected-error @+1 {{'attn.linear_attention' op expected the chunk plan's chunk (32) to equal the schedule's, got 64}}
attn.linear_attention @l {bidirectional = false, chunk_plan = #attn.chunk_plan<chunk = 32, intra = masked, inter = state_add, sub_chunk = 0, forms = [sequential]>, dtype = #attn.dtype<float32>, feature = #attn.feature<identity>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.0 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 4, stages = 2, chunk = 64>, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}

// -----

// expected-error @+1 {{'attn.linear_attention' op chunk plan inter 'state_add' does not match the decay (a scalar gate)}}
attn.linear_attention @l {bidirectional = false, chunk_plan = #attn.chunk_plan<chunk = 64, intra = masked, inter = state_add, sub_chunk = 0, forms = [sequential]>, dtype = #attn.dtype<float32>, feature = #attn.feature<identity>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.0 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 4, stages = 2, chunk = 64>, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %g = arith.constant 0.5 : f32
  attn.yield %g : f32
}

// -----

// expected-error @+1 {{'attn.linear_attention' op chunk plan inter 'scalar_decay' does not match the decay (no gate)}}
attn.linear_attention @l {bidirectional = false, chunk_plan = #attn.chunk_plan<chunk = 64, intra = decay_masked, inter = scalar_decay, sub_chunk = 0, forms = [sequential]>, dtype = #attn.dtype<float32>, feature = #attn.feature<identity>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.0 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 4, stages = 2, chunk = 64>, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}

// -----

// expected-error @+1 {{'attn.linear_attention' op chunk plan inter 'delta_wy' does not match update 'add'}}
attn.linear_attention @l {bidirectional = false, chunk_plan = #attn.chunk_plan<chunk = 64, intra = masked, inter = delta_wy, sub_chunk = 0, forms = [sequential]>, dtype = #attn.dtype<float32>, feature = #attn.feature<identity>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.0 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 4, stages = 2, chunk = 64>, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}

// -----

// expected-error @+1 {{'attn.linear_attention' op expected chunk plan intra not 'none' for a causal op, got 'none'}}
attn.linear_attention @l {bidirectional = false, chunk_plan = #attn.chunk_plan<chunk = 64, intra = none, inter = state_add, sub_chunk = 0, forms = [sequential]>, dtype = #attn.dtype<float32>, feature = #attn.feature<identity>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.0 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 4, stages = 2, chunk = 64>, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}

// -----

// expected-error @+1 {{'attn.linear_attention' op expected chunk plan intra 'none' for a bidirectional op, got 'masked'}}
attn.linear_attention @l {bidirectional = true, chunk_plan = #attn.chunk_plan<chunk = 64, intra = masked, inter = state_add, sub_chunk = 0, forms = [sequential]>, dtype = #attn.dtype<float32>, feature = #attn.feature<identity>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.0 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 4, stages = 2, chunk = 64>, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}

// -----

// expected-error @+1 {{'attn.linear_attention' op expected the chunk plan to force form 'sequential'}}
attn.linear_attention @l {bidirectional = false, chunk_form = #attn.chunk_form<sequential>, chunk_plan = #attn.chunk_plan<chunk = 64, intra = masked, inter = state_add, sub_chunk = 0, forms = [sequential, chunk_parallel]>, dtype = #attn.dtype<float32>, feature = #attn.feature<identity>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.0 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 4, stages = 2, chunk = 64>, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}

// -----

// expected-error @+1 {{'attn.linear_attention' op expected the chunk plan to force form 'chunk_parallel'}}
attn.linear_attention @l {bidirectional = false, chunk_form = #attn.chunk_form<chunk_parallel>, chunk_plan = #attn.chunk_plan<chunk = 64, intra = masked, inter = state_add, sub_chunk = 0, forms = [sequential]>, dtype = #attn.dtype<float32>, feature = #attn.feature<identity>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.0 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 4, stages = 2, chunk = 64>, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}

// -----

// expected-error @+1 {{'attn.linear_attention' op expected chunk_form sequential or chunk_parallel, got recurrent_step}}
attn.linear_attention @l {bidirectional = false, chunk_form = #attn.chunk_form<recurrent_step>, dtype = #attn.dtype<float32>, feature = #attn.feature<identity>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.0 : f64, schedule = #attn.schedule<block_q = 0, block_k = 0, warps = 4, stages = 2, chunk = 64>, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}

// -----

//===----------------------------------------------------------------------===//
// attn.param
//===----------------------------------------------------------------------===//

// -----

attn.attention @a {dtype = #attn.dtype<float32>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.0 : f64, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  // expected-error @+1 {{'attn.param' op unknown parameter 'slope'}}
  %0 = attn.param "slope"[%h] : f32
  attn.yield %0 : f32
}

// -----

attn.attention @a {dtype = #attn.dtype<float32>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [#attn.param<"slope", f32, "h">], scale = 1.0 : f64, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  // expected-error @+1 {{'attn.param' op expected parameter 'slope' to be read as 'f32', got 'i32'}}
  %0 = attn.param "slope"[%h] : i32
  %1 = arith.sitofp %0 : i32 to f32
  attn.yield %1 : f32
}

// -----

attn.attention @a {dtype = #attn.dtype<float32>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [#attn.param<"doc", i32, "bn">], scale = 1.0 : f64, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  // expected-error @+1 {{'attn.param' op expected 2 indices for parameter 'doc', got 1}}
  %0 = attn.param "doc"[%q] : i32
  %c0 = arith.constant 0 : i32
  %1 = arith.cmpi eq, %0, %c0 : i32
  attn.yield %1 : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

attn.linear_attention @l {bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<identity>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<none>, params = [#attn.param<"g", f32, "h">], scale = 1.0 : f64, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  // expected-error @+1 {{'attn.param' op unknown parameter 'gate'}}
  %0 = attn.param "gate"[%h] : f32
  attn.yield %0 : f32
}

// -----

// Parameters belong to an attention op.
func.func @f(%h: i64) -> f32 {
  // expected-error @+1 {{'attn.param' op expected to be inside an attention op}}
  %0 = attn.param "slope"[%h] : f32
  return %0 : f32
}

// -----

func.func @f(%h: i64) -> f64 {
  // expected-error @+1 {{'attn.param' op result #0 must be 32-bit signless integer or 32-bit float, but got 'f64'}}
  %0 = attn.param "slope"[%h] : f64
  return %0 : f64
}

//===----------------------------------------------------------------------===//
// Linear-family rules
//===----------------------------------------------------------------------===//

// -----

// expected-error @+1 {{'attn.linear_attention' op expected normalize sum or none in the linear family, got softmax}}
attn.linear_attention @l {bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<identity>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.0 : f64, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}

// -----

// expected-error @+1 {{'attn.linear_attention' op expected a hedgehog weight parameter}}
attn.linear_attention @l {bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<hedgehog>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.0 : f64, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}

// -----

// expected-error @+1 {{'attn.linear_attention' op unknown hedgehog weight parameter 'w'}}
attn.linear_attention @l {bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<hedgehog>, feature_param = "w", head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.0 : f64, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}

// -----

// expected-error @+1 {{'attn.linear_attention' op expected hedgehog weight parameter 'w' to be f32 over 'hdd'}}
attn.linear_attention @l {bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<hedgehog>, feature_param = "w", head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<none>, params = [#attn.param<"w", f32, "hd">], scale = 1.0 : f64, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}

// -----

// expected-error @+1 {{'attn.linear_attention' op expected hedgehog weight parameter 'w' to be f32 over 'hdd'}}
attn.linear_attention @l {bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<hedgehog>, feature_param = "w", head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<none>, params = [#attn.param<"w", i32, "hdd">], scale = 1.0 : f64, update = #attn.update<add>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}

// -----

// expected-error @+1 {{'attn.linear_attention' op expected normalize none with the delta rule}}
attn.linear_attention @l {beta_param = "beta", bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<l2norm>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<sum>, params = [#attn.param<"beta", f32, "bhn">], scale = 1.0 : f64, update = #attn.update<delta>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}

// -----

// expected-error @+1 {{'attn.linear_attention' op the delta rule needs a causal recurrence, not bidirectional}}
attn.linear_attention @l {beta_param = "beta", bidirectional = true, dtype = #attn.dtype<float32>, feature = #attn.feature<l2norm>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<none>, params = [#attn.param<"beta", f32, "bhn">], scale = 1.0 : f64, update = #attn.update<delta>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}

// -----

// expected-error @+1 {{'attn.linear_attention' op expected a delta-rule beta parameter}}
attn.linear_attention @l {bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<l2norm>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.0 : f64, update = #attn.update<delta>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}

// -----

// expected-error @+1 {{'attn.linear_attention' op unknown delta-rule beta parameter 'beta'}}
attn.linear_attention @l {beta_param = "beta", bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<l2norm>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<none>, params = [], scale = 1.0 : f64, update = #attn.update<delta>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}

// -----

// expected-error @+1 {{'attn.linear_attention' op expected delta-rule beta parameter 'beta' to be f32 over 'bhn'}}
attn.linear_attention @l {beta_param = "beta", bidirectional = false, dtype = #attn.dtype<float32>, feature = #attn.feature<l2norm>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<none>, params = [#attn.param<"beta", f32, "bn">], scale = 1.0 : f64, update = #attn.update<delta>, value_dim = 4 : i64} feature {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} decay {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64):
  %one = arith.constant 1.0 : f32
  attn.yield %one : f32
}

//===----------------------------------------------------------------------===//
// Content-based block selection
//===----------------------------------------------------------------------===//

// -----

// expected-error @+1 {{'attn.attention' op expected 'select' and 'select_value' together}}
attn.attention @a {dtype = #attn.dtype<float32>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.0 : f64, select = #attn.select<topk>, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

// expected-error @+1 {{'attn.attention' op expected a non-negative integer select_value for topk, got 2.5}}
attn.attention @a {dtype = #attn.dtype<float32>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.0 : f64, select = #attn.select<topk>, select_value = 2.5 : f64, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

// expected-error @+1 {{'attn.attention' op expected select_value in [0, 1] for cumulative, got 2}}
attn.attention @a {dtype = #attn.dtype<float32>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.0 : f64, select = #attn.select<cumulative>, select_value = 2.0 : f64, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

// expected-error @+1 {{'attn.attention' op a 'keep' region needs 'select'}}
attn.attention @a {dtype = #attn.dtype<float32>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.0 : f64, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
} keep {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %f = arith.constant false
  attn.yield %f : i1
}

// -----

attn.attention @a {dtype = #attn.dtype<float32>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.0 : f64, select = #attn.select<topk>, select_value = 2.0 : f64, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
} keep {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %f = arith.constant 1.0 : f32
  // expected-error @+1 {{'attn.yield' op expected the keep to yield 'i1', got 'f32'}}
  attn.yield %f : f32
}

// -----

// expected-error @+1 {{'attn.attention' op hybrid regions and attributes need 'hybrid_feature'}}
attn.attention @a {combine = #attn.combine<add>, dtype = #attn.dtype<float32>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.0 : f64, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

// expected-error @+1 {{'attn.attention' op a hybrid op needs the hybrid_phi, complement and combine_weight regions and 'combine'}}
attn.attention @a {combine = #attn.combine<add>, dtype = #attn.dtype<float32>, head_dim = 4 : i64, heads = 1 : i64, hybrid_feature = #attn.feature<elu1>, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.0 : f64, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

// expected-error @+1 {{'attn.attention' op a hybrid op needs normalize softmax}}
attn.attention @a {combine = #attn.combine<add>, dtype = #attn.dtype<float32>, head_dim = 4 : i64, heads = 1 : i64, hybrid_feature = #attn.feature<elu1>, kv_heads = 1 : i64, normalize = #attn.normalize<sum>, params = [], scale = 1.0 : f64, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
} hybrid_phi {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} complement {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  attn.yield %t : i1
} combine_weight {
^bb0(%b: i64, %h: i64, %q: i64, %Nq: i64, %Nk: i64):
  %w = arith.constant 1.0 : f32
  attn.yield %w : f32
}

// -----

// expected-error @+1 {{'attn.attention' op expected the combine_weight region to take 5 arguments, got 6}}
attn.attention @a {combine = #attn.combine<shared>, dtype = #attn.dtype<float32>, head_dim = 4 : i64, heads = 1 : i64, hybrid_feature = #attn.feature<elu1>, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.0 : f64, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
} hybrid_phi {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} complement {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  attn.yield %t : i1
} combine_weight {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %w = arith.constant 1.0 : f32
  attn.yield %w : f32
}

// -----

// expected-error @+1 {{'attn.attention' op expected a hedgehog weight parameter}}
attn.attention @a {combine = #attn.combine<add>, dtype = #attn.dtype<float32>, head_dim = 4 : i64, heads = 1 : i64, hybrid_feature = #attn.feature<hedgehog>, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.0 : f64, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
} hybrid_phi {
^bb0(%b: i64, %h: i64, %n: i64, %d: i64, %Nq: i64, %Nk: i64, %x: f32):
  attn.yield %x : f32
} complement {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  attn.yield %t : i1
} combine_weight {
^bb0(%b: i64, %h: i64, %q: i64, %Nq: i64, %Nk: i64):
  %w = arith.constant 1.0 : f32
  attn.yield %w : f32
}

//===----------------------------------------------------------------------===//
// Derivative regions (attn-differentiate)
//===----------------------------------------------------------------------===//

// -----

// expected-error @+1 {{'attn.attention' op expected the score_vjp region to take 8 arguments, got 7}}
attn.attention @a {dtype = #attn.dtype<float32>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 1.0 : f64, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
} score_vjp {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}

// -----

attn.attention @a {dtype = #attn.dtype<float32>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [#attn.param<"slope", f32, "h", frozen = true>], scale = 1.0 : f64, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
} score_vjp {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32, %dt: f32):
  // expected-error @+1 {{'attn.param_grad' op parameter 'slope' is frozen and has no gradient}}
  attn.param_grad "slope"[%h] %dt : f32
  attn.yield %dt : f32
}

// -----

attn.attention @a {dtype = #attn.dtype<float32>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [#attn.param<"doc", i32, "bn">], scale = 1.0 : f64, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
} score_vjp {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32, %dt: f32):
  // expected-error @+1 {{'attn.param_grad' op parameter 'doc' is i32 and has no gradient}}
  attn.param_grad "doc"[%b, %k] %dt : f32
  attn.yield %dt : f32
}

// -----

attn.attention @a {dtype = #attn.dtype<float32>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [#attn.param<"slope", f32, "h">], scale = 1.0 : f64, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
} score_vjp {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32, %dt: f32):
  // expected-error @+1 {{'attn.param_grad' op expected 1 indices for parameter 'slope', got 2}}
  attn.param_grad "slope"[%h, %q] %dt : f32
  attn.yield %dt : f32
}

// -----

// expected-error @+1 {{only f32 parameters can be frozen; 'doc' is 'i32' and never has a gradient}}
attn.attention @a {dtype = #attn.dtype<float32>, head_dim = 4 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [#attn.param<"doc", i32, "bn", frozen = true>], scale = 1.0 : f64, value_dim = 4 : i64} mask {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
  attn.yield %s : f32
}
