//===- CpuEmitter.cpp - The blocked softmax schedule as C++ ---------------===//
//
// This file implements the CPU backend for the softmax family. The emitted
// code follows the same schedule as the CUDA kernel: one task per
// (b, h, q-block); per task the k-blocks of the block plan in order; full
// blocks skip the mask; online softmax keeps a running max and sum per row.
// Loops are ordered so that the innermost one runs over contiguous floats
// without reductions (QK^T against a transposed K tile, PV row updates): the
// compiler vectorizes them without -ffast-math, which would break the
// -inf/NaN semantics the masks rely on.
//
//===----------------------------------------------------------------------===//

#include "codegen/CpuEmitter.h"

#include "codegen/DeviceSources.h"

#include "codegen/BackwardCpuEmitter.h"

#include "codegen/KernelReader.h"

#include "codegen/EmitterSupport.h"
#include "codegen/ExprEmitter.h"
#include "codegen/GridTilesEmitter.h"
#include "codegen/RoutingEmitter.h"
#include "codegen/HybridCpuEmitter.h"
#include "codegen/KernelPrelude.h"
#include "codegen/LinearCpuEmitter.h"
#include "lib/Analysis/MaskClauses.h"

#include "llvm/Support/Format.h"

using namespace mlir;

namespace attnc {

std::string cpuEntryName(Operation *op) {
  return "attnc_" + kernelBaseName(op) + "_cpu";
}

std::string cpuBlockMaskEntryName(Operation *op) {
  // A box plan walks its grid's classes; a block mask of flat tiles would
  // not fit its tiles.
  auto softmax = dyn_cast<attn::AttentionOp>(op);
  if (!softmax || !cpuGridBox(softmax).empty() || cpuPlanRouted(softmax))
    return "";
  return cpuEntryName(op) + "_block_mask";
}

int64_t blockMaskHeads(Operation *op) {
  auto softmax = dyn_cast<attn::AttentionOp>(op);
  if (!softmax)
    return 0;
  // Selection is per (b, h); the mask region's block arguments are
  // (b, h, q, k, Nq, Nk).
  if (softmax.getSelect())
    return softmax.getHeads();
  return softmax.getMask().front().getArgument(1).use_empty()
             ? 1
             : softmax.getHeads();
}

bool autoBlockMask(Operation *op) {
  auto softmax = dyn_cast<attn::AttentionOp>(op);
  // A routed CPU plan sorts instead (and exports no builder, so its CPU
  // manifest never says auto_block_mask); CUDA still builds the mask.
  if (!softmax || softmax.getSelect() || softmax.getHybridFeature() ||
      !cpuGridBox(softmax).empty())
    return false;
  bool readsParam = false;
  softmax.getMask().walk([&](attn::ParamOp) { readsParam = true; });
  return readsParam;
}

/// The block-classification entry (docs/runtime.md, "Runtime block masks"):
/// per row (b, h', q-block), the k-blocks of the static plan, each tile
/// classified by evaluating the mask on all its elements: none visible
/// drops it, all visible makes it full, anything else partial.
static void emitBlockMaskBuilder(attn::AttentionOp op, raw_ostream &os) {
  os << "// Runtime block mask: row r = (b * heads + h') * QB + qb writes its "
        "k-blocks\n"
        "// (ascending) to col[r * KB ...] and full[r * KB ...] and their "
        "number to counts[r];\n"
        "// KB = ceil(Nk / BK). *static_tiles (if not null) receives the "
        "tiles the static plan\n"
        "// visits over the same rows. Returns 0, or 1 for bad arguments.\n"
     << "extern \"C\" int " << cpuBlockMaskEntryName(op)
     << "(const AttncKernelArgs *args, int heads, int *counts, int *col,\n"
        "    unsigned char *full, long long *static_tiles) {\n"
     << R"(  if (!args || !counts || !col || !full || args->batch <= 0 || args->q_len <= 0 ||
      args->kv_len <= 0 || (heads != 1 && heads != H))
    return 1;
  const AttncKernelArgs &a = *args;
  // Rows over the call's (padded) blocks; each evaluated with its
  // sequence's own lengths (sequence.h: a ragged or paged batch's).
  const long long q_blocks = (a.q_len + BQ - 1) / BQ, k_blocks = (a.kv_len + BK - 1) / BK;
  const long long num_rows = a.batch * heads * q_blocks;
  long long visited = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(+ : visited)
  for (long long r = 0; r < num_rows; ++r) {
    const long long qb = r % q_blocks, h = (r / q_blocks) % heads, b = r / (q_blocks * heads);
    const AttncSequence seq = attnc_sequence(a, b);
    const long long Nq = seq.Nq, Nk = seq.Nk, offset = Nk - Nq;
    const long long row0 = qb * BQ;
    const int rows = (int)attnc_mini(BQ, Nq - row0);
    int *c_out = col + r * k_blocks;
    unsigned char *f_out = full + r * k_blocks;
    int n = 0;
    if (rows <= 0) { // past this sequence's queries
      counts[r] = 0;
      continue;
    }
    const AttncPlan plan = attnc_plan_qblock(qb, Nq, Nk);
    for (long long kb = attnc_plan_next(plan, -1); kb >= 0; kb = attnc_plan_next(plan, kb)) {
      ++visited;
      if (attnc_plan_full(plan, kb)) { // exact clauses: no need to look
        c_out[n] = (int)kb;
        f_out[n++] = 1;
        continue;
      }
      const long long col0 = kb * BK;
      const int cols = (int)attnc_mini(BK, Nk - col0);
      bool any = false, all = true;
      for (int i = 0; i < rows && (all || !any); ++i)
        for (int c = 0; c < cols; ++c) {
          const bool m = attnc_mask(a, b, h, row0 + i + offset, col0 + c, Nq, Nk);
          any = any || m;
          all = all && m;
        }
      if (!any) continue;
      c_out[n] = (int)kb;
      f_out[n++] = all ? 1 : 0;
    }
    counts[r] = n;
  }
  if (static_tiles) *static_tiles = visited;
  return 0;
}
)";
}

