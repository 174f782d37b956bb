//===- HybridCpuEmitter.cpp - The linear branch of a hybrid on CPU --------===//

#include "codegen/HybridCpuEmitter.h"

#include "codegen/ExprEmitter.h"
#include "codegen/FeatureMapEmitter.h"
#include "codegen/KernelPrelude.h"
#include "codegen/LinearRegions.h"
#include "lib/Analysis/MaskClauses.h"

using namespace mlir;

namespace attnc {
namespace {

std::string readParam(StringRef name, const std::vector<std::string> &idx) {
  return paramReadExpr(name, idx);
}

/// `attnc_complement(args, b, h, q, k, Nq, Nk)` and
/// `attnc_combine_weight(args, b, h, q, Nq, Nk)`.
LogicalResult emitRegions(attn::AttentionOp op, raw_ostream &os) {
  const std::vector<std::string> args = {"b", "h", "q", "k", "Nq", "Nk"};
  os << "// ---- complement: the linear branch's domain ----\n"
     << "ATTNC_HD bool attnc_complement(const AttncKernelArgs &args, long "
        "long b, long long h,\n    long long q, long long k, long long Nq, "
        "long long Nk) {\n"
     << "  (void)args; (void)b; (void)h; (void)q; (void)k; (void)Nq; "
        "(void)Nk;\n";
  FailureOr<std::string> complement = emitRegionAsC(
      op.getComplement().front(), args, readParam, "c", "  ", os);
  if (failed(complement))
    return failure();
  os << "  return " << *complement << ";\n}\n";
  os << "// ---- combine weight (add: the linear output's weight; shared: the "
        "softmax terms') ----\n"
     << "ATTNC_HD float attnc_combine_weight(const AttncKernelArgs &args, "
        "long long b, long long h,\n    long long q, long long Nq, long long "
        "Nk) {\n"
     << "  (void)args; (void)b; (void)h; (void)q; (void)Nq; (void)Nk;\n";
  FailureOr<std::string> weight = emitRegionAsC(
      op.getCombineWeight().front(), {"b", "h", "q", "Nq", "Nk"}, readParam,
      "w", "  ", os);
  if (failed(weight))
    return failure();
  os << "  return " << *weight << ";\n}\n";
  return success();
}

/// Per (b, h): phi(k_j) for every key and the prefix sums over k-tiles of
/// the block states, P[J] = sum over tiles < J of phi(K)^T V (F x DV) and
/// Z[J] = sum of phi(K) (F), in double so that differences of prefixes
/// keep their precision at long lengths.
void emitPrepare(raw_ostream &os) {
  os << R"(
typedef struct AttncHybrid {
  float *phik; // [B * H * Nk * HF]
  double *P;   // [B * H * (KB + 1) * HF * DV]
  double *Z;   // [B * H * (KB + 1) * HF]
} AttncHybrid;

static void attnc_hybrid_free(AttncHybrid *hy) {
  free(hy->phik);
  free(hy->P);
  free(hy->Z);
}

static int attnc_hybrid_prepare(const AttncKernelArgs *args, AttncHybrid *hy) {
  const long long Nk = args->kv_len, KB = (Nk + BK - 1) / BK, BH = args->batch * H;
  hy->phik = (float *)malloc(sizeof(float) * (size_t)(BH * Nk * HF));
  hy->P = (double *)malloc(sizeof(double) * (size_t)(BH * (KB + 1) * HF * DV));
  hy->Z = (double *)malloc(sizeof(double) * (size_t)(BH * (KB + 1) * HF));
  if (!hy->phik || !hy->P || !hy->Z) {
    attnc_hybrid_free(hy);
    return 1;
  }
#pragma omp parallel for schedule(dynamic, 1)
  for (long long bh = 0; bh < BH; ++bh) {
    const long long b = bh / H, h = bh % H, g = h / (H / G);
    const storage_t *kp = (const storage_t *)args->k + b * args->k_strides.s[0] + g * args->k_strides.s[1];
    const storage_t *vp = (const storage_t *)args->v + b * args->v_strides.s[0] + g * args->v_strides.s[1];
    float *phik = hy->phik + bh * Nk * HF;
    double *P = hy->P + bh * (KB + 1) * HF * DV, *Z = hy->Z + bh * (KB + 1) * HF;
    float x[D], v[DV];
    for (long long j = 0; j < Nk; ++j) {
      for (int d = 0; d < D; ++d) x[d] = attnc_load(kp + j * args->k_strides.s[2] + d);
      attnc_hphi(*args, b, h, j, x, phik + j * HF);
    }
    for (long long i = 0; i < HF * DV; ++i) P[i] = 0.0;
    for (long long f = 0; f < HF; ++f) Z[f] = 0.0;
    for (long long J = 0; J < KB; ++J) {
      double *Pn = P + (J + 1) * HF * DV, *Zn = Z + (J + 1) * HF;
      memcpy(Pn, P + J * HF * DV, sizeof(double) * HF * DV);
      memcpy(Zn, Z + J * HF, sizeof(double) * HF);
      const long long j1 = attnc_mini((J + 1) * BK, Nk);
      for (long long j = J * BK; j < j1; ++j) {
        for (int e = 0; e < DV; ++e) v[e] = attnc_load(vp + j * args->v_strides.s[2] + e);
        const float *pk = phik + j * HF;
        for (long long f = 0; f < HF; ++f) {
          const double pf = pk[f];
          double *row = Pn + f * DV;
          for (int e = 0; e < DV; ++e) row[e] += pf * v[e];
          Zn[f] += pf;
        }
      }
    }
  }
  return 0;
}
)";
}

/// One q-block's linear branch: `vis[kb]` is 0 for tiles the softmax branch
/// skipped, 1 for partial and 2 for full tiles it visited. Complement tiles
/// that are full and unvisited fold into runs of prefix differences; every
/// other complement tile is evaluated element by element, taking the
/// elements outside the softmax branch.
void emitRows(raw_ostream &os) {
  os << R"(
static void attnc_hybrid_rows(const AttncKernelArgs &args, const AttncHybrid *hy, long long b,
                              long long h, long long qb, int rows, const float (*Q)[D],
                              const unsigned char *vis, double (*num)[DV], double *den) {
  const long long Nq = args.q_len, Nk = args.kv_len, offset = Nk - Nq, row0 = qb * BQ;
  const long long g = h / (H / G), KB = (Nk + BK - 1) / BK, bh = b * H + h;
  const float *phik = hy->phik + bh * Nk * HF;
  const double *P = hy->P + bh * (KB + 1) * HF * DV, *Z = hy->Z + bh * (KB + 1) * HF;
  const storage_t *vp = (const storage_t *)args.v + b * args.v_strides.s[0] + g * args.v_strides.s[1];
  float *phq = (float *)malloc(sizeof(float) * BQ * HF);
  double *hs = (double *)calloc((size_t)(HF * DV + HF), sizeof(double));
  if (!phq || !hs) { free(phq); free(hs); return; }
  double *zs = hs + HF * DV;
  for (int r = 0; r < rows; ++r) {
    attnc_hphi(args, b, h, row0 + r + offset, Q[r], phq + r * HF);
    den[r] = 0.0;
    for (int e = 0; e < DV; ++e) num[r][e] = 0.0;
  }
  const AttncComplementPlan cp = attnc_complement_plan_qblock(qb, Nq, Nk);
  long long run_lo = -1, run_hi = -2;
  float v[DV];
  for (long long kb = attnc_complement_plan_next(cp, -1);; kb = attnc_complement_plan_next(cp, kb)) {
    const bool full = kb >= 0 && attnc_complement_plan_full(cp, kb);
    const bool fold = full && !vis[kb];
    if (fold && kb == run_hi + 1) { run_hi = kb; continue; }
    if (run_lo >= 0) { // a run of folded tiles ends: add P[hi + 1] - P[lo]
      const double *a = P + run_lo * HF * DV, *z = P + (run_hi + 1) * HF * DV;
      for (long long i = 0; i < HF * DV; ++i) hs[i] += z[i] - a[i];
      for (long long f = 0; f < HF; ++f) zs[f] += Z[(run_hi + 1) * HF + f] - Z[run_lo * HF + f];
      run_lo = -1; run_hi = -2;
    }
    if (kb < 0) break;
    if (fold) { run_lo = run_hi = kb; continue; }
    const long long col0 = kb * BK;
    const int cols = (int)attnc_mini(BK, Nk - col0);
    for (int c = 0; c < cols; ++c) {
      const long long j = col0 + c;
      for (int e = 0; e < DV; ++e) v[e] = attnc_load(vp + j * args.v_strides.s[2] + e);
      const float *pk = phik + j * HF;
      for (int r = 0; r < rows; ++r) {
        const long long qpos = row0 + r + offset;
        if (vis[kb] == 2 || (vis[kb] == 1 && attnc_mask(args, b, h, qpos, j, Nq, Nk)))
          continue; // the softmax branch's element
        if (!full && !attnc_complement(args, b, h, qpos, j, Nq, Nk))
          continue;
        double w = 0.0;
        const float *pq = phq + r * HF;
        for (long long f = 0; f < HF; ++f) w += (double)pq[f] * pk[f];
        den[r] += w;
        for (int e = 0; e < DV; ++e) num[r][e] += w * v[e];
      }
    }
  }
  // The folded tiles: phi(q_i) . (sum of their states).
  for (int r = 0; r < rows; ++r) {
    const float *pq = phq + r * HF;
    for (long long f = 0; f < HF; ++f) {
      const double pf = pq[f];
      if (pf == 0.0) continue;
      den[r] += pf * zs[f];
      const double *row = hs + f * DV;
      for (int e = 0; e < DV; ++e) num[r][e] += pf * row[e];
    }
  }
  free(phq);
  free(hs);
}
)";
}

} // namespace

