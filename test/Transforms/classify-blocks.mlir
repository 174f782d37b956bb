// RUN: %attnc-opt %s --attn-classify-blocks | FileCheck %s
// RUN: %attnc-opt %s --attn-classify-blocks --attn-test-block-ranges="nq=200 nk=300 show-blocks=4" | FileCheck %s --check-prefix=TILES
// RUN: %attnc-opt %s --attnc-pipeline | %attnc-opt --attn-test-block-ranges="nq=200 nk=300 show-blocks=4" | FileCheck %s --check-prefix=TILES
//
// Tiles are 64 x 64. With Nq = 200 and Nk = 300, query row i has position
// i + 100, so q-block 0 holds positions 100..163 and q-block 3 292..299.
// test.tiles = [total, visited, full, partial]; test.qblockI lists segments
// [first k-block, last k-block, full blocks in the segment].

// CHECK-LABEL: attn.attention @causal
// CHECK-SAME: block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>]
// TILES-LABEL: attn.attention @causal
// TILES-SAME: test.qblock0 = {{\[}}[0, 2, 1]], test.qblock1 = {{\[}}[0, 3, 2]], test.qblock2 = {{\[}}[0, 4, 3]], test.qblock3 = {{\[}}[0, 4, 4]], test.tiles = [20, 17, 10, 7]

// A 100-key window: a band, narrower than two blocks, so never full.
// CHECK-LABEL: attn.attention @window
// CHECK-SAME: block_map = [#attn.clause<lower = [<c = -99, q = 1, nq = 0, nk = 0>], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>]
// TILES-LABEL: attn.attention @window
// TILES-SAME: test.qblock1 = {{\[}}[1, 3, 0]]{{.*}}test.tiles = [20, 11, 0, 11]

// Sinks add one extra range in front of the band.
// CHECK-LABEL: attn.attention @sinks
// CHECK-SAME: block_map = [#attn.clause<lower = [<c = -99, q = 1, nq = 0, nk = 0>], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>, #attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>, <c = 3, q = 0, nq = 0, nk = 0>], exact = true>]
// TILES-LABEL: attn.attention @sinks
// TILES-SAME: test.qblock2 = {{\[}}[0, 0, 0], [2, 4, 0]], test.qblock3 = {{\[}}[0, 0, 0], [3, 4, 0]], test.tiles = [20, 14, 0, 14]

// Negation is pushed to the comparisons; `!=` splits into two clauses.
// CHECK-LABEL: attn.attention @negated
// CHECK-SAME: block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>, <c = 4, q = 0, nq = 0, nk = 0>], exact = true>, #attn.clause<lower = [<c = 6, q = 0, nq = 0, nk = 0>], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = true>]

// A mask reading a parameter keeps the causal range, but every block is
// masked per element (exact = false).
// CHECK-LABEL: attn.attention @doc
// CHECK-SAME: block_map = [#attn.clause<lower = [], upper = [<c = 0, q = 1, nq = 0, nk = 0>], exact = false>]
// TILES-LABEL: attn.attention @doc
// TILES-SAME: test.tiles = [20, 17, 0, 17]

// Bounds may use Nk; a k coefficient other than +-1 is not bounded.
// CHECK-LABEL: attn.attention @lengths
// CHECK-SAME: block_map = [#attn.clause<lower = [<c = -128, q = 0, nq = 0, nk = 1>], upper = [], exact = true>, #attn.clause<lower = [], upper = [], exact = false>]
// TILES-LABEL: attn.attention @lengths
// TILES-SAME: test.tiles = [20, 20, 4, 16]

module {
  attn.attention @causal {dtype = #attn.dtype<float32>, head_dim = 16 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 2.500000e-01 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 16 : i64} mask {
  ^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
    %0 = arith.cmpi sle, %k, %q : i64
    attn.yield %0 : i1
  } score {
  ^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
    attn.yield %s : f32
  }
  attn.attention @window {dtype = #attn.dtype<float32>, head_dim = 16 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 2.500000e-01 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 16 : i64} mask {
  ^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
    %0 = arith.cmpi sle, %k, %q : i64
    %1 = arith.subi %q, %k : i64
    %c100_i64 = arith.constant 100 : i64
    %2 = arith.cmpi slt, %1, %c100_i64 : i64
    %3 = arith.andi %0, %2 : i1
    attn.yield %3 : i1
  } score {
  ^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
    attn.yield %s : f32
  }
  attn.attention @sinks {dtype = #attn.dtype<float32>, head_dim = 16 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 2.500000e-01 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 16 : i64} mask {
  ^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
    %0 = arith.cmpi sle, %k, %q : i64
    %1 = arith.subi %q, %k : i64
    %c100_i64 = arith.constant 100 : i64
    %2 = arith.cmpi slt, %1, %c100_i64 : i64
    %c4_i64 = arith.constant 4 : i64
    %3 = arith.cmpi slt, %k, %c4_i64 : i64
    %4 = arith.ori %2, %3 : i1
    %5 = arith.andi %0, %4 : i1
    attn.yield %5 : i1
  } score {
  ^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
    attn.yield %s : f32
  }
  attn.attention @negated {dtype = #attn.dtype<float32>, head_dim = 16 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 2.500000e-01 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 16 : i64} mask {
  ^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
    %0 = arith.cmpi sgt, %k, %q : i64
    %true = arith.constant true
    %1 = arith.xori %0, %true : i1
    %c5_i64 = arith.constant 5 : i64
    %2 = arith.cmpi ne, %k, %c5_i64 : i64
    %3 = arith.andi %1, %2 : i1
    attn.yield %3 : i1
  } score {
  ^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
    attn.yield %s : f32
  }
  attn.attention @doc {dtype = #attn.dtype<float32>, head_dim = 16 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [#attn.param<"doc", i32, "bn">], scale = 2.500000e-01 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 16 : i64} mask {
  ^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
    %0 = attn.param "doc"[%b, %q] : i32
    %1 = arith.extsi %0 : i32 to i64
    %2 = attn.param "doc"[%b, %k] : i32
    %3 = arith.extsi %2 : i32 to i64
    %4 = arith.cmpi eq, %1, %3 : i64
    %5 = arith.cmpi sle, %k, %q : i64
    %6 = arith.andi %4, %5 : i1
    attn.yield %6 : i1
  } score {
  ^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
    attn.yield %s : f32
  }
  attn.attention @lengths {dtype = #attn.dtype<float32>, head_dim = 16 : i64, heads = 1 : i64, kv_heads = 1 : i64, normalize = #attn.normalize<softmax>, params = [], scale = 2.500000e-01 : f64, schedule = #attn.schedule<block_q = 64, block_k = 64, warps = 4, stages = 2, chunk = 0>, value_dim = 16 : i64} mask {
  ^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
    %c2_i64 = arith.constant 2 : i64
    %c64_i64 = arith.constant 64 : i64
    %0 = arith.muli %c2_i64, %c64_i64 : i64
    %1 = arith.subi %Nk, %0 : i64
    %2 = arith.cmpi sge, %k, %1 : i64
    %c2_i64_0 = arith.constant 2 : i64
    %3 = arith.muli %c2_i64_0, %k : i64
    %4 = arith.cmpi eq, %3, %q : i64
    %5 = arith.ori %2, %4 : i1
    attn.yield %5 : i1
  } score {
  ^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
    attn.yield %s : f32
  }
}

