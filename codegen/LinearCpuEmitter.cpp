//===- LinearCpuEmitter.cpp - The chunked linear schedule as C++ ----------===//
//
// This file implements the CPU backend for the linear family, as the op's
// #attn.chunk_plan describes it. The sequential form runs one task per
// (b, h) and walks the keys chunk by chunk (chunk C from the plan), the split
// of Lightning Attention-2 (the chunk-parallel form, the decode step and the
// entry point that picks a form are in LinearCpuForms.cpp):
//
//   intra-chunk  P = (phi(Q) phi(K)^T) * exp(cum_i - cum_j), masked j <= i
//   inter-chunk  O += phi(Q) exp(cum_i) S_prev
//   state        S  = exp(cum_last) S_prev + (phi(K) exp(cum_last - cum_j))^T V
//
// with cum the within-chunk cumulative sum of log|decay| (so nothing is
// ever divided by a decay and every exponent is <= 0 for gates in (0, 1]);
// per-channel gates (GLA) use the same ratios channel by channel, with
// sub-chunks of 16 rows so that only the diagonal sub-blocks need one
// exponential per (i, j, channel). The delta rule (DeltaNet, Gated DeltaNet
// with a scalar gate) goes through the WY/UT representation: one triangular
// solve per chunk, never a token-by-token recurrence; a per-channel gate
// with the delta rule uses the same form with pairwise per-channel ratios.
// The causal tasks start from the caller's state when AttncKernelArgs has
// one (state_in, z_in) and hand out the final one (state_out, z_out).
//
// The emitted code computes in float32; only the cumulative log-gates are
// double (see attnc_log_gate below). Measured f32 errors stay below 2e-6 of
// max|o| up to N = 8192 (test/Backend/cpu-linear.test), so float state and
// float products suffice. Inner loops are 8-float vector-extension dot
// products and row accumulations (a sequential float reduction is not
// vectorized without -ffast-math, which the kernels avoid for the sake of
// inf/NaN semantics) or contiguous updates the compiler vectorizes.
//
//===----------------------------------------------------------------------===//

#include "codegen/LinearCpuEmitter.h"

#include "codegen/CpuEmitter.h"
#include "codegen/LinearCpuForms.h"
#include "codegen/EmitterSupport.h"
#include "codegen/ExprEmitter.h"
#include "codegen/FeatureMapEmitter.h"
#include "codegen/KernelPrelude.h"
#include "codegen/LinearRegions.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;

namespace attnc {
namespace {

/// Vector helpers every linear kernel uses.
void emitHelpers(raw_ostream &os) {
  emitCpuVectorHelpers(os);
  os << R"(
// Dot products and row updates on attnc_v8: a sequential float sum is not
// vectorized without -ffast-math.

static inline float attnc_dot(const float *a, const float *b, int n) {
  attnc_v8 s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
  int i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 += attnc_ld8(a + i) * attnc_ld8(b + i);
    s1 += attnc_ld8(a + i + 8) * attnc_ld8(b + i + 8);
    s2 += attnc_ld8(a + i + 16) * attnc_ld8(b + i + 16);
    s3 += attnc_ld8(a + i + 24) * attnc_ld8(b + i + 24);
  }
  for (; i + 8 <= n; i += 8) s0 += attnc_ld8(a + i) * attnc_ld8(b + i);
  const attnc_v8 s = (s0 + s1) + (s2 + s3);
  float r = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
  for (; i < n; ++i) r += a[i] * b[i];
  return r;
}

// y += a * x over n floats.
static inline void attnc_axpy(float *__restrict y, float a, const float *__restrict x, int n) {
  for (int i = 0; i < n; ++i) y[i] += a * x[i];
}

// acc[0..DV) += sum_{c<n} x[c] M[c][0..DV) (M rows DV apart): four 8-float
// accumulators stay in registers while the rows of M stream by.
static inline void attnc_rowacc(float *acc, const float *x, const float *M, int n) {
  int e0 = 0;
  for (; e0 + 32 <= DV; e0 += 32) {
    attnc_v8 a0 = attnc_ld8(acc + e0), a1 = attnc_ld8(acc + e0 + 8);
    attnc_v8 a2 = attnc_ld8(acc + e0 + 16), a3 = attnc_ld8(acc + e0 + 24);
    for (int c = 0; c < n; ++c) {
      const float xc = x[c];
      const float *m = M + (long long)c * DV + e0;
      a0 += xc * attnc_ld8(m); a1 += xc * attnc_ld8(m + 8);
      a2 += xc * attnc_ld8(m + 16); a3 += xc * attnc_ld8(m + 24);
    }
    attnc_st8(acc + e0, a0); attnc_st8(acc + e0 + 8, a1);
    attnc_st8(acc + e0 + 16, a2); attnc_st8(acc + e0 + 24, a3);
  }
  for (; e0 + 8 <= DV; e0 += 8) {
    attnc_v8 a0 = attnc_ld8(acc + e0);
    for (int c = 0; c < n; ++c) a0 += x[c] * attnc_ld8(M + (long long)c * DV + e0);
    attnc_st8(acc + e0, a0);
  }
  for (int e = e0; e < DV; ++e) {
    float a = acc[e];
    for (int c = 0; c < n; ++c) a += x[c] * M[(long long)c * DV + e];
    acc[e] = a;
  }
}


// x[i] = exp(x[i]) over n floats.
static inline void attnc_exp_inplace(float *x, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8) attnc_st8(x + i, attnc_exp8(attnc_ld8(x + i)));
  for (; i < n; ++i) x[i] = expf(x[i]);
}

// log|gate| in double, and the gate's sign. Chunks multiply gates through
// exp(cum_i - cum_j) of cumulative sums of these logs: no product of gates
// underflows and nothing is divided by a gate. The sums are double so that a
// difference of two long sums keeps float precision (a cumulative sum of
// logs of 0.05 reaches -380 over 128 steps, where a float ulp is 3e-5). A
// zero gate (log 0 = -inf) becomes -1e4: exp of it is exactly 0 in float,
// like the state it erases, while -inf - -inf would be NaN.
static inline void attnc_log_gate(float gate, double *log_abs, float *sign) {
  const double a = fabs((double)gate);
  *log_abs = a == 0.0 ? -1e4 : log(a);
  *sign = gate < 0.0f ? -1.0f : 1.0f;
}
)";
}

