//===- LinearCpuForms.cpp - Kernel forms of the linear CPU backend --------===//
//
// This file implements the kernel forms of the linear CPU backend beside the
// sequential chunk loop of LinearCpuEmitter.cpp, as `#attn.chunk_plan` lists
// them:
//
//   chunk_parallel  when B*H tasks cannot fill the threads, the chunks are
//                   the parallel work: each chunk's own state contribution
//                   and how it carries the state before it (a decay for
//                   update add, an F x F matrix for the delta rule), a scan
//                   over the chunk states (per state row or column, so it
//                   is parallel too), then each chunk's outputs against its
//                   incoming state. Not for a per-channel gate with the
//                   delta rule (its carry has pairwise per-channel decays).
//   recurrent_step  decoding (Nq == Nk == 1): one update of the carried
//                   state and one output row, without chunk buffers or
//                   log-space gates.
//
// and the entry point that picks the form by shape (docs/codegen.md).
//
//===----------------------------------------------------------------------===//

#include "codegen/LinearCpuForms.h"

#include "codegen/KernelPrelude.h"
#include "codegen/KernelReader.h"

using namespace mlir;

namespace attnc {

FailureOr<LinearKernelPlan> readLinearPlan(attn::LinearAttentionOp op) {
  attn::ChunkPlanAttr chunkPlan = op.getChunkPlanAttr();
  if (!chunkPlan)
    return op.emitError() << "the CPU emitter needs the op's chunk plan (run "
                             "the attnc pipeline)";
  FailureOr<LinearKernel> kernel = readLinearKernelOf(op, attn::Target::cpu);
  if (failed(kernel))
    return failure();
  auto cpuPlan = cast<attn::CpuPlanAttr>(kernel->op.getPlan());
  LinearKernelPlan plan;
  plan.chunk = kernel->chunk;
  plan.subChunk = chunkPlan.getSubChunk();
  switch (chunkPlan.getInter()) {
  case attn::Inter::state_add:
    break;
  case attn::Inter::scalar_decay:
    plan.decay = attn::DecayClass::scalar;
    break;
  case attn::Inter::vector_decay:
    plan.decay = attn::DecayClass::per_channel;
    break;
  case attn::Inter::delta_wy:
    plan.delta = true;
    break;
  case attn::Inter::gated_delta_wy:
    plan.delta = true;
    plan.decay = attn::DecayClass::scalar;
    break;
  case attn::Inter::vector_gated_delta_wy:
    plan.delta = true;
    plan.decay = attn::DecayClass::per_channel;
    break;
  }
  plan.bidirectional = chunkPlan.getIntra() == attn::Intra::none;
  plan.normalizeSum = op.getNormalize() == attn::Normalize::sum;
  plan.sequential = kernel->sequential;
  plan.chunkParallel = kernel->chunkParallel;
  plan.step = kernel->recurrentStep;
  // The rest of the algorithm is the chunk plan's; the kernel must agree.
  if (kernel->inter != chunkPlan.getInter() ||
      kernel->intra != chunkPlan.getIntra() ||
      kernel->decay != plan.decay || kernel->delta != plan.delta)
    return kernel->op.emitError() << "the kernel's chunk structure does not "
                                    "match the chunk plan of '"
                                 << op.getSymName() << "'";
  if (plan.delta)
    plan.betaRead = paramReadExpr(*op.getBetaParam(), {"b", "h", "0"});
  plan.memoKeys = cpuPlan.getMemoKeys();
  return plan;
}

/// Pointers to the k and v rows of head (b, h) (its kv group g).
static void emitKvPointers(raw_ostream &os) {
  os << "  const long long g = h / (H / G);\n"
        "  const storage_t *kp = (const storage_t *)args.k + b * "
        "args.k_strides.s[0] + g * args.k_strides.s[1];\n"
        "  const storage_t *vp = (const storage_t *)args.v + b * "
        "args.v_strides.s[0] + g * args.v_strides.s[1];\n";
}

/// Points the workspace at chunk t's memo slots (the caller saved the
/// thread's own pointers in `own`).
static void emitMemoIn(const LinearKernelPlan &plan, raw_ostream &os) {
  if (plan.memoKeys)
    os << "  w.Kf = m.Kf;\n  w.V = m.V;\n";
  if (plan.memoKeys && plan.delta)
    os << "  w.beta = m.beta;\n";
  if (plan.decay != attn::DecayClass::none)
    os << "  w.A = m.A;\n  w.sg = m.sg;\n";
  if (plan.delta)
    os << "  w.W = m.W;\n  w.U = m.U;\n";
}

/// `AttncMemo`: what phase 1 computes that phase 3 of the same chunk needs
/// again, kept per chunk instead of recomputed: the log-space gates (one
/// decay evaluation per row and channel), the delta rule's W and U0 (a
/// forward substitution) and, when phi costs more than a copy
/// (LinearKernelPlan::memoKeys), phi(k), v (and beta). Measured with one
/// thread, recomputing gates, W and U0 made the per-channel gate and Gated
/// DeltaNet cost 1.7-1.9x the sequential form's work; keeping phi(k) took
/// elu1 without a gate from 1.5x to 1.15x but an identity map with a scalar
/// gate from 1.3x to 1.6x (the memory traffic costs more than the copy).
static void emitMemo(const LinearKernelPlan &plan, raw_ostream &os) {
  const bool gated = plan.decay != attn::DecayClass::none;
  const char *gates = plan.decay == attn::DecayClass::per_channel ? "(CH + 1) * F" : "(CH + 1)";
  os << "\ntypedef struct AttncMemo {\n"
        "  float *Kf; // phi(k), v and beta of the chunk (attnc_load_keys)\n"
        "  float *V;\n"
        "  float *beta;\n"
        "  double *A; // log-space gate sums of the chunk (attnc_chunk_gates)\n"
        "  float *sg;\n"
        "  float *W;  // delta rule: W and U0 of attnc_delta_wy\n"
        "  float *U;\n"
        "} AttncMemo;\n\n"
        "static AttncMemo attnc_memo_at(const AttncMemo &memo, long long t) {\n"
        "  AttncMemo m = {0, 0, 0, 0, 0, 0, 0};\n"
        "  (void)t;\n";
  if (plan.memoKeys)
    os << "  m.Kf = memo.Kf + t * CH * F;\n"
          "  m.V = memo.V + t * CH * DV;\n";
  if (plan.memoKeys && plan.delta)
    os << "  m.beta = memo.beta + t * CH;\n";
  if (gated)
    os << "  m.A = memo.A + t * " << gates << ";\n"
       << "  m.sg = memo.sg + t * " << gates << ";\n";
  if (plan.delta)
    os << "  m.W = memo.W + t * CH * F;\n  m.U = memo.U + t * CH * DV;\n";
  os << "  return m;\n}\n\n"
        "static bool attnc_memo_ok(const AttncMemo &memo) {\n"
        "  (void)memo;\n"
     << "  return true" << (plan.memoKeys ? " && memo.Kf && memo.V" : "")
     << (plan.memoKeys && plan.delta ? " && memo.beta" : "")
     << (gated ? " && memo.A && memo.sg" : "")
     << (plan.delta ? " && memo.W && memo.U" : "") << ";\n}\n\n"
     << "static void attnc_memo_free(AttncMemo &memo) {\n"
        "  free(memo.Kf); free(memo.V); free(memo.beta);\n"
        "  free(memo.A); free(memo.sg); free(memo.W); free(memo.U);\n}\n";
}

/// The memo's buffers for `heads * chunks` chunks.
static void emitMemoAlloc(const LinearKernelPlan &plan, raw_ostream &os) {
  const char *gates = plan.decay == attn::DecayClass::per_channel ? "(CH + 1) * F" : "(CH + 1)";
  os << "  AttncMemo memo = {0, 0, 0, 0, 0, 0, 0};\n";
  if (plan.memoKeys)
    os << "  memo.Kf = (float *)malloc(sizeof(float) * heads * chunks * CH * "
          "F);\n"
          "  memo.V = (float *)malloc(sizeof(float) * heads * chunks * CH * "
          "DV);\n";
  if (plan.memoKeys && plan.delta)
    os << "  memo.beta = (float *)malloc(sizeof(float) * heads * chunks * "
          "CH);\n";
  if (plan.decay != attn::DecayClass::none)
    os << "  memo.A = (double *)malloc(sizeof(double) * heads * chunks * "
       << gates << ");\n"
       << "  memo.sg = (float *)malloc(sizeof(float) * heads * chunks * "
       << gates << ");\n";
  if (plan.delta)
    os << "  memo.W = (float *)malloc(sizeof(float) * heads * chunks * CH * "
          "F);\n"
          "  memo.U = (float *)malloc(sizeof(float) * heads * chunks * CH * "
          "DV);\n";
}

/// Phase 1 of the delta rule: dS_c from a zero state and the chunk's
/// transition M_c, so that S_after = M_c S_before + dS_c.
static void emitDeltaLocal(const LinearKernelPlan &plan, raw_ostream &os) {
  const bool gated = plan.decay != attn::DecayClass::none;
  os << R"(
// The delta rule's chunk is affine in the state before it: S_after = M_c S
// + dS_c, with dS_c what attnc_delta_state gives from a zero state (U =
// U0) and M_c from attnc_delta_carry (gamma_L I - Kd^T W for a scalar gate,
// Kd_j = k_j decayed to the chunk end; per row for a per-channel gate).
static void attnc_par_local(const AttncKernelArgs &args, long long b, long long h, long long c,
                            AttncWork &w, float *S, float *z, float *M, const AttncMemo &m) {
  const long long t0 = c * CH;
  const int L = (int)attnc_mini(CH, args.kv_len - t0);
  (void)z;
)";
  emitKvPointers(os);
  os << "  const AttncWork own = w;\n";
  emitMemoIn(plan, os);
  os << "  attnc_load_keys(args, w, b, h, kp, vp, t0, L);\n";
  if (gated)
    os << "  attnc_chunk_gates(args, b, h, t0, L, w.A, w.sg);\n";
  os << R"(  attnc_delta_wy(w, L);
  // From a zero state U = U0 and attnc_delta_state writes dS_c.
  w.S = S;
  memset(S, 0, sizeof(float) * F * DV);
  attnc_delta_state(w, L);
)";
  os << "  attnc_delta_carry(w, L, M);\n";
  os << R"(  w = own;
}

