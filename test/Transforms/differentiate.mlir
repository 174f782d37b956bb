// attn-differentiate: each score region gets its vector-Jacobian product,
// one rule per op (lib/Autodiff/ScalarVjp.cpp), folded. Pinned here per
// rule family: parameters (ALiBi's slope), frozen parameters, kinks
// (max, abs, floor), pow, and a parameter read twice (softcap with a
// learned cap: two attn.param_grad adding into one element).
// RUN: %attnc-opt %s --attn-differentiate | FileCheck %s

module {
  attn.attention @alibi {dtype = #attn.dtype<float32>, head_dim = 16 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [#attn.param<"slope", f32, "h">], scale = 2.500000e-01 : f64, value_dim = 16 : i64} mask {
  ^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
    %0 = arith.cmpi sle, %k, %q : i64
    attn.yield %0 : i1
  } score {
  ^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
    %0 = attn.param "slope"[%h] : f32
    %1 = arith.subi %q, %k : i64
    %2 = arith.sitofp %1 : i64 to f32
    %3 = arith.mulf %0, %2 : f32
    %4 = arith.subf %s, %3 : f32
    attn.yield %4 : f32
  }
  attn.attention @frozen {dtype = #attn.dtype<float32>, head_dim = 16 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [#attn.param<"slope", f32, "h", frozen = true>], scale = 2.500000e-01 : f64, value_dim = 16 : i64} mask {
  ^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
    %0 = arith.cmpi sle, %k, %q : i64
    attn.yield %0 : i1
  } score {
  ^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
    %0 = attn.param "slope"[%h] : f32
    %1 = arith.subi %q, %k : i64
    %2 = arith.sitofp %1 : i64 to f32
    %3 = arith.mulf %0, %2 : f32
    %4 = arith.subf %s, %3 : f32
    attn.yield %4 : f32
  }
  attn.attention @kinks {dtype = #attn.dtype<float32>, head_dim = 16 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<softmax>, params = [#attn.param<"doc", i32, "bn">], scale = 2.500000e-01 : f64, value_dim = 16 : i64} mask {
  ^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
    %0 = attn.param "doc"[%b, %q] : i32
    %1 = arith.extsi %0 : i32 to i64
    %2 = attn.param "doc"[%b, %k] : i32
    %3 = arith.extsi %2 : i32 to i64
    %4 = arith.cmpi eq, %1, %3 : i64
    attn.yield %4 : i1
  } score {
  ^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
    %c0_i64 = arith.constant 0 : i64
    %0 = arith.sitofp %c0_i64 : i64 to f32
    %1 = arith.maximumf %s, %0 : f32
    %2 = math.absf %s : f32
    %3 = arith.addf %1, %2 : f32
    %4 = math.floor %s : f32
    %5 = arith.addf %3, %4 : f32
    %c2_i64 = arith.constant 2 : i64
    %6 = arith.sitofp %c2_i64 : i64 to f32
    %7 = math.powf %s, %6 : f32
    %8 = arith.addf %5, %7 : f32
    attn.yield %8 : f32
  }
  attn.attention @softcap_sum {dtype = #attn.dtype<float32>, head_dim = 16 : i64, heads = 2 : i64, kv_heads = 2 : i64, normalize = #attn.normalize<sum>, params = [#attn.param<"cap", f32, "h">], scale = 2.500000e-01 : f64, value_dim = 16 : i64} mask {
  ^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64):
    %0 = arith.cmpi sle, %k, %q : i64
    attn.yield %0 : i1
  } score {
  ^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32):
    %0 = attn.param "cap"[%h] : f32
    %1 = attn.param "cap"[%h] : f32
    %2 = arith.divf %s, %1 : f32
    %3 = math.tanh %2 : f32
    %4 = arith.mulf %0, %3 : f32
    attn.yield %4 : f32
  }
}


// CHECK-LABEL: attn.attention @alibi
// CHECK:       score_vjp {
// CHECK-NEXT:  ^bb0(%b: i64, %h: i64, %q: i64, %k: i64, %Nq: i64, %Nk: i64, %s: f32, %dt: f32):
// CHECK-NEXT:    %[[D:.*]] = arith.subi %q, %k : i64
// CHECK-NEXT:    %[[DF:.*]] = arith.sitofp %[[D]] : i64 to f32
// CHECK-NEXT:    %[[NEG:.*]] = arith.negf %dt : f32
// CHECK-NEXT:    %[[G:.*]] = arith.mulf %[[NEG]], %[[DF]] : f32
// CHECK-NEXT:    attn.param_grad "slope"[%h] %[[G]] : f32
// CHECK-NEXT:    attn.yield %dt : f32