/// `attnc_phi(args, b, h, n, row, phi)`: the feature map of one stored row
/// (FeatureMapEmitter's `attnc_phi_x` on the row loaded as float).
LogicalResult emitFeatureMap(attn::LinearAttentionOp op, raw_ostream &os) {
  const int weight = op.getFeatureParam()
                         ? paramIndexOf(op.getParams(), *op.getFeatureParam())
                         : -1;
  if (failed(emitFeatureMapFunction(os, "attnc_phi_x", op.getFeature(),
                                    op.getFeatureRegion().front(), weight)))
    return failure();
  os << R"(static inline void attnc_phi(const AttncKernelArgs &args, long long b, long long h, long long n,
                             const storage_t *row, float *phi) {
  float x[D];
  for (int c = 0; c < D; ++c) x[c] = attnc_load(row + c);
  attnc_phi_x(args, b, h, n, x, phi);
}
)";
  return success();
}

/// Per-thread scratch: the state and one chunk's rows.
void emitWorkspace(attn::DecayClass decay, bool delta, raw_ostream &os) {
  const bool pairs = delta && decay == attn::DecayClass::per_channel;
  const char *gates = decay == attn::DecayClass::per_channel ? "(CH + 1) * F" : "CH + 1";
  os << R"(
// Per-thread scratch. A[m] / sg[m] (per channel for a vector gate) hold the
// log|gate| sum and the sign product over the chunk's rows 0..m-1, so the
// decay from row j to row i (rows j+1..i) is sg[i+1] sg[j+1] exp(A[i+1] - A[j+1])
// and from the chunk start to row i is sg[i+1] exp(A[i+1]).
typedef struct AttncWork {
  float *S;    // [F][DV] state
  float *z;    // [F] normalizer
  float *Qf;   // [CH][F] phi(q) of the chunk's query rows
  float *Kf;   // [CH][F] phi(k)
  float *V;    // [CH][DV]
  float *P;    // [CH][CH] intra-chunk weights
  float *o;    // [DV] one output row
  float *qt;   // [F] a rescaled query row
  float *kt;   // [CH][F] rescaled key rows (vector gates)
  float *cw;   // [CH] per-row weights
  float *xs;   // [CH] one column of weighted keys
  float *sg;   // gate signs
  double *A;   // cumulative log|gate|
  float *W;    // [CH][F] delta rule: W = T diag(beta gamma) K
  float *U;    // [CH][DV] delta rule: U = T diag(beta) V - W S
  float *beta; // [CH]
  float *P2;   // [CH][CH] delta rule with a per-channel gate: second weights
  float *pt;   // [F] scratch of attnc_pair
} AttncWork;

static void attnc_work_free(AttncWork *w) {
  free(w->S); free(w->z); free(w->Qf); free(w->Kf); free(w->V); free(w->P);
  free(w->o); free(w->qt); free(w->kt); free(w->cw); free(w->xs); free(w->sg); free(w->A);
  free(w->W); free(w->U); free(w->beta); free(w->P2); free(w->pt);
}

static bool attnc_work_alloc(AttncWork *w) {
  memset(w, 0, sizeof *w);
  w->S = (float *)calloc((size_t)F * DV, sizeof(float));
  w->z = (float *)calloc(F, sizeof(float));
  w->Qf = (float *)calloc((size_t)CH * F, sizeof(float));
  w->Kf = (float *)calloc((size_t)CH * F, sizeof(float));
  w->V = (float *)calloc((size_t)CH * DV, sizeof(float));
  w->P = (float *)calloc((size_t)CH * CH, sizeof(float));
  w->o = (float *)calloc(DV, sizeof(float));
  w->qt = (float *)calloc(F, sizeof(float));
  w->kt = (float *)calloc((size_t)CH * F, sizeof(float));
  w->cw = (float *)calloc(CH, sizeof(float));
  w->xs = (float *)calloc(CH, sizeof(float));
)";
  os << "  w->sg = (float *)calloc((size_t)" << gates << ", sizeof(float));\n"
     << "  w->A = (double *)calloc((size_t)" << gates << ", sizeof(double));\n";
  if (delta)
    os << "  w->W = (float *)calloc((size_t)CH * F, sizeof(float));\n"
          "  w->U = (float *)calloc((size_t)CH * DV, sizeof(float));\n"
          "  w->beta = (float *)calloc(CH, sizeof(float));\n";
  if (pairs)
    os << "  w->P2 = (float *)calloc((size_t)CH * CH, sizeof(float));\n"
          "  w->pt = (float *)calloc(F, sizeof(float));\n";
  os << "  const bool ok = w->S && w->z && w->Qf && w->Kf && w->V && w->P && "
        "w->o && w->qt &&\n"
        "                  w->kt && w->cw && w->xs && w->sg && w->A"
     << (delta ? " && w->W && w->U && w->beta" : "")
     << (pairs ? " && w->P2 && w->pt" : "") << ";\n"
     << "  if (!ok) attnc_work_free(w);\n  return ok;\n}\n";
}