// Phase 2: the scan S_in[c + 1] = M_c S_in[c] + dS_c runs per column e of
// the state (columns are independent: M_c acts on rows); s and t are two
// columns of F floats.
static void attnc_par_scan(const AttncKernelArgs &args, long long head, int e, long long chunks,
                           float *cs, float *cz, const float *cg, float *s) {
  (void)cz;
  float *t = s + F;
  for (int f = 0; f < F; ++f) s[f] = args.state_in ? args.state_in[(head * F + f) * DV + e] : 0.0f;
  for (long long c = 0; c < chunks; ++c) {
    const float *M = cg + (head * chunks + c) * F * F;
    float *d = cs + (head * chunks + c) * F * DV;
    for (int f = 0; f < F; ++f) t[f] = attnc_dot(M + (long long)f * F, s, F) + d[f * DV + e];
    for (int f = 0; f < F; ++f) {
      d[f * DV + e] = s[f];
      s[f] = t[f];
    }
  }
  if (args.state_out)
    for (int f = 0; f < F; ++f) args.state_out[(head * F + f) * DV + e] = s[f];
  // The delta rule has no normalizer: z is carried unchanged.
  if (args.z_out && e == 0)
    for (int f = 0; f < F; ++f) args.z_out[head * F + f] = args.z_in ? args.z_in[head * F + f] : 0.0f;
}
)";
}