/// The block-mask entry of a spec with `select` (docs/language.md §8a):
/// per row (b, h, q-block), the candidate tiles of the static plan (those
/// holding a visible element), the content-based selection over them and
/// the kept tiles, in the reference executor's arithmetic (double, same
/// order), so that both pick the same tiles.
static void emitSelectingBlockMaskBuilder(attn::AttentionOp op,
                                          raw_ostream &os) {
  const bool topk = *op.getSelect() == attn::SelectRule::topk;
  const bool hasKeep = !op.getKeep().empty();
  os << "// Runtime block selection (" << (topk ? "topk" : "cumulative")
     << "): row r = (b * H + h) * QB + qb writes its selected k-blocks\n"
        "// (ascending) to col[r * KB ...] and full[r * KB ...] and their "
        "number to counts[r].\n"
     << "static const double kSelectValue = "
     << llvm::format("%.17g", op.getSelectValue()->convertToDouble()) << ";\n"
     << "static const double kScaleD = "
     << llvm::format("%.17g", op.getScale().convertToDouble()) << ";\n"
     << "// Products kept apart from the sums (no FMA contraction), as in the "
        "reference.\n"
        "static double attnc_mul_exact(double x, double y) {\n"
        "  volatile double p = x * y;\n  return p;\n}\n"
     << "extern \"C\" int " << cpuBlockMaskEntryName(op)
     << "(const AttncKernelArgs *args, int heads, int *counts, int *col,\n"
        "    unsigned char *full, long long *static_tiles) {\n"
     << R"(  if (!args || !counts || !col || !full || args->batch <= 0 || args->q_len <= 0 ||
      args->kv_len <= 0 || heads != H)
    return 1;
  const AttncKernelArgs &a = *args;
  const long long Nq = a.q_len, Nk = a.kv_len;
  const long long q_blocks = (Nq + BQ - 1) / BQ, k_blocks = (Nk + BK - 1) / BK;
  const long long num_rows = a.batch * H * q_blocks;
  const long long offset = Nk - Nq;
  // Mean k row of every (b, g, k-block), summed row by row in double.
  double *k_mean = (double *)malloc(sizeof(double) * (size_t)(a.batch * G * k_blocks * D));
  if (!k_mean) return 1;