/// `attnc_state_load` / `attnc_state_store`: the causal kernels' recurrent
/// state in and out (kernel ABI 2).
void emitStateIo(raw_ostream &os) {
  os << R"(
// The state of head (b, h) before the first key: state_in (and z_in) when
// given, else zero. After the last key it goes to state_out (and z_out). A
// task reads its whole slice before it writes it, so state_out may be
// state_in (an in-place update, as decode does).
static void attnc_state_load(const AttncKernelArgs &args, long long b, long long h, AttncWork &w) {
  const long long head = b * H + h;
  if (args.state_in) memcpy(w.S, args.state_in + head * F * DV, sizeof(float) * F * DV);
  else memset(w.S, 0, sizeof(float) * F * DV);
  if (args.z_in) memcpy(w.z, args.z_in + head * F, sizeof(float) * F);
  else memset(w.z, 0, sizeof(float) * F);
}

static void attnc_state_store(const AttncKernelArgs &args, long long b, long long h, const AttncWork &w) {
  const long long head = b * H + h;
  if (args.state_out) memcpy(args.state_out + head * F * DV, w.S, sizeof(float) * F * DV);
  if (args.z_out) memcpy(args.z_out + head * F, w.z, sizeof(float) * F);
}
)";
}

/// `attnc_chunk_gates`: A and sg for the rows [t0, t0 + L).
void emitGates(attn::DecayClass decay, raw_ostream &os) {
  if (decay == attn::DecayClass::none)
    return;
  os << "\n// A[0] = 0; A[l + 1] = A[l] + log|gate(t0 + l)| (see "
        "attnc_log_gate).\n"
     << "static void attnc_chunk_gates(const AttncKernelArgs &args, long long "
        "b, long long h, long long t0,\n"
     << "                              int L, double *A, float *sg) {\n";
  if (decay == attn::DecayClass::scalar) {
    os << R"(  A[0] = 0.0;
  sg[0] = 1.0f;
  for (int l = 0; l < L; ++l) {
    double a;
    float s;
    attnc_log_gate(attnc_decay(args, b, h, t0 + l, 0, args.q_len, args.kv_len), &a, &s);
    A[l + 1] = A[l] + a;
    sg[l + 1] = sg[l] * s;
  }
}
)";
    return;
  }
  os << R"(  for (int f = 0; f < F; ++f) {
    A[f] = 0.0;
    sg[f] = 1.0f;
  }
  for (int l = 0; l < L; ++l)
    for (int f = 0; f < F; ++f) {
      double a;
      float s;
      attnc_log_gate(attnc_decay(args, b, h, t0 + l, f, args.q_len, args.kv_len), &a, &s);
      A[(l + 1) * F + f] = A[l * F + f] + a;
      sg[(l + 1) * F + f] = sg[l * F + f] * s;
    }
}
)";
}

/// `attnc_intra`: P[r][j] for rows [r0, L) and j <= r, the weight of key j
/// in query row r within the chunk (phi(q_r) . phi(k_j) times the decay
/// from j to r).
void emitIntra(attn::DecayClass decay, raw_ostream &os) {
  os << "\nstatic void attnc_intra(AttncWork &w, int r0, int L) {\n";
  if (decay != attn::DecayClass::per_channel) {
    os << "  for (int r = r0; r < L; ++r) {\n"
          "    float *p = w.P + r * CH;\n"
          "    for (int j = 0; j <= r; ++j) p[j] = attnc_dot(w.Qf + r * F, "
          "w.Kf + j * F, F);\n";
    if (decay == attn::DecayClass::scalar)
      os << "    // exp(A[r+1] - A[j+1]) <= 1 for gates in [0, 1]: no "
            "overflow, and a zero gate\n"
            "    // between j and r gives exactly 0.\n"
            "    for (int j = 0; j <= r; ++j)\n"
            "      p[j] *= w.sg[r + 1] * w.sg[j + 1] * expf((float)(w.A[r + "
            "1] - w.A[j + 1]));\n";
    os << "    (void)L;\n  }\n}\n";
    return;
  }
  // GLA's secondary chunking: across sub-chunks the per-channel decay
  // factors through the sub-chunk start, so those blocks are plain dot
  // products of rescaled rows; only the diagonal sub-blocks take one
  // exponential per (r, j, channel).
  os << R"(  for (int a0 = (r0 / SUB) * SUB; a0 < L; a0 += SUB) {
    const int a1 = a0 + SUB < L ? a0 + SUB : L;
    // Keys before the sub-chunk, decayed to its start (index a0): factor <= 1.
    const double *Aref = w.A + a0 * F;
    const float *sref = w.sg + a0 * F;
    for (int j = 0; j < a0; ++j) {
      float *kt = w.kt + j * F;
      const double *Aj = w.A + (j + 1) * F;
      const float *sj = w.sg + (j + 1) * F;
      for (int f = 0; f < F; ++f) kt[f] = (float)(Aref[f] - Aj[f]);
      attnc_exp_inplace(kt, F);
      for (int f = 0; f < F; ++f) kt[f] *= sref[f] * sj[f] * w.Kf[j * F + f];
    }
    for (int r = a0 > r0 ? a0 : r0; r < a1; ++r) {
      float *p = w.P + r * CH;
      const double *Ar = w.A + (r + 1) * F;
      const float *sr = w.sg + (r + 1) * F;
      const float *q = w.Qf + r * F;
      // The query row decayed from the sub-chunk start: factor <= 1.
      for (int f = 0; f < F; ++f) w.qt[f] = (float)(Ar[f] - Aref[f]);
      attnc_exp_inplace(w.qt, F);
      for (int f = 0; f < F; ++f) w.qt[f] *= sr[f] * sref[f] * q[f];
      for (int j = 0; j < a0; ++j) p[j] = attnc_dot(w.qt, w.kt + j * F, F);
      // The diagonal sub-block: exp(A[r+1] - A[j+1]) channel by channel.
      for (int j = a0; j <= r; ++j) {
        const double *Aj = w.A + (j + 1) * F;
        const float *sj = w.sg + (j + 1) * F;
        for (int f = 0; f < F; ++f) w.qt[f] = (float)(Ar[f] - Aj[f]);
        attnc_exp_inplace(w.qt, F);
        for (int f = 0; f < F; ++f) w.qt[f] *= sr[f] * sj[f] * q[f];
        p[j] = attnc_dot(w.qt, w.Kf + j * F, F);
      }
    }
  }
}
)";
}