/// Phase 1 and 2 of update add: dS_c and the chunk's total decay g_c; the
/// scan per (head, state row).
static void emitAddLocal(const LinearKernelPlan &plan, raw_ostream &os) {
  const bool gated = plan.decay != attn::DecayClass::none;
  const bool sum = plan.normalizeSum;
  const char *gateWidth = plan.decay == attn::DecayClass::per_channel ? "F" : "1";
  os << R"(
static void attnc_par_local(const AttncKernelArgs &args, long long b, long long h, long long c,
                            AttncWork &w, float *S, float *z, float *gate, const AttncMemo &m) {
  const long long t0 = c * CH;
  const int L = (int)attnc_mini(CH, args.kv_len - t0);
)";
  emitKvPointers(os);
  os << "  const AttncWork own = w;\n";
  emitMemoIn(plan, os);
  os << "  attnc_load_keys(args, w, b, h, kp, vp, t0, L);\n";
  if (gated)
    os << "  attnc_chunk_gates(args, b, h, t0, L, w.A, w.sg);\n";
  os << "  // attnc_add_state from a zero state writes dS_c into the chunk's "
        "slot.\n"
        "  w.S = S;\n"
        "  memset(S, 0, sizeof(float) * F * DV);\n";
  if (sum)
    os << "  w.z = z;\n  memset(z, 0, sizeof(float) * F);\n";
  else
    os << "  (void)z;\n";
  os << "  attnc_add_state(w, L);\n";
  switch (plan.decay) {
  case attn::DecayClass::none:
    os << "  (void)gate;\n";
    break;
  case attn::DecayClass::scalar:
    os << "  gate[0] = w.sg[L] * expf((float)w.A[L]);\n";
    break;
  case attn::DecayClass::per_channel:
    os << "  for (int f = 0; f < F; ++f) gate[f] = w.sg[L * F + f] * "
          "expf((float)w.A[L * F + f]);\n";
    break;
  }
  os << "  w = own;\n}\n";

  // Rows of the state are independent under update add, so the scan runs
  // per (head, row); each task reads its row of state_in before writing
  // that row of state_out (they may alias).
  os << R"(
// Phase 2: the scan S_in[c + 1] = g_c S_in[c] + dS_c per state row f.
static void attnc_par_scan(const AttncKernelArgs &args, long long head, int f, long long chunks,
                           float *cs, float *cz, const float *cg, float *s) {
  const long long row = head * F + f;
  if (args.state_in) memcpy(s, args.state_in + row * DV, sizeof(float) * DV);
  else memset(s, 0, sizeof(float) * DV);
)";
  if (sum)
    os << "  float zr = args.z_in ? args.z_in[row] : 0.0f;\n";
  os << "  for (long long c = 0; c < chunks; ++c) {\n"
        "    float *d = cs + ((head * chunks + c) * F + f) * DV;\n";
  if (gated)
    os << "    const float gc = cg[(head * chunks + c) * " << gateWidth
       << (plan.decay == attn::DecayClass::per_channel ? " + f" : "") << "];\n"
       << "    for (int e = 0; e < DV; ++e) {\n"
          "      const float x = d[e];\n"
          "      d[e] = s[e];\n"
          "      s[e] = gc * s[e] + x;\n"
          "    }\n";
  else
    os << "    (void)cg;\n"
          "    for (int e = 0; e < DV; ++e) {\n"
          "      const float x = d[e];\n"
          "      d[e] = s[e];\n"
          "      s[e] += x;\n"
          "    }\n";
  if (sum)
    os << "    float *dz = cz + (head * chunks + c) * F + f;\n"
          "    const float x = *dz;\n"
          "    *dz = zr;\n"
       << (gated ? "    zr = gc * zr + x;\n" : "    zr += x;\n");
  os << "  }\n"
        "  if (args.state_out) memcpy(args.state_out + row * DV, s, "
        "sizeof(float) * DV);\n";
  if (sum)
    os << "  if (args.z_out) args.z_out[row] = zr;\n";
  else
    os << "  (void)cz;\n"
          "  // normalize none carries z unchanged, as the sequential form "
          "does.\n"
          "  if (args.z_out) args.z_out[row] = args.z_in ? args.z_in[row] : "
          "0.0f;\n";
  os << "}\n";
}