#pragma omp parallel for schedule(dynamic, 1)
  for (long long t = 0; t < a.batch * G * k_blocks; ++t) {
    const long long kb = t % k_blocks, g = (t / k_blocks) % G, b = t / (k_blocks * G);
    const storage_t *kp = (const storage_t *)a.k + b * a.k_strides.s[0] + g * a.k_strides.s[1];
    const long long j0 = kb * BK, j1 = attnc_mini(Nk, j0 + BK);
    for (int d = 0; d < D; ++d) {
      double sum = 0;
      for (long long j = j0; j < j1; ++j) sum += (double)attnc_load(kp + j * a.k_strides.s[2] + d);
      k_mean[t * D + d] = sum / (double)(j1 - j0);
    }
  }
  long long visited = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(+ : visited)
  for (long long r = 0; r < num_rows; ++r) {
    const long long qb = r % q_blocks, h = (r / q_blocks) % H, b = r / (q_blocks * H);
    const long long g = h / (H / G);
    const long long row0 = qb * BQ;
    const int rows = (int)attnc_mini(BQ, Nq - row0);
    int *c_out = col + r * k_blocks;
    unsigned char *f_out = full + r * k_blocks;
    // Scratch per row: candidate tiles, their flags and scores.
    int *cand = (int *)malloc(sizeof(int) * (size_t)k_blocks * 2);
    unsigned char *flags = (unsigned char *)malloc((size_t)k_blocks * 2);
    double *score = (double *)malloc(sizeof(double) * (size_t)k_blocks);
    int *order = cand + k_blocks;
    unsigned char *chosen = flags + k_blocks;
    double q_mean[D];
    const storage_t *qp = (const storage_t *)a.q + b * a.q_strides.s[0] + h * a.q_strides.s[1];
    for (int d = 0; d < D; ++d) {
      double sum = 0;
      for (int i = 0; i < rows; ++i) sum += (double)attnc_load(qp + (row0 + i) * a.q_strides.s[2] + d);
      q_mean[d] = sum / (double)rows;
    }
    // Candidates: tiles of the static plan holding a visible element. flags:
    // bit 0 full, bit 1 kept.
    int n = 0;
    const AttncPlan plan = attnc_plan_qblock(qb, Nq, Nk);
    for (long long kb = attnc_plan_next(plan, -1); kb >= 0; kb = attnc_plan_next(plan, kb)) {
      ++visited;
      const long long col0 = kb * BK;
      const int cols = (int)attnc_mini(BK, Nk - col0);
      const bool static_full = attnc_plan_full(plan, kb);
      bool any = static_full, all = true, kept = false;
      for (int i = 0; i < rows; ++i)
        for (int c = 0; c < cols; ++c) {
          const bool m = static_full || attnc_mask(a, b, h, row0 + i + offset, col0 + c, Nq, Nk);
          any = any || m;
          all = all && m;
)";
  if (hasKeep)
    os << "          kept = kept || (m && attnc_keep(a, b, h, row0 + i + "
          "offset, col0 + c, Nq, Nk));\n";
  os << R"(        }
      if (!any) continue;
      cand[n] = (int)kb;
      flags[n] = (unsigned char)((all ? 1 : 0) | (kept ? 2 : 0));
      const double *km = k_mean + ((b * G + g) * k_blocks + kb) * D;
      double dot = 0;
      for (int d = 0; d < D; ++d) dot += attnc_mul_exact(q_mean[d], km[d]);
      score[n] = attnc_mul_exact(kScaleD, dot);
      ++n;
    }
    // Best first, equal scores: the lower tile first (stable insertion sort).
    for (int i = 0; i < n; ++i) {
      int j = i;
      while (j > 0 && score[order[j - 1]] < score[i]) { order[j] = order[j - 1]; --j; }
      order[j] = i;
      chosen[i] = 0;
    }
)";
  if (topk)
    os << "    for (int i = 0; i < n && (double)i < kSelectValue; ++i) "
          "chosen[order[i]] = 1;\n";
  else
    os << R"(    double mx = -attnc_inf(), total = 0, mass = 0;
    for (int i = 0; i < n; ++i) mx = score[i] > mx ? score[i] : mx;
    for (int i = 0; i < n; ++i) total += exp(score[i] - mx);
    for (int i = 0; i < n; ++i) {
      if (mass >= attnc_mul_exact(kSelectValue, total)) break;
      chosen[order[i]] = 1;
      mass += exp(score[order[i]] - mx);
    }
)";
  os << R"(    int out = 0;
    for (int i = 0; i < n; ++i) {
      if (!chosen[i] && !(flags[i] & 2)) continue;
      c_out[out] = cand[i];
      f_out[out++] = flags[i] & 1;
    }
    counts[r] = out;
    free(cand);
    free(flags);
    free(score);
  }
  free(k_mean);
  if (static_tiles) *static_tiles = visited;
  return 0;
}