/// `attnc_inter_query`: w.qt = phi(q_r) decayed from the chunk start to row
/// r, so that phi(q_r) S_r's inter-chunk part is w.qt S_prev.
void emitInterQuery(attn::DecayClass decay, raw_ostream &os) {
  os << "\nstatic inline void attnc_inter_query(AttncWork &w, int r) {\n"
     << "  const float *q = w.Qf + r * F;\n";
  switch (decay) {
  case attn::DecayClass::none:
    os << "  for (int f = 0; f < F; ++f) w.qt[f] = q[f];\n";
    break;
  case attn::DecayClass::scalar:
    os << "  const float gr = w.sg[r + 1] * expf((float)w.A[r + 1]);\n"
          "  for (int f = 0; f < F; ++f) w.qt[f] = gr * q[f];\n";
    break;
  case attn::DecayClass::per_channel:
    os << "  const double *Ar = w.A + (r + 1) * F;\n"
          "  for (int f = 0; f < F; ++f) w.qt[f] = (float)Ar[f];\n"
          "  attnc_exp_inplace(w.qt, F);\n"
          "  for (int f = 0; f < F; ++f) w.qt[f] *= w.sg[(r + 1) * F + f] * "
          "q[f];\n";
    break;
  }
  os << "}\n";
}

/// `attnc_add_state`: S (and z) from before the chunk to after its L rows,
/// update add.
void emitAddState(attn::DecayClass decay, bool normalizeSum, raw_ostream &os) {
  os << "\nstatic void attnc_add_state(AttncWork &w, int L) {\n";
  if (decay == attn::DecayClass::scalar)
    os << "  const float gL = w.sg[L] * expf((float)w.A[L]);\n"
          "  for (int j = 0; j < L; ++j)\n"
          "    w.cw[j] = w.sg[L] * w.sg[j + 1] * expf((float)(w.A[L] - w.A[j "
          "+ 1]));\n";
  os << "  for (int f = 0; f < F; ++f) {\n"
     << "    float *s = w.S + f * DV;\n";
  if (decay == attn::DecayClass::per_channel)
    os << "    const double AL = w.A[L * F + f];\n"
          "    const float sL = w.sg[L * F + f];\n"
          "    const float gL = sL * expf((float)AL);\n"
          "    for (int j = 0; j < L; ++j)\n"
          "      w.cw[j] = sL * w.sg[(j + 1) * F + f] * expf((float)(AL - "
          "w.A[(j + 1) * F + f]));\n";
  if (decay != attn::DecayClass::none) {
    os << "    for (int e = 0; e < DV; ++e) s[e] *= gL;\n";
    if (normalizeSum)
      os << "    w.z[f] *= gL;\n";
  }
  os << "    for (int j = 0; j < L; ++j) w.xs[j] = "
     << (decay == attn::DecayClass::none ? "" : "w.cw[j] * ") << "w.Kf[j * F + f];\n"
     << "    attnc_rowacc(s, w.xs, w.V, L);\n";
  if (normalizeSum)
    os << "    for (int j = 0; j < L; ++j) w.z[f] += w.xs[j];\n";
  os << "  }\n}\n";
}