void emitChunkParallelForm(const LinearKernelPlan &plan, raw_ostream &os) {
  const bool gated = plan.decay != attn::DecayClass::none;
  const bool sum = plan.normalizeSum;
  // Per chunk: the total decay (one float or one per state row) for update
  // add, the F x F transition for the delta rule.
  const char *chunkGate = plan.delta                        ? "F * F"
                          : plan.decay == attn::DecayClass::per_channel ? "F"
                                                            : "1";
  const bool hasChunkGate = gated || plan.delta;
  os << R"(
// ---- form chunk_parallel: chunk states in parallel, a scan, outputs in parallel ----
// Phase 1, per (head, chunk c): the chunk's own contribution dS_c to the
// state (from a zero state) and how it carries the state before it. Phase
// 2: the scan S_in[c + 1] = (carry of chunk c)(S_in[c]) + dS_c from
// state_in, which leaves S_in[c] where dS_c was and the last state in
// state_out. Phase 3, per (head, chunk): the chunk's rows against S_in[c],
// through the same chunk body as the sequential form.
)";
  emitMemo(plan, os);
  if (plan.delta)
    emitDeltaLocal(plan, os);
  else
    emitAddLocal(plan, os);

  os << R"(
static void attnc_par_out(const AttncKernelArgs &args, long long b, long long h, long long c,
                          AttncWork &w, float *S, float *z, const AttncMemo &m) {
  const long long Nq = args.q_len, Nk = args.kv_len, off = Nk - Nq, t0 = c * CH;
  if (c == 0) {
    // Rows at negative positions (Nq > Nk) see no key.
    storage_t *op_ = (storage_t *)args.o + b * args.o_strides.s[0] + h * args.o_strides.s[1];
    for (long long i = 0; i < Nq && i + off < 0; ++i)
      for (int e = 0; e < DV; ++e) attnc_store(op_ + i * args.o_strides.s[2] + e, 0.0f);
  }
  const int L = (int)attnc_mini(CH, Nk - t0);
  const int r0 = (int)attnc_mini(L, attnc_maxi(0, off - t0)); // rows [r0, L) have queries
  if (r0 >= L) return;
)";
  if (!plan.memoKeys) {
    emitKvPointers(os);
    os << "  attnc_load_keys(args, w, b, h, kp, vp, t0, L);\n";
  }
  std::string kept;
  auto keep = [&](bool cond, const char *what) {
    if (cond)
      kept += (kept.empty() ? "" : ", ") + std::string(what);
  };
  keep(plan.decay != attn::DecayClass::none, "gates");
  keep(plan.delta, "W, U0");
  keep(plan.memoKeys, "phi(k), v");
  if (!kept.empty())
    os << "  // Phase 1 left this chunk's " << kept << " in the memo.\n";
  os << "  const AttncWork own = w;\n";
  emitMemoIn(plan, os);
  os << "  w.S = S;\n";
  if (sum)
    os << "  w.z = z;\n";
  else
    os << "  (void)z;\n";
  os << (plan.delta ? "  attnc_delta_out(args, b, h, w, t0, L, r0);\n"
                    : "  attnc_chunk_out(args, b, h, w, t0, L, r0);\n")
     << "  w = own;\n}\n";

  os << R"(