// Builds the selection and runs the kernel over it (a call without a block
// mask: the static plan alone would ignore the selection).
static int attnc_run_selected(const AttncKernelArgs *args) {
  const long long q_blocks = (args->q_len + BQ - 1) / BQ, k_blocks = (args->kv_len + BK - 1) / BK;
  const long long rows = args->batch * H * q_blocks;
  int *counts = (int *)malloc(sizeof(int) * (size_t)(rows + 1));
  int *col = (int *)malloc(sizeof(int) * (size_t)(rows * k_blocks));
  unsigned char *full = (unsigned char *)malloc((size_t)(rows * k_blocks));
  int status = 1;
  if (counts && col && full)
    status = )"
     << cpuBlockMaskEntryName(op) << R"((args, (int)H, counts + 1, col, full, 0);
  if (status == 0) {
    // Compact into CSR in place: row_ptr = counts.
    counts[0] = 0;
    for (long long r = 0; r < rows; ++r) {
      const int n = counts[r + 1];
      for (int i = 0; i < n; ++i) {
        col[counts[r] + i] = col[r * k_blocks + i];
        full[counts[r] + i] = full[r * k_blocks + i];
      }
      counts[r + 1] = counts[r] + n;
    }
    AttncBlockMask mask = {counts, col, full, (int)H};
    AttncKernelArgs local = *args;
    local.block_mask = &mask;
    status = attnc_run_tasks(&local);
  }
  free(counts);
  free(col);
  free(full);
  return status;
}
)";
}