/// `attnc_load_keys`: phi(k) and v of rows [t0, t0 + L) (and beta).
void emitLoadKeys(attn::LinearAttentionOp op, bool delta, raw_ostream &os) {
  os << R"(
static void attnc_load_keys(const AttncKernelArgs &args, AttncWork &w, long long b, long long h,
                            const storage_t *kp, const storage_t *vp, long long t0, int L) {
  for (int l = 0; l < L; ++l) {
    attnc_phi(args, b, h, t0 + l, kp + (t0 + l) * args.k_strides.s[2], w.Kf + l * F);
    for (int e = 0; e < DV; ++e) w.V[l * DV + e] = attnc_load(vp + (t0 + l) * args.v_strides.s[2] + e);
)";
  if (delta)
    os << "    w.beta[l] = "
       << paramReadExpr(*op.getBetaParam(), {"b", "h", "t0 + l"}) << ";\n";
  os << "  }\n}\n";
}

/// Stores one output row: `row` is its index i, w.o the unscaled
/// phi(q_i) S, `den` phi(q_i) . z.
void emitStoreRow(bool normalizeSum, StringRef row, StringRef indent,
                  raw_ostream &os) {
  os << indent << "storage_t *out = op_ + (" << row
     << ") * args.o_strides.s[2];\n";
  if (normalizeSum)
    os << indent << "for (int e = 0; e < DV; ++e)\n"
       << indent
       << "  attnc_store(out + e, den != 0.0f ? kScale * w.o[e] / den : "
          "0.0f);\n";
  else
    os << indent
       << "for (int e = 0; e < DV; ++e) attnc_store(out + e, kScale * "
          "w.o[e]);\n";
}

/// The signature of the (b, h) task and its tensor pointers, shared by the
/// causal and bidirectional forms.
void emitTaskHead(raw_ostream &os) {
  os << R"(
static void attnc_head(const AttncKernelArgs &args, long long b, long long h, AttncWork &w) {
  const long long Nq = args.q_len, Nk = args.kv_len;
  const long long off = Nk - Nq; // query row i sits at position i + off
  const long long g = h / (H / G);
  const storage_t *qp = (const storage_t *)args.q + b * args.q_strides.s[0] + h * args.q_strides.s[1];
  const storage_t *kp = (const storage_t *)args.k + b * args.k_strides.s[0] + g * args.k_strides.s[1];
  const storage_t *vp = (const storage_t *)args.v + b * args.v_strides.s[0] + g * args.v_strides.s[1];
  storage_t *op_ = (storage_t *)args.o + b * args.o_strides.s[0] + h * args.o_strides.s[1];
)";
}

/// The start of every causal (b, h) task: tensor pointers, the initial
/// state, zero rows at negative positions, and the chunk loop up to loading
/// the chunk's keys (the task emitters continue inside the loop).
void emitCausalTaskPrologue(raw_ostream &os) {
  emitTaskHead(os);
  os << R"(  attnc_state_load(args, b, h, w);
  // Rows at negative positions (Nq > Nk) see no key.
  for (long long i = 0; i < Nq && i + off < 0; ++i)
    for (int e = 0; e < DV; ++e) attnc_store(op_ + i * args.o_strides.s[2] + e, 0.0f);
  for (long long t0 = 0; t0 < Nk; t0 += CH) {
    const int L = (int)attnc_mini(CH, Nk - t0);
    const int r0 = (int)attnc_mini(L, attnc_maxi(0, off - t0)); // rows [r0, L) have queries
    attnc_load_keys(args, w, b, h, kp, vp, t0, L);
)";
}

/// `attnc_chunk_out`: the output rows of one chunk for update add, causal,
/// against the state before the chunk in w.S (and w.z); the chunk's keys
/// and gates are loaded. The sequential and chunk-parallel forms share it.
/// With the sequential form, `attnc_head` walks the chunks of one (b, h).
void emitAddCausalTask(attn::DecayClass decay, bool normalizeSum, bool sequential,
                       raw_ostream &os) {
  os << R"(
static void attnc_chunk_out(const AttncKernelArgs &args, long long b, long long h, AttncWork &w,
                            long long t0, int L, int r0) {
  const long long off = args.kv_len - args.q_len; // query row i sits at position i + off
  const storage_t *qp = (const storage_t *)args.q + b * args.q_strides.s[0] + h * args.q_strides.s[1];
  storage_t *op_ = (storage_t *)args.o + b * args.o_strides.s[0] + h * args.o_strides.s[1];
  for (int r = r0; r < L; ++r)
    attnc_phi(args, b, h, t0 + r, qp + (t0 + r - off) * args.q_strides.s[2], w.Qf + r * F);
  attnc_intra(w, r0, L);
  for (int r = r0; r < L; ++r) {
    const float *p = w.P + r * CH;
    float den = 0.0f;
    for (int e = 0; e < DV; ++e) w.o[e] = 0.0f;
    for (int j = 0; j <= r; ++j) den += p[j];
    attnc_rowacc(w.o, p, w.V, r + 1);
    // The state before the chunk, seen from row r.
    attnc_inter_query(w, r);
    attnc_rowacc(w.o, w.qt, w.S, F);
)";
  if (normalizeSum)
    os << "    den += attnc_dot(w.qt, w.z, F);\n";
  else
    os << "    (void)den;\n";
  emitStoreRow(normalizeSum, "t0 + r - off", "    ", os);
  os << "  }\n}\n";
  if (!sequential)
    return;
  emitCausalTaskPrologue(os);
  if (decay != attn::DecayClass::none)
    os << "    attnc_chunk_gates(args, b, h, t0, L, w.A, w.sg);\n";
  os << "    if (r0 < L) attnc_chunk_out(args, b, h, w, t0, L, r0);\n"
        "    attnc_add_state(w, L);\n  }\n  attnc_state_store(args, b, h, "
        "w);\n}\n";
}

/// The task of one (b, h) for update add, bidirectional: the chunked state
/// over every key, then every query row against it.
void emitAddBidirectionalTask(attn::DecayClass decay, bool normalizeSum,
                              raw_ostream &os) {
  emitTaskHead(os);
  os << R"(  memset(w.S, 0, sizeof(float) * F * DV);
  memset(w.z, 0, sizeof(float) * F);
  for (long long t0 = 0; t0 < Nk; t0 += CH) {
    const int L = (int)attnc_mini(CH, Nk - t0);
    attnc_load_keys(args, w, b, h, kp, vp, t0, L);
)";
  if (decay != attn::DecayClass::none)
    os << "    attnc_chunk_gates(args, b, h, t0, L, w.A, w.sg);\n";
  os << R"(    attnc_add_state(w, L);
  }
  // Every row reads the final state (also rows at negative positions).
  for (long long i = 0; i < Nq; ++i) {
    attnc_phi(args, b, h, i + off, qp + i * args.q_strides.s[2], w.qt);
    for (int e = 0; e < DV; ++e) w.o[e] = 0.0f;
    attnc_rowacc(w.o, w.qt, w.S, F);
)";
  if (normalizeSum)
    os << "    const float den = attnc_dot(w.qt, w.z, F);\n";
  emitStoreRow(normalizeSum, "i", "    ", os);
  (void)decay;
  os << "  }\n}\n";
}

/// The task of one (b, h) for the delta rule (no gate or a scalar gate):
/// the WY/UT form of DeltaNet / Gated DeltaNet. Within a chunk with state
/// S0 before it and gamma_r the decay from the chunk start through row r,
///   S_r = gamma_r S0 + sum_{j<=r} (gamma_r / gamma_j) k_j u_j^T,
///   u_r = beta_r (v_r - gamma_r S0^T k_r - sum_{j<r} (gamma_r /
///   gamma_j)(k_r.k_j) u_j)
/// so (I + M) U = diag(beta) V - diag(beta gamma) K S0 with the strictly
/// lower M_rj = beta_r (k_r.k_j) gamma_r / gamma_j. With T = (I + M)^{-1}
/// (forward substitution), W = T diag(beta gamma) K and U = T diag(beta) V
/// - W S0; then O = diag(gamma) Q S0 + (tril(Q K^T) * decay) U and
/// S = gamma_L S0 + (K decayed to the chunk end)^T U.
void emitDeltaTask(attn::DecayClass decay, bool sequential, bool chunkParallel,
                   raw_ostream &os) {
  const bool gated = decay == attn::DecayClass::scalar;
  auto gate = [&](const char *to, const char *from) {
    return gated ? std::string("w.sg[") + to + "] * w.sg[" + from +
                       "] * expf((float)(w.A[" + to + "] - w.A[" + from + "]))"
                 : std::string("1.0f");
  };
  // Three pieces, so that the chunk-parallel form (LinearCpuForms.cpp) can
  // run them on other states: the chunk's W and U0 = T diag(beta) V, its
  // rows against the state before it, and the state after it.
  os << R"(
// Forward substitution, one row of W and U at a time:
//   W_r = beta_r gamma_r k_r - sum_{j<r} M_rj W_j,  U_r = beta_r v_r - sum_{j<r} M_rj U_j,
// with M_rj = beta_r (k_r . k_j) gamma_r / gamma_j the strictly lower part of I + M.
static void attnc_delta_wy(AttncWork &w, int L) {
  for (int r = 0; r < L; ++r) {
    const float *kr = w.Kf + r * F;
    float *Wr = w.W + r * F, *Ur = w.U + r * DV;
)";
  os << "    const float bg = w.beta[r] * "
     << (gated ? "w.sg[r + 1] * expf((float)w.A[r + 1])" : "1.0f") << ";\n";
  os << R"(    for (int f = 0; f < F; ++f) Wr[f] = bg * kr[f];
    for (int e = 0; e < DV; ++e) Ur[e] = w.beta[r] * w.V[r * DV + e];
    float *na = w.P + r * CH; // -M_rj
    for (int j = 0; j < r; ++j) {
)";
  os << "      na[j] = -w.beta[r] * attnc_dot(kr, w.Kf + j * F, F) * "
     << gate("r + 1", "j + 1") << ";\n";
  os << R"(      attnc_axpy(Wr, na[j], w.W + j * F, F);
    }
    attnc_rowacc(Ur, na, w.U, r);
  }
}