static int attnc_chunk_parallel(const AttncKernelArgs &args, long long heads) {
  const long long chunks = (args.kv_len + CH - 1) / CH;
  float *cs = (float *)malloc(sizeof(float) * heads * chunks * F * DV); // dS_c, then S_in[c]
)";
  os << "  float *cz = " << (sum ? "(float *)malloc(sizeof(float) * heads * "
                                  "chunks * F); // dz_c, then z_in[c]"
                                : "0;")
     << "\n";
  os << "  float *cg = "
     << (hasChunkGate ? std::string("(float *)malloc(sizeof(float) * heads * "
                                    "chunks * ") +
                            chunkGate +
                            (plan.delta ? "); // M_c" : "); // g_c")
                      : std::string("0;"))
     << "\n";
  emitMemoAlloc(plan, os);
  os << "  if (!cs" << (sum ? " || !cz" : "") << (hasChunkGate ? " || !cg" : "")
     << " || !attnc_memo_ok(memo)"
     << R"() {
    // 3: no memory for the chunk states; the entry point may fall back to
    // the sequential form, which needs none.
    free(cs); free(cz); free(cg); attnc_memo_free(memo);
    return 3;
  }
  int failed = 0;
#pragma omp parallel
  {
    AttncWork w;
    const bool ok = attnc_work_alloc(&w);
    if (!ok) {
#pragma omp atomic write
      failed = 1;
    }
    // A thread without a workspace skips its tasks; the call then fails.
#pragma omp for schedule(dynamic, 1)
    for (long long t = 0; t < heads * chunks; ++t)
      if (ok)
        attnc_par_local(args, t / chunks / H, t / chunks % H, t % chunks, w, cs + t * F * DV,
                        cz ? cz + t * F : 0, )"
     << (hasChunkGate ? std::string("cg + t * ") + chunkGate
                      : std::string("0"))
     << ", attnc_memo_at(memo, t));\n";
  if (plan.delta)
    os << R"(#pragma omp for schedule(static)
    for (long long t = 0; t < heads * DV; ++t)
      if (ok) attnc_par_scan(args, t / DV, (int)(t % DV), chunks, cs, cz, cg, w.Kf);
)";
  else
    os << R"(#pragma omp for schedule(static)
    for (long long t = 0; t < heads * F; ++t)
      if (ok) attnc_par_scan(args, t / F, (int)(t % F), chunks, cs, cz, cg, w.o);
)";
  os << R"(#pragma omp for schedule(dynamic, 1)
    for (long long t = 0; t < heads * chunks; ++t)
      if (ok)
        attnc_par_out(args, t / chunks / H, t / chunks % H, t % chunks, w, cs + t * F * DV,
                      cz ? cz + t * F : 0, attnc_memo_at(memo, t));
    if (ok) attnc_work_free(&w);
  }
  free(cs); free(cz); free(cg); attnc_memo_free(memo);
  return failed ? 2 : 0;
}
)";
}