static LogicalResult emitSoftmaxCpu(attn::AttentionOp op, raw_ostream &os) {
  if (!op.getBlockMapAttr())
    return op.emitError() << "the CPU emitter needs a classified op (run the "
                             "attnc pipeline)";
  FailureOr<SoftmaxKernel> kernel = readSoftmaxKernelOf(op, attn::Target::cpu);
  if (failed(kernel))
    return failure();
  // The CPU kernel's tiles; its k-loop runs one stage and the walk, the
  // normalizer and the hybrid fold follow the op (checked here).
  const int64_t bq = kernel->blockQ, bk = kernel->blockK;
  if (kernel->onlineSoftmax != (op.getNormalize() == attn::Normalize::softmax) ||
      kernel->hybrid != op.getHybridFeature().has_value() ||
      (kernel->walk == attn::TileWalk::selected) != op.getSelect().has_value())
    return kernel->op.emitError() << "the kernel's normalizer, hybrid fold or "
                                    "tile walk does not match '"
                                 << op.getSymName() << "'";
  std::vector<MaskClause> clauses = clausesFromAttr(op.getBlockMapAttr());
  const attn::Normalize normalize = op.getNormalize();
  const bool hybrid = op.getHybridFeature().has_value();

  os << "// Generated by attnc from '" << op.getSymName()
     << "'. CPU backend of the blocked schedule.\n"
     << "// Do not edit: regenerate with `attnc compile`.\n"
     << "#include <math.h>\n"
     << "#include <stdlib.h>\n"
     << "#include <string.h>\n\n";
  emitPrelude(os, Target::Cpu, dtypeShortName(op.getDtype()));
  emitBlockPlan(os, clauses, bq, bk);
  emitParamReaders(os, op.getParams(), op.getHeads(), op.getHeadDim());
  if (failed(emitMaskAndScore(op, os)))
    return failure();

  os << "\n// ---- schedule ----\n"
     << "#define H " << op.getHeads() << "LL\n"
     << "#define G " << op.getKvHeads() << "LL\n"
     << "#define D " << op.getHeadDim() << "\n"
     << "#define DV " << op.getValueDim() << "\n"
     << "#define BQ " << bq << "\n"
     << "#define BK " << bk << "\n"
     << "static const float kScale = "
     << floatLiteral(op.getScale().convertToDouble()) << ";\n\n";

  emitCpuVectorHelpers(os);
  if (hybrid && failed(emitHybridCpuSupport(op, os)))
    return failure();
  // Boxes of a token grid: tile rows are gathered from the box's tokens
  // (docs/language.md §3c); positions in the regions stay the tokens'.
  const bool boxes = !cpuGridBox(op).empty();
  if (boxes)
    emitGridTiles(op, cpuGridBox(op), Target::Cpu, os);
  // Tokens routed by id (docs/language.md §3d): rows and keys gathered in
  // the sorted order of each (b, head of the ids).
  const bool routed = cpuPlanRouted(op);
  if (routed && failed(emitRouting(op, os)))
    return failure();
  const bool gather = boxes || routed;
  // The plan's kv_splits: split-KV decode (docs/runtime.md §3g), the rule
  // and the partial results' merge.
  const bool splitting = kernel->kvSplits > 0;
  os << "#define ATTNC_RAGGED " << (kernel->ragged ? 1 : 0) << "\n"
     << kDeviceSequence << kCpuSoftmaxTiles << "\n";
  if (splitting)
    os << "#define ATTNC_KV_SPLITS_MAX " << kernel->kvSplits << "\n"
       << kKvSplitsRule << kCpuSplitKv;
  // Rows and keys are gathered by token: a tile-space index's token is
  // itself for flat tiles, the grid's token in a box, or the sorted
  // order's row (rq, rk: the task's sorted orders).
  os << "#define ATTNC_Q_TOKEN(i) "
     << (boxes ? "attnc_grid_token(i)" : routed ? "rq[i]" : "(i)") << "\n"
     << "#define ATTNC_K_TOKEN(i) "
     << (boxes ? "attnc_grid_token(i)" : routed ? "rk[i]" : "(i)") << "\n";
  const char *posQ = "tq[r] + offset";
  const char *posK = "tk[c]";
  os << R"(// One (b, h, q-block) task.
static void attnc_qblock(const AttncKernelArgs &args, )" << (hybrid ? "const AttncHybrid *hy, " : "") << (routed ? "const AttncRoute *route, " : "") << (splitting ? "const AttncCpuSplit *sp, long long split, " : "") << R"(long long b, long long h, long long qb) {
)";
  // The task's sequence (codegen/device/sequence.h): the call's lengths,
  // or with the plan's `ragged` a packed or paged batch's own; the grid
  // covers the longest sequence, so blocks past this one's end do nothing.
  os << R"(  const AttncSequence seq = attnc_sequence(args, b);
  const long long Nq = seq.Nq, Nk = seq.Nk, q0 = seq.q0, k0 = seq.k0;
)" << (kernel->ragged ? "  if (qb * BQ >= Nq) return;\n" : "");
  os << R"(  const long long g = h / (H / G);
  const long long row0 = qb * BQ;
)" << (boxes ? "  const int rows = BQ; // tile space: padding rows have token -1\n"
             : "  const int rows = (int)attnc_mini(BQ, Nq - row0);\n")
     << R"(
  const long long offset = Nk - Nq; // queries are aligned to the end of the keys
  float Q[BQ][D], Kt[D][BK], V[BK][DV], S[BQ][BK], acc[BQ][DV];
  float m[BQ], l[BQ];
  unsigned char shown[BQ][BK]; // a partial tile's mask
  const storage_t *qp = (const storage_t *)args.q + b * args.q_strides.s[0] + h * args.q_strides.s[1] + q0 * args.q_strides.s[2];
  const AttncKvRows kr = attnc_kv_rows(args, args.k, args.k_strides, b, g, k0); // contiguous or paged
  const AttncKvRows vr = attnc_kv_rows(args, args.v, args.v_strides, b, g, k0);
  )" << (routed ? "const long long *rq = route->qtok + (b * ROUTE_QH + (ROUTE_QH > 1 ? h : 0)) * Nq;\n"
                    "  const long long *rk = route->ktok + (b * ROUTE_KH + (ROUTE_KH > 1 ? h : 0)) * Nk;\n  "
                  : "")
     << R"(long long tq[BQ], tk[BK]; // tokens of the tile's rows and keys (-1: padding)
  for (int r = 0; r < rows; ++r) tq[r] = ATTNC_Q_TOKEN(row0 + r);
  attnc_gather_q(Q, qp, args.q_strides.s[2], tq, rows);
  for (int r = 0; r < BQ; ++r) {
    m[r] = -attnc_inf();
    l[r] = 0.0f;
    for (int e = 0; e < DV; ++e) acc[r][e] = 0.0f;
  }
  // The k-blocks: the runtime block mask's row when there is one (its
  // entries ascending, each flagged full or partial), else the static plan.
  )" << (routed ? "const AttncRoutePlan plan = attnc_route_plan(route, b, h, qb);\n"
                    "  const AttncBlockMask *bm = 0; // routed tiles walk the sorted ids\n"
          : boxes ? "const AttncGridPlan plan = attnc_grid_plan(qb);\n"
                   "  const AttncBlockMask *bm = 0; // boxes walk their grid's classes\n"
                 : "const AttncPlan plan = attnc_plan_qblock(qb, Nq, Nk);\n"
                   "  const AttncBlockMask *bm = args.block_mask;\n")
     << R"(  long long bi = 0, bi_end = 0;
  if (bm) {
    // Rows over the call's (padded) q-blocks, as the builder writes them.
    const long long row = (b * bm->heads + (bm->heads > 1 ? h : 0)) * ((args.q_len + BQ - 1) / BQ) + qb;
    bi = bm->row_ptr[row];
    bi_end = bm->row_ptr[row + 1];
  }
)";
  if (hybrid)
    os << "  // Tiles the softmax branch visits (1 partial, 2 full), for the "
          "linear branch.\n"
          "  unsigned char *vis = (unsigned char *)calloc((size_t)((Nk + BK "
          "- 1) / BK), 1);\n"
          "  if (!vis) return;\n";
  // Split-KV: this task's split of the k-tiles (never with a block mask).
  if (splitting)
    os << "  long long kb_lo = 0, kb_hi = 0x7fffffffffffffffLL;\n"
          "  if (sp) attnc_cpu_split_range(sp, split, Nk, &kb_lo, &kb_hi);\n";
  else
    os << "  const long long kb_lo = 0, kb_hi = 0x7fffffffffffffffLL;\n";
  os << R"(  {
    for (long long kb = bm ? (bi < bi_end ? bm->col[bi] : -1) : attnc_plan_next(plan, kb_lo - 1); kb >= 0 && kb < kb_hi;
         kb = bm ? (++bi < bi_end ? bm->col[bi] : -1) : attnc_plan_next(plan, kb)) {
      const long long col0 = kb * BK;
)" << (boxes ? "      const int cols = BK;\n"
             : "      const int cols = (int)attnc_mini(BK, Nk - col0);\n")
     << R"(      const bool is_full = bm ? bm->full[bi] != 0 : attnc_plan_full(plan, kb);
)" << (hybrid ? "      vis[kb] = is_full ? 2 : 1;\n" : "") << R"(      for (int c = cols; c < BK; ++c) // past the last key: keep S finite
        for (int d = 0; d < D; ++d) Kt[d][c] = 0.0f;
      for (int c = 0; c < cols; ++c) tk[c] = ATTNC_K_TOKEN(col0 + c);
      attnc_gather_kv(Kt, V, kr, vr, tk, cols);
      // S = scale * Q K^T.
      for (int r = 0; r < rows; ++r) attnc_row_scores(S[r], Q[r], Kt);
)";
  // Score and mask: full blocks evaluate only the score (nothing at all when
  // it is the identity); partial blocks also evaluate the mask.
  const char *masked = normalize == attn::Normalize::softmax ? "-attnc_inf()"
                                                             : "0.0f";
  os << "      if (is_full) {\n";
  if (!isIdentityScore(op))
    os << "        for (int r = 0; r < rows; ++r)\n"
          "          for (int c = 0; c < cols; ++c)\n"
          "            S[r][c] = attnc_score(args, b, h, "
       << posQ << ", " << posK << ", Nq, Nk, S[r][c]);\n";
  os << "      } else {\n"
        "        for (int r = 0; r < rows; ++r)\n"
        "          for (int c = 0; c < cols; ++c) {\n"
        "            shown[r][c] = "
     << (gather ? "tq[r] >= 0 && tk[c] >= 0 && " : "") << "attnc_mask(args, b, h, "
     << posQ << ", " << posK
     << ", Nq, Nk);\n"
        "            S[r][c] = shown[r][c]\n"
        "                ? attnc_score(args, b, h, "
     << posQ << ", " << posK
     << ", Nq, Nk, S[r][c])\n"
        "                : "
     << masked << ";\n          }\n      }\n";
  if (normalize == attn::Normalize::softmax) {
    os << R"(      // Online softmax: rescale what was accumulated to the new row max.
      for (int r = 0; r < rows; ++r) {
        float mx = m[r];
        for (int c = 0; c < cols; ++c) mx = S[r][c] > mx ? S[r][c] : mx;
        // A NaN score makes its p, l and so the row NaN; only a row whose
        // scores are all NaN or -inf so far needs looking at (NaN, not "nothing
        // visible yet").
        if (mx == -attnc_inf()) {
          for (int c = 0; c < cols; ++c)
            if (S[r][c] != S[r][c]) mx = S[r][c];
          if (mx == -attnc_inf()) continue; // nothing visible yet
        }
        const float alpha = expf(m[r] - mx);
        for (int c = cols; c < BK; ++c) S[r][c] = -attnc_inf(); // past the last key
        attnc_v8 sum8 = {0};
        for (int c = 0; c < BK; c += 8) {
          const attnc_v8 p = attnc_exp8(attnc_ld8(S[r] + c) - mx);
          attnc_st8(S[r] + c, p);
          sum8 += p;
        }
        float sum = 0.0f;
        for (int i = 0; i < 8; ++i) sum += sum8[i];
        l[r] = l[r] * alpha + sum;
        m[r] = mx;
        if (is_full)
          attnc_accumulate_pv<false>(acc[r], alpha, S[r], V, cols, 0);
        else
          attnc_accumulate_pv<true>(acc[r], alpha, S[r], V, cols, shown[r]);
      }
    }
  }
)";
  } else {
    os << R"(      // Weights are the scores themselves (normalize sum / none).
      for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) l[r] += S[r][c];
        if (is_full)
          attnc_accumulate_pv<false>(acc[r], 1.0f, S[r], V, cols, 0);
        else
          attnc_accumulate_pv<true>(acc[r], 1.0f, S[r], V, cols, shown[r]);
      }
    }
  }
)";
  }
  if (hybrid)
    os << "  double num[BQ][DV], den[BQ];\n"
          "  attnc_hybrid_rows(args, hy, b, h, qb, rows, Q, vis, num, den);\n"
          "  free(vis);\n";
  os << "  storage_t *op_ = (storage_t *)args.o + b * args.o_strides.s[0] + "
        "h * args.o_strides.s[1] + q0 * args.o_strides.s[2];\n"
        "  for (int r = 0; r < rows; ++r) {\n"
        "    if (tq[r] < 0) continue; // padding\n"
        "    const long long row = tq[r];\n";
  switch (normalize) {
  case attn::Normalize::softmax:
    // l is positive, 0 (nothing visible) or NaN (a NaN or +inf score).
    os << "    const float inv = l[r] != 0.0f ? 1.0f / l[r] : 0.0f;\n";
    break;
  case attn::Normalize::sum:
    os << "    const float inv = l[r] != 0.0f ? 1.0f / l[r] : 0.0f;\n";
    break;
  case attn::Normalize::none:
    os << "    const float inv = 1.0f;\n";
    break;
  }
  if (splitting)
    os << "    if (sp) { // split-KV: this split's partial o and lse\n"
          "      attnc_cpu_split_store(sp, split, ATTNC_LSE_AT(row), acc[r], "
          "inv, l[r] != 0.0f ? m[r] + logf(l[r]) : -attnc_inf());\n"
          "      continue;\n"
          "    }\n";
  if (!hybrid) {
    os << "    for (int e = 0; e < DV; ++e)\n"
          "      attnc_store(op_ + row * args.o_strides.s[2] + e, "
          "acc[r][e] * inv);\n";
  } else if (*op.getCombine() == attn::Combine::add) {
    os << "    // combine add: softmax output + w * linear output, each "
          "normalized by its own sum.\n"
          "    const double w = attnc_combine_weight(args, b, h, row0 + r + "
          "offset, Nq, Nk);\n"
          "    const double linv = den[r] != 0.0 ? w / den[r] : 0.0;\n"
          "    for (int e = 0; e < DV; ++e)\n"
          "      attnc_store(op_ + (row0 + r) * args.o_strides.s[2] + e, "
          "(float)(acc[r][e] * inv + num[r][e] * linv));\n";
  } else {
    os << "    // combine shared: one normalizer; the softmax terms (relative "
          "to the row max) times g.\n"
          "    const double g = attnc_combine_weight(args, b, h, row0 + r + "
          "offset, Nq, Nk);\n"
          "    const double total = g * l[r] + den[r];\n"
          "    const double tinv = total != 0.0 ? 1.0 / total : 0.0;\n"
          "    (void)inv;\n"
          "    for (int e = 0; e < DV; ++e)\n"
          "      attnc_store(op_ + (row0 + r) * args.o_strides.s[2] + e, "
          "(float)((g * acc[r][e] + num[r][e]) * tinv));\n";
  }
  if (normalize == attn::Normalize::softmax)
    os << "    if (args.lse)\n"
       << "      args.lse[ATTNC_LSE_AT(row)] = // sequence.h\n"
       << "          l[r] != 0.0f ? m[r] + logf(l[r]) : -attnc_inf();\n";
  os << "  }\n}\n\n";

  // With `select`, a call without a block mask builds the selection first.
  const bool selecting = op.getSelect().has_value();
  os << (selecting ? "static int attnc_run_tasks(const AttncKernelArgs *args) "
                     "{\n"
                   : "")
     << (selecting ? "" : "extern \"C\" int ")
     << (selecting ? "" : cpuEntryName(op) + "(const AttncKernelArgs *args) {\n")
     << R"(  if (!args || args->batch <= 0 || args->q_len <= 0 || args->kv_len <= 0)
    return 1;
  )" << (routed ? "if (args->block_mask) return 1; // routed tiles take no block mask\n"
                    "  AttncRoute route;\n"
                    "  if (attnc_route_build(*args, &route)) return 2;\n"
                    "  const long long q_blocks = (args->q_len + BQ - 1) / BQ;\n"
          : boxes ? "if (args->block_mask) return 1; // boxes take no block mask\n"
                   "  const long long q_blocks = kGridBoxCount;\n"
                 : "const long long q_blocks = (args->q_len + BQ - 1) / BQ;\n")
     << R"(  const long long tasks = args->batch * H * q_blocks;
)";
  if (hybrid)
    os << "  AttncHybrid hy;\n"
          "  if (attnc_hybrid_prepare(args, &hy)) return 1;\n";
  if (splitting) {
    // Split-KV decode: tasks (t, s) write partial results, merged after.
    os << R"(  const long long splits = attnc_cpu_kv_splits(args, tasks, ATTNC_KV_SPLITS_MAX);
  AttncCpuSplit split_state = {splits, attnc_lse_rows(*args, H), 0, 0};
  if (splits > 1) {
    split_state.o = (float *)malloc(sizeof(float) * (size_t)(splits * split_state.rows * DV));
    split_state.lse = (float *)malloc(sizeof(float) * (size_t)(splits * split_state.rows));
    if (!split_state.o || !split_state.lse) {
      free(split_state.o);
      free(split_state.lse);
      return 2; // out of memory
    }
  }
  const AttncCpuSplit *sp = splits > 1 ? &split_state : 0;
#pragma omp parallel for schedule(dynamic, 1)
  for (long long ts = 0; ts < tasks * splits; ++ts) {
    const long long t = ts % tasks, split = ts / tasks;
    const long long qb = t % q_blocks, h = (t / q_blocks) % H, b = t / (q_blocks * H);
    attnc_qblock(*args, sp, split, b, h, qb);
  }
  if (sp) {
    attnc_cpu_merge_splits(args, sp);
    free(split_state.o);
    free(split_state.lse);
  }
)";
  } else {
    os << R"(#pragma omp parallel for schedule(dynamic, 1)
  for (long long t = 0; t < tasks; ++t) {
    const long long qb = t % q_blocks, h = (t / q_blocks) % H, b = t / (q_blocks * H);
    attnc_qblock(*args, )"
       << (hybrid ? "&hy, " : "") << (routed ? "&route, " : "")
       << R"(b, h, qb);
  }
)";
  }
  os << (hybrid ? "  attnc_hybrid_free(&hy);\n" : "")
     << (routed ? "  attnc_route_free(&route);\n" : "")
     << R"(  return 0;
}

)";
  if (!selecting) {
    if (!gather)
      emitBlockMaskBuilder(op, os);
    return success();
  }
  emitSelectingBlockMaskBuilder(op, os);
  os << "extern \"C\" int " << cpuEntryName(op)
     << "(const AttncKernelArgs *args) {\n"
        "  if (!args || args->batch <= 0 || args->q_len <= 0 || "
        "args->kv_len <= 0)\n    return 1;\n"
        "  return args->block_mask ? attnc_run_tasks(args) : "
        "attnc_run_selected(args);\n}\n";
  return success();
}

LogicalResult emitCpu(Operation *op, raw_ostream &os) {
  if (auto softmax = dyn_cast<attn::AttentionOp>(op)) {
    if (failed(emitSoftmaxCpu(softmax, os)))
      return failure();
    // The backward, when the pipeline built its kernel (--backward).
    if (attn::KernelFuncOp backward = findCpuBackwardKernel(op))
      return emitSoftmaxBackwardCpu(softmax, backward, os);
    return success();
  }
  return emitLinearCpu(cast<attn::LinearAttentionOp>(op), os);
}

} // namespace attnc