// U -= W S0 (the residuals against the state w.S before the chunk), then
// the rows [r0, L).
static void attnc_delta_out(const AttncKernelArgs &args, long long b, long long h, AttncWork &w,
                            long long t0, int L, int r0) {
  const long long off = args.kv_len - args.q_len; // query row i sits at position i + off
  const storage_t *qp = (const storage_t *)args.q + b * args.q_strides.s[0] + h * args.q_strides.s[1];
  storage_t *op_ = (storage_t *)args.o + b * args.o_strides.s[0] + h * args.o_strides.s[1];
  for (int r = 0; r < L; ++r) {
    for (int f = 0; f < F; ++f) w.qt[f] = -w.W[r * F + f];
    attnc_rowacc(w.U + r * DV, w.qt, w.S, F);
  }
  for (int r = r0; r < L; ++r)
    attnc_phi(args, b, h, t0 + r, qp + (t0 + r - off) * args.q_strides.s[2], w.Qf + r * F);
  for (int r = r0; r < L; ++r) {
    const float *q = w.Qf + r * F;
    for (int e = 0; e < DV; ++e) w.o[e] = 0.0f;
    float *p = w.P + r * CH;
    for (int j = 0; j <= r; ++j)
)";
  os << "      p[j] = attnc_dot(q, w.Kf + j * F, F) * " << gate("r + 1", "j + 1")
     << ";\n";
  os << R"(    attnc_rowacc(w.o, p, w.U, r + 1);
    attnc_inter_query(w, r);
    attnc_rowacc(w.o, w.qt, w.S, F);
)";
  emitStoreRow(/*normalizeSum=*/false, "t0 + r - off", "    ", os);
  os << "  }\n}\n";

  os << "\n// S = gamma_L S + sum_j (decay from j to the chunk end) k_j u_j^T; "
        "w.cw[j] keeps\n// that decay (the chunk-parallel form reads it).\n"
        "static void attnc_delta_state(AttncWork &w, int L) {\n";
  if (gated)
    os << "  const float gL = w.sg[L] * expf((float)w.A[L]);\n"
          "  for (int j = 0; j < L; ++j) w.cw[j] = "
       << gate("L", "j + 1") << ";\n";
  else
    os << "  for (int j = 0; j < L; ++j) w.cw[j] = 1.0f;\n";
  os << "  for (int f = 0; f < F; ++f) {\n"
        "    float *s = w.S + f * DV;\n";
  if (gated)
    os << "    for (int e = 0; e < DV; ++e) s[e] *= gL;\n";
  os << "    for (int j = 0; j < L; ++j) w.xs[j] = w.cw[j] * w.Kf[j * F + f];\n"
     << "    attnc_rowacc(s, w.xs, w.U, L);\n"
     << "  }\n}\n";
  if (chunkParallel) {
    os << "\n// The chunk's carry (chunk-parallel form): S_after = M S0 + "
          "dS with\n// M = gamma_L I - Kd^T W (F x F), Kd_j = w.cw[j] k_j "
          "(after attnc_delta_state).\n"
          "static void attnc_delta_carry(AttncWork &w, int L, float *M) {\n"
       << "  const float gL = "
       << (gated ? "w.sg[L] * expf((float)w.A[L])" : "1.0f") << ";\n"
       << R"(  for (int f = 0; f < F; ++f) {
    float *mf = M + (long long)f * F;
    memset(mf, 0, sizeof(float) * F);
    mf[f] = gL;
    for (int j = 0; j < L; ++j) attnc_axpy(mf, -w.cw[j] * w.Kf[j * F + f], w.W + j * F, F);
  }
}
)";
  }
  if (!sequential)
    return;
  emitCausalTaskPrologue(os);
  if (gated)
    os << "    attnc_chunk_gates(args, b, h, t0, L, w.A, w.sg);\n";
  os << "    attnc_delta_wy(w, L);\n"
        "    attnc_delta_out(args, b, h, w, t0, L, r0);\n"
        "    attnc_delta_state(w, L);\n"
        "  }\n  attnc_state_store(args, b, h, w);\n}\n";
}