void emitRecurrentStep(const LinearKernelPlan &plan, raw_ostream &os) {
  const bool sum = plan.normalizeSum;
  os << R"(
// ---- form recurrent_step: one token (Nq == Nk == 1), state in, state out ----
// Decoding: S = gate S + phi(k) v^T (the delta rule: S = gate (S - beta
// phi(k) y^T) + beta phi(k) v^T with y = S^T phi(k)), then o = scale phi(q) S
// (/ phi(q) . z). The state is updated in place in state_out when given; one
// step multiplies by its gate once, so no log-space sums and no chunk
// buffers are needed.
typedef struct AttncStep {
  float *S, *z; // the state when the caller wants none back
  float *kf, *qf; // [F] phi(k), phi(q)
  float *v, *y; // [DV] the value row; y = S^T phi(k), then the output row
} AttncStep;

static void attnc_step_head(const AttncKernelArgs &args, long long b, long long h, const AttncStep &st) {
  const long long head = b * H + h;
  const storage_t *qp = (const storage_t *)args.q + b * args.q_strides.s[0] + h * args.q_strides.s[1];
  storage_t *op_ = (storage_t *)args.o + b * args.o_strides.s[0] + h * args.o_strides.s[1];
)";
  emitKvPointers(os);
  os << R"(  // The state of this head lives in state_out when given (which may be
  // state_in: decoding in place), else in scratch.
  float *S = args.state_out ? args.state_out + head * F * DV : st.S;
  if (!args.state_in) memset(S, 0, sizeof(float) * F * DV);
  else if (args.state_in + head * F * DV != S) memcpy(S, args.state_in + head * F * DV, sizeof(float) * F * DV);
  float *z = args.z_out ? args.z_out + head * F : st.z;
  if (!args.z_in) memset(z, 0, sizeof(float) * F);
  else if (args.z_in + head * F != z) memcpy(z, args.z_in + head * F, sizeof(float) * F);
  attnc_phi(args, b, h, 0, kp, st.kf);
  attnc_phi(args, b, h, 0, qp, st.qf);
  for (int e = 0; e < DV; ++e) st.v[e] = attnc_load(vp + e);
)";
  if (plan.delta)
    os << "  const float beta = " << plan.betaRead << ";\n"
       << "  // y = S^T phi(k), read before S changes.\n"
          "  for (int e = 0; e < DV; ++e) st.y[e] = 0.0f;\n"
          "  attnc_rowacc(st.y, st.kf, S, F);\n";
  if (plan.decay == attn::DecayClass::scalar)
    os << "  const float gate = attnc_decay(args, b, h, 0, 0, args.q_len, "
          "args.kv_len);\n";
  os << "  for (int f = 0; f < F; ++f) {\n";
  if (plan.decay == attn::DecayClass::per_channel)
    os << "    const float gate = attnc_decay(args, b, h, 0, f, args.q_len, "
          "args.kv_len);\n";
  os << "    float *s = S + f * DV;\n";
  const bool gated = plan.decay != attn::DecayClass::none;
  if (plan.delta) {
    os << "    const float bk = beta * st.kf[f];\n"
       << "    for (int e = 0; e < DV; ++e) s[e] = "
       << (gated ? "gate * (s[e] - bk * st.y[e])" : "s[e] - bk * st.y[e]")
       << " + bk * st.v[e];\n";
  } else {
    os << "    const float kf = st.kf[f];\n"
       << "    for (int e = 0; e < DV; ++e) s[e] = "
       << (gated ? "gate * s[e]" : "s[e]") << " + kf * st.v[e];\n";
    if (sum)
      os << "    z[f] = " << (gated ? "gate * z[f]" : "z[f]") << " + kf;\n";
  }
  os << "  }\n";
  os << "  for (int e = 0; e < DV; ++e) st.y[e] = 0.0f;\n"
        "  attnc_rowacc(st.y, st.qf, S, F);\n";
  if (sum)
    os << "  const float den = attnc_dot(st.qf, z, F);\n"
          "  for (int e = 0; e < DV; ++e)\n"
          "    attnc_store(op_ + e, den != 0.0f ? kScale * st.y[e] / den : "
          "0.0f);\n";
  else
    os << "  for (int e = 0; e < DV; ++e) attnc_store(op_ + e, kScale * "
          "st.y[e]);\n";
  os << "}\n";

  os << R"(