LogicalResult emitHybridCommon(attn::AttentionOp op, raw_ostream &os) {
  attn::ScheduleAttr s = op.getScheduleAttr();
  if (!op.getComplementMapAttr())
    return op.emitError() << "a hybrid kernel needs the complement's block "
                             "map (run the attnc pipeline)";
  os << "\n// ---- hybrid: the linear branch (docs/language.md §8b) ----\n"
     << "#define HF " << op.getHybridFeatureDim() << "LL\n"
     << "#define ATTNC_COMBINE_SHARED "
     << (*op.getCombine() == attn::Combine::shared ? 1 : 0) << "\n";
  emitBlockPlan(os, clausesFromAttr(op.getComplementMapAttr()),
                s.getBlockQ(), s.getBlockK(), "complement");
  if (failed(emitRegions(op, os)))
    return failure();
  const int weight = op.getHybridFeatureParam()
                         ? paramIndexOf(op.getParams(), *op.getHybridFeatureParam())
                         : -1;
  return emitFeatureMapFunction(os, "attnc_hphi", *op.getHybridFeature(),
                                op.getHybridPhi().front(), weight);
}

LogicalResult emitHybridCpuSupport(attn::AttentionOp op, raw_ostream &os) {
  if (failed(emitHybridCommon(op, os)))
    return failure();
  emitPrepare(os);
  emitRows(os);
  return success();
}

} // namespace attnc