/// The task of one (b, h) for the delta rule with a per-channel gate D_t:
///   S_t = D_t (S_{t-1} - beta_t k_t y_t) + beta_t k_t v_t^T,  y_t = k_t^T
///   S_{t-1}.
/// The gate does not commute with k_t k_t^T, so the rank-one corrections
/// carry two decays: E(i, j) = prod of D over rows j..i-1 (per channel, from
/// the log-space sums: exp(A[i] - A[j]) <= 1). Within a chunk
///   S_r = E(r+1, 0) S0 + sum_{j<=r} [-beta_j (E(r+1, j) k_j) y_j + beta_j
///   (E(r+1, j+1) k_j) v_j^T]
/// and y solves (I + M1) Y = K^ S0 + M2 V with the strictly lower
/// M1_rj = beta_j k_r.(E(r, j) k_j), M2_rj = beta_j k_r.(E(r, j+1) k_j),
/// K^_r = E(r, 0) k_r: W = (I + M1)^{-1} K^, Y = W S0 + (I + M1)^{-1} M2 V,
/// the WY/UT form again with per-channel weights (one exponential per
/// pair and channel).
void emitDeltaVectorTask(bool sequential, bool chunkParallel, raw_ostream &os) {
  os << R"(
// sum_f a[f] b[f] E(to, from)[f] for to >= from.
static inline float attnc_pair(AttncWork &w, const float *a, const float *b, int to, int from) {
  const double *At = w.A + to * F, *Af = w.A + from * F;
  const float *st = w.sg + to * F, *sf = w.sg + from * F;
  for (int f = 0; f < F; ++f) w.pt[f] = (float)(At[f] - Af[f]);
  attnc_exp_inplace(w.pt, F);
  for (int f = 0; f < F; ++f) w.pt[f] *= st[f] * sf[f] * a[f];
  return attnc_dot(w.pt, b, F);
}

)";
  os << R"(// Forward substitution: W_r = K^_r - sum_{j<r} M1_rj W_j and
// U_r = sum_{j<r} M2_rj v_j - sum_{j<r} M1_rj U_j.
static void attnc_delta_wy(AttncWork &w, int L) {
  for (int r = 0; r < L; ++r) {
    const float *kr = w.Kf + r * F;
    float *Wr = w.W + r * F, *Ur = w.U + r * DV;
    float *m1 = w.P + r * CH, *m2 = w.P2 + r * CH;
    for (int f = 0; f < F; ++f) Wr[f] = (float)w.A[r * F + f];
    attnc_exp_inplace(Wr, F);
    for (int f = 0; f < F; ++f) Wr[f] *= w.sg[r * F + f] * kr[f];
    for (int j = 0; j < r; ++j) {
      m1[j] = -w.beta[j] * attnc_pair(w, kr, w.Kf + j * F, r, j);
      m2[j] = w.beta[j] * attnc_pair(w, kr, w.Kf + j * F, r, j + 1);
      attnc_axpy(Wr, m1[j], w.W + j * F, F);
    }
    for (int e = 0; e < DV; ++e) Ur[e] = 0.0f;
    attnc_rowacc(Ur, m2, w.V, r);
    attnc_rowacc(Ur, m1, w.U, r);
  }
}

// Y = W S0 + U (the rows' y_r against the state w.S before the chunk), then
// the rows [r0, L).
static void attnc_delta_out(const AttncKernelArgs &args, long long b, long long h, AttncWork &w,
                            long long t0, int L, int r0) {
  const long long off = args.kv_len - args.q_len; // query row i sits at position i + off
  const storage_t *qp = (const storage_t *)args.q + b * args.q_strides.s[0] + h * args.q_strides.s[1];
  storage_t *op_ = (storage_t *)args.o + b * args.o_strides.s[0] + h * args.o_strides.s[1];
  for (int r = 0; r < L; ++r) attnc_rowacc(w.U + r * DV, w.W + r * F, w.S, F);
  for (int r = r0; r < L; ++r)
    attnc_phi(args, b, h, t0 + r, qp + (t0 + r - off) * args.q_strides.s[2], w.Qf + r * F);
  for (int r = r0; r < L; ++r) {
    const float *q = w.Qf + r * F;
    float *c1 = w.P + r * CH, *c2 = w.P2 + r * CH;
    for (int e = 0; e < DV; ++e) w.o[e] = 0.0f;
    attnc_inter_query(w, r);
    attnc_rowacc(w.o, w.qt, w.S, F);
    for (int j = 0; j <= r; ++j) {
      c1[j] = -w.beta[j] * attnc_pair(w, q, w.Kf + j * F, r + 1, j);
      c2[j] = w.beta[j] * attnc_pair(w, q, w.Kf + j * F, r + 1, j + 1);
    }
    attnc_rowacc(w.o, c1, w.U, r + 1);
    attnc_rowacc(w.o, c2, w.V, r + 1);
)";
  emitStoreRow(/*normalizeSum=*/false, "t0 + r - off", "    ", os);
  os << R"(  }
}

// The weights of row f of the state update: w.xs[j] on y_j (-beta_j E(L, j)
// k_j[f]), w.cw[j] on v_j (beta_j E(L, j+1) k_j[f]); returns E(L, 0)[f].
static float attnc_delta_row_weights(AttncWork &w, int L, int f) {
  const double AL = w.A[L * F + f];
  const float sL = w.sg[L * F + f];
  for (int j = 0; j < L; ++j) {
    const float kb = w.beta[j] * w.Kf[j * F + f];
    w.xs[j] = -kb * sL * w.sg[j * F + f] * expf((float)(AL - w.A[j * F + f]));
    w.cw[j] = kb * sL * w.sg[(j + 1) * F + f] * expf((float)(AL - w.A[(j + 1) * F + f]));
  }
  return sL * expf((float)AL);
}