// A frozen slope gets no gradient; ds is dt.
// CHECK-LABEL: attn.attention @frozen
// CHECK:       score_vjp {
// CHECK-NEXT:  ^bb0
// CHECK-NEXT:    attn.yield %dt : f32

// max(s, 0) + abs(s) + floor(s) + pow(s, 2): max splits a tie in halves,
// abs' is sign(s) with sign(0) = 0, floor' is 0, pow' is 2 s^1. The i32
// document ids in the mask have no gradient.
// CHECK-LABEL: attn.attention @kinks
// CHECK:       score_vjp {
// CHECK-NOT:     param_grad
// CHECK-DAG:     %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-DAG:     %[[MONE:.*]] = arith.constant -1.000000e+00 : f32
// CHECK-DAG:     %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:     %[[TWO:.*]] = arith.constant 2.000000e+00 : f32
// CHECK:         %[[P:.*]] = math.powf %s, %[[ONE]] : f32
// CHECK-NEXT:    %[[P2:.*]] = arith.mulf %[[P]], %[[TWO]] : f32
// CHECK-NEXT:    %[[DPOW:.*]] = arith.mulf %dt, %[[P2]] : f32
// CHECK-NEXT:    %[[LT:.*]] = arith.cmpf olt, %s, %[[ZERO]] : f32
// CHECK-NEXT:    %[[NEGSIGN:.*]] = arith.select %[[LT]], %[[MONE]], %[[ZERO]] : f32
// CHECK-NEXT:    %[[GT:.*]] = arith.cmpf ogt, %s, %[[ZERO]] : f32
// CHECK-NEXT:    %[[SIGN:.*]] = arith.select %[[GT]], %[[ONE]], %[[NEGSIGN]] : f32
// CHECK-NEXT:    %[[DABS:.*]] = arith.mulf %dt, %[[SIGN]] : f32
// CHECK-NEXT:    %[[SUM1:.*]] = arith.addf %[[DPOW]], %[[DABS]] : f32
// CHECK-NEXT:    %[[TIE:.*]] = arith.cmpf oeq, %s, %[[ZERO]] : f32
// CHECK-NEXT:    %[[TIESHARE:.*]] = arith.select %[[TIE]], %[[HALF]], %[[ZERO]] : f32
// CHECK-NEXT:    %[[WINS:.*]] = arith.cmpf ogt, %s, %[[ZERO]] : f32
// CHECK-NEXT:    %[[SHARE:.*]] = arith.select %[[WINS]], %[[ONE]], %[[TIESHARE]] : f32
// CHECK-NEXT:    %[[DMAX:.*]] = arith.mulf %dt, %[[SHARE]] : f32
// CHECK-NEXT:    %[[DS:.*]] = arith.addf %[[SUM1]], %[[DMAX]] : f32
// CHECK-NEXT:    attn.yield %[[DS]] : f32

// cap * tanh(s / cap): ds = dt cap (1 - t^2) / cap, and the cap's
// gradient in two parts, one per read: tanh(s / cap) and
// -dt cap (1 - t^2) s / cap^2.
// CHECK-LABEL: attn.attention @softcap_sum
// CHECK:       score_vjp {
// CHECK:         %[[CAP0:.*]] = attn.param "cap"[%h] : f32
// CHECK-NEXT:    %[[CAP1:.*]] = attn.param "cap"[%h] : f32
// CHECK-NEXT:    %[[X:.*]] = arith.divf %s, %[[CAP1]] : f32
// CHECK-NEXT:    %[[T:.*]] = math.tanh %[[X]] : f32
// CHECK-NEXT:    %[[GCAP0:.*]] = arith.mulf %dt, %[[T]] : f32
// CHECK-NEXT:    %[[DTC:.*]] = arith.mulf %dt, %[[CAP0]] : f32
// CHECK-NEXT:    %[[T2:.*]] = arith.mulf %[[T]], %[[T]] : f32
// CHECK-NEXT:    %[[SECH:.*]] = arith.subf %{{.*}}, %[[T2]] : f32
// CHECK-NEXT:    %[[DX:.*]] = arith.mulf %[[DTC]], %[[SECH]] : f32
// CHECK-NEXT:    %[[DS:.*]] = arith.divf %[[DX]], %[[CAP1]] : f32
// CHECK-NEXT:    %[[A:.*]] = arith.mulf %[[DX]], %[[X]] : f32
// CHECK-NEXT:    %[[B:.*]] = arith.divf %[[A]], %[[CAP1]] : f32
// CHECK-NEXT:    %[[GCAP1:.*]] = arith.negf %[[B]] : f32
// CHECK-NEXT:    attn.param_grad "cap"[%h] %[[GCAP1]] : f32
// CHECK-NEXT:    attn.param_grad "cap"[%h] %[[GCAP0]] : f32
// CHECK-NEXT:    attn.yield %[[DS]] : f32