static int attnc_decode_step(const AttncKernelArgs &args, long long heads) {
  int failed = 0;
#pragma omp parallel if (heads > 1)
  {
    AttncStep st;
    st.S = (float *)malloc(sizeof(float) * F * DV);
    st.z = (float *)malloc(sizeof(float) * F);
    st.kf = (float *)malloc(sizeof(float) * F);
    st.qf = (float *)malloc(sizeof(float) * F);
    st.v = (float *)malloc(sizeof(float) * DV);
    st.y = (float *)malloc(sizeof(float) * DV);
    const bool ok = st.S && st.z && st.kf && st.qf && st.v && st.y;
    if (!ok) {
#pragma omp atomic write
      failed = 1;
    }
#pragma omp for schedule(static)
    for (long long t = 0; t < heads; ++t)
      if (ok) attnc_step_head(args, t / H, t % H, st);
    free(st.S); free(st.z); free(st.kf); free(st.qf); free(st.v); free(st.y);
  }
  return failed ? 2 : 0;
}
)";
}

void emitLinearEntry(const LinearKernelPlan &plan, StringRef name,
                     raw_ostream &os) {
  if (plan.sequential && plan.chunkParallel)
    os << R"(
static int attnc_max_threads(void) {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}
)";
  os << "\nextern \"C\" int " << name << "(const AttncKernelArgs *args) {\n"
     << R"(  if (!args || args->batch <= 0 || args->q_len <= 0 || args->kv_len <= 0)
    return 1;
  const long long tasks = args->batch * H;
)";
  if (plan.step)
    os << "  // Decoding one token: form recurrent_step.\n"
          "  if (args->q_len == 1 && args->kv_len == 1) return "
          "attnc_decode_step(*args, tasks);\n";
  if (plan.chunkParallel && !plan.sequential) {
    os << "  // Form chunk_parallel, forced by the spec.\n"
          "  const int rc = attnc_chunk_parallel(*args, tasks);\n"
          "  return rc == 3 ? 2 : rc;\n}\n";
    return;
  }
  if (plan.chunkParallel)
    os << R"(  // Form chunk_parallel when the (b, h) tasks cannot keep every thread busy
  // and there is more than one chunk to spread; else sequential.
  // Without memory for its chunk states it falls back to sequential.
  const long long chunks = (args->kv_len + CH - 1) / CH;
  if (chunks > 1 && tasks < attnc_max_threads()) {
    const int rc = attnc_chunk_parallel(*args, tasks);
    if (rc != 3) return rc;
  }
)";
  os << R"(  // Form sequential: one task per (b, h) walks its chunks.
  int failed = 0;
#pragma omp parallel
  {
    AttncWork w;
    const bool ok = attnc_work_alloc(&w);
    if (!ok) {
#pragma omp atomic write
      failed = 1;
    }
#pragma omp for schedule(dynamic, 1)
    for (long long t = 0; t < tasks; ++t)
      if (ok) attnc_head(*args, t / H, t % H, w);
    if (ok) attnc_work_free(&w);
  }
  return failed ? 2 : 0;
}
)";
}

} // namespace attnc