// S = E(L, 0) S0 + sum_j [-beta_j (E(L, j) k_j) y_j + beta_j (E(L, j+1) k_j) v_j^T]
// with Y in w.U.
static void attnc_delta_state(AttncWork &w, int L) {
  for (int f = 0; f < F; ++f) {
    float *s = w.S + f * DV;
    const float gL = attnc_delta_row_weights(w, L, f);
    for (int e = 0; e < DV; ++e) s[e] *= gL;
    attnc_rowacc(s, w.xs, w.U, L);
    attnc_rowacc(s, w.cw, w.V, L);
  }
}
)";
  if (chunkParallel)
    os << R"(
// The chunk's carry (chunk-parallel form): with Y = W S0 + U0, row f of the
// new state is E(L, 0)[f] S0[f] + sum_j w.xs[j] (W_j S0 + U0_j) + ..., so
// M[f] = E(L, 0)[f] e_f + sum_j w.xs[j] W_j.
static void attnc_delta_carry(AttncWork &w, int L, float *M) {
  for (int f = 0; f < F; ++f) {
    float *mf = M + (long long)f * F;
    memset(mf, 0, sizeof(float) * F);
    mf[f] = attnc_delta_row_weights(w, L, f);
    for (int j = 0; j < L; ++j) attnc_axpy(mf, w.xs[j], w.W + j * F, F);
  }
}
)";
  if (!sequential)
    return;
  emitCausalTaskPrologue(os);
  os << "    attnc_chunk_gates(args, b, h, t0, L, w.A, w.sg);\n"
        "    attnc_delta_wy(w, L);\n"
        "    attnc_delta_out(args, b, h, w, t0, L, r0);\n"
        "    attnc_delta_state(w, L);\n"
        "  }\n  attnc_state_store(args, b, h, w);\n}\n";
}

} // namespace

LogicalResult emitLinearCpu(attn::LinearAttentionOp op, raw_ostream &os) {
  // The algorithm comes from the chunk plan (attn-plan-chunks), never from
  // looking at the regions again: --emit=blocked shows what runs.
  FailureOr<LinearKernelPlan> read = readLinearPlan(op);
  if (failed(read))
    return failure();
  const LinearKernelPlan &plan = *read;
  const attn::DecayClass decay = plan.decay;
  const bool delta = plan.delta;
  const bool normalizeSum = plan.normalizeSum;

  os << "// Generated by attnc from '" << op.getSymName()
     << "'. CPU backend of the chunked linear schedule.\n"
     << "// Do not edit: regenerate with `attnc compile`.\n"
     << "// feature " << attn::stringifyFeature(op.getFeature()) << ", decay "
     << (decay == attn::DecayClass::none     ? "none"
         : decay == attn::DecayClass::scalar ? "scalar"
                                      : "per channel")
     << ", update " << attn::stringifyUpdate(op.getUpdate()) << ", normalize "
     << attn::stringifyNormalize(op.getNormalize())
     << (plan.bidirectional ? ", bidirectional" : ", causal") << "\n"
     << "// chunk plan: intra "
     << attn::stringifyIntra(op.getChunkPlanAttr().getIntra()) << ", inter "
     << attn::stringifyInter(op.getChunkPlanAttr().getInter()) << ", forms";
  for (attn::ChunkForm form : op.getChunkPlanAttr().getForms())
    os << " " << attn::stringifyChunkForm(form);
  os << "\n#include <math.h>\n#include <stdlib.h>\n#include <string.h>\n";
  if (plan.sequential && plan.chunkParallel)
    os << "#ifdef _OPENMP\n#include <omp.h> // omp_get_max_threads: the "
          "choice of form\n#endif\n";
  os << "\n";
  emitPrelude(os, Target::Cpu, dtypeShortName(op.getDtype()));
  emitParamReaders(os, op.getParams(), op.getHeads(), op.getHeadDim());

  os << "\n// ---- schedule ----\n"
     << "#define H " << op.getHeads() << "LL\n"
     << "#define G " << op.getKvHeads() << "LL\n"
     << "#define D " << op.getHeadDim() << "\n"
     << "#define DV " << op.getValueDim() << "\n"
     << "#define F " << op.getFeatureDim() << " // feature channels\n"
     << "#define CH " << plan.chunk << " // chunk length\n";
  if (plan.subChunk)
    os << "#define SUB " << plan.subChunk
       << " // sub-chunk of the per-channel gate\n";
  os << "static const float kScale = "
     << floatLiteral(op.getScale().convertToDouble()) << ";\n";

  emitHelpers(os);
  if (failed(emitLinearRegions(op, /*feature=*/false,
                               decay != attn::DecayClass::none, os)) ||
      failed(emitFeatureMap(op, os)))
    return failure();
  emitWorkspace(decay, delta, os);
  if (!plan.bidirectional)
    emitStateIo(os);
  emitGates(decay, os);
  emitLoadKeys(op, delta, os);
  emitInterQuery(decay, os);
  if (delta) {
    if (decay == attn::DecayClass::per_channel)
      emitDeltaVectorTask(plan.sequential, plan.chunkParallel, os);
    else
      emitDeltaTask(decay, plan.sequential, plan.chunkParallel, os);
  } else {
    emitAddState(decay, normalizeSum, os);
    if (plan.bidirectional) {
      emitAddBidirectionalTask(decay, normalizeSum, os);
    } else {
      emitIntra(decay, os);
      emitAddCausalTask(decay, normalizeSum, plan.sequential, os);
    }
  }
  if (plan.chunkParallel)
    emitChunkParallelForm(plan, os);
  if (plan.step)
    emitRecurrentStep(plan, os);
  emitLinearEntry(plan, cpuEntryName(op), os);
  return success();
}

} // namespace attnc
