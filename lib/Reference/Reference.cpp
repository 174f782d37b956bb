//===- Reference.cpp - The reference executor -----------------------------===//
//
// This file implements the oracle: input validation against an op's
// signature, the softmax family evaluated score by score, and the linear
// family's recurrence token by token (or its bidirectional sum), from an
// optional initial state and handing out the final one. Formulas are those
// of docs/language.md, written the way they read there.
//
//===----------------------------------------------------------------------===//

#include "lib/Reference/Reference.h"
#include "lib/Reference/ReferenceDetail.h"

#include "dialect/AttnOps.h"
#include "runtime/lib/Requirements.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <optional>
#include <tuple>

using namespace mlir;
using attnc::reference::detail::at4;
using attnc::reference::detail::setIndices;

namespace attnc::reference {
namespace {

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// The attributes both attention ops share.
struct OpInfo {
  int64_t heads, kvHeads, headDim, valueDim, featureDim;
  ArrayAttr params;
};

OpInfo infoOf(Operation *op) {
  if (auto a = dyn_cast<attn::AttentionOp>(op))
    return {int64_t(a.getHeads()), int64_t(a.getKvHeads()),
            int64_t(a.getHeadDim()), int64_t(a.getValueDim()),
            int64_t(a.getHeadDim()), a.getParams()};
  auto l = cast<attn::LinearAttentionOp>(op);
  return {int64_t(l.getHeads()), int64_t(l.getKvHeads()),
          int64_t(l.getHeadDim()), int64_t(l.getValueDim()),
          int64_t(l.getFeatureDim()), l.getParams()};
}

std::string checkRank(const char *name, const Tensor &t, size_t rank) {
  if (t.shape.size() != rank)
    return std::string("input '") + name + "': expected rank " +
           std::to_string(rank) + ", got shape " + shapeString(t.shape);
  return "";
}

std::string checkShape(const std::string &name,
                       const std::vector<int64_t> &got,
                       const std::vector<int64_t> &want) {
  if (got == want)
    return "";
  // [B, N, H, D] (PyTorch SDPA's order) shows heads in dimension 2.
  const bool headsSecond = (name == "q" || name == "k" || name == "v") &&
                           got.size() == 4 && want.size() == 4 &&
                           got[2] == want[1] && got[1] != want[1];
  return "input '" + name + "': expected shape " + shapeString(want) +
         ", got " + shapeString(got) +
         (headsSecond ? "; it looks like [B, N, H, D] order: attnc takes "
                        "[B, H, N, D] (swap dimensions 1 and 2)"
                      : "");
}

/// The spec's `require` conditions (docs/language.md §3a) for these
/// lengths, with the runtime's evaluator and message.
std::string checkRequirements(Operation *op, int64_t Nq, int64_t Nk) {
  auto requirements = op->getAttrOfType<ArrayAttr>("requirements");
  if (!requirements)
    return "";
  for (auto r : requirements.getAsRange<attn::RequireAttr>()) {
    attnc::rt::RequirementProgram program;
    std::string why;
    // The attribute's verifier accepted the program already.
    if (!attnc::rt::parseRequirementProgram(r.getProgram().str(), program,
                                            why))
      return "requirement '" + r.getText().str() + "': " + why;
    if (attnc::rt::evaluateRequirement(program, Nq, Nk) == 0)
      return "the inputs violate the spec's 'require " + r.getText().str() +
             "' (line " + std::to_string(r.getLine()) +
             "): Nq = " + std::to_string(Nq) + ", Nk = " + std::to_string(Nk);
  }
  return "";
}

} // namespace

bool hasState(Operation *op) {
  auto linear = dyn_cast<attn::LinearAttentionOp>(op);
  return linear && !linear.getBidirectional();
}

bool hasNormalizerState(Operation *op) {
  return hasState(op) && cast<attn::LinearAttentionOp>(op).getNormalize() ==
                             attn::Normalize::sum;
}

/// The initial state: only where the op has one, z exactly with normalize
/// sum, shaped [B, H, F, Dv] and [B, H, F].
static std::string checkState(Operation *op, const Inputs &in,
                              const Problem &p) {
  if (!in.state && !in.z)
    return "";
  const char *name = in.state ? "state" : "z";
  if (isa<attn::AttentionOp>(op))
    return std::string("input '") + name +
           "': a softmax-family spec has no recurrent state";
  if (!hasState(op))
    return std::string("input '") + name +
           "': a bidirectional spec has no recurrent state";
  if (in.z && !hasNormalizerState(op))
    return "input 'z': the normalizer state exists only with 'normalize sum'";
  if (hasNormalizerState(op) && !in.z)
    return "input 'z': missing (with 'normalize sum' the normalizer state "
           "comes with 'state')";
  if (!in.state)
    return "input 'state': missing (the normalizer 'z' comes with it)";
  if (std::string e = checkShape("state", in.state->shape,
                                 {p.batch, p.heads, p.featureDim, p.valueDim});
      !e.empty())
    return e;
  if (in.z)
    return checkShape("z", in.z->shape, {p.batch, p.heads, p.featureDim});
  return "";
}

/// A ragged batch's lengths: one per sequence, each within the padded
/// tensors; only for the softmax family without selection or a hybrid.
static std::string checkSequences(Operation *op, const Inputs &in,
                                  const Problem &p) {
  if (in.seqQ.empty() && in.seqK.empty())
    return "";
  auto softmax = dyn_cast<attn::AttentionOp>(op);
  if (!softmax || softmax.getSelect() || softmax.getHybridFeature())
    return "ragged batches are supported for the softmax family without "
           "'select' or a hybrid only";
  for (auto [name, lens, padded] :
       {std::tuple<const char *, const std::vector<int64_t> *, int64_t>{
            "q", &in.seqQ, p.queries},
        {"k", &in.seqK, p.keys}}) {
    if (static_cast<int64_t>(lens->size()) != p.batch)
      return std::string("sequence lengths of '") + name + "': expected " +
             std::to_string(p.batch) + ", got " +
             std::to_string(lens->size());
    for (auto [b, n] : llvm::enumerate(*lens))
      if (n < 0 || n > padded)
        return std::string("sequence ") + std::to_string(b) + ": length " +
               std::to_string(n) + " of '" + name + "' outside [0, " +
               std::to_string(padded) + "]";
  }
  return "";
}

std::string checkInputs(Operation *op, const Inputs &in, Problem &p) {
  OpInfo info = infoOf(op);
  for (auto [name, t] : {std::pair<const char *, const Tensor *>{"q", &in.q},
                         {"k", &in.k},
                         {"v", &in.v}})
    if (std::string e = checkRank(name, *t, 4); !e.empty())
      return e;
  p.batch = in.q.dim(0);
  p.heads = info.heads;
  p.kvHeads = info.kvHeads;
  p.queries = in.q.dim(2);
  p.keys = in.k.dim(2);
  p.headDim = info.headDim;
  p.valueDim = info.valueDim;
  p.featureDim = info.featureDim;
  if (std::string e = checkShape("q", in.q.shape,
                                 {p.batch, p.heads, p.queries, p.headDim});
      !e.empty())
    return e;
  if (std::string e = checkShape("k", in.k.shape,
                                 {p.batch, p.kvHeads, p.keys, p.headDim});
      !e.empty())
    return e;
  if (std::string e = checkShape("v", in.v.shape,
                                 {p.batch, p.kvHeads, p.keys, p.valueDim});
      !e.empty())
    return e;
  // q fixes B and Nq, k fixes Nk: an empty one is named with its dimension.
  if (p.batch <= 0)
    return "input 'q': expected a non-empty batch (dimension 0), got shape " +
           shapeString(in.q.shape);
  if (p.queries <= 0)
    return "input 'q': expected at least one query (dimension 2), got shape " +
           shapeString(in.q.shape);
  if (p.keys <= 0)
    return "input 'k': expected at least one key (dimension 2), got shape " +
           shapeString(in.k.shape);

  for (auto param : info.params.getAsRange<attn::ParamAttr>()) {
    auto it = in.params.find(param.getName());
    if (it == in.params.end())
      return "input '" + param.getName().str() +
             "': missing (declared by the spec as a parameter)";
    std::vector<int64_t> want;
    for (const attnc::rt::ParamDim &d : attn::paramDims(param))
      want.push_back(
          attnc::rt::paramDimExtent(d, p.batch, p.heads, p.keys, p.headDim));
    if (std::string e = checkShape(param.getName().str(), it->second.shape,
                                   want);
        !e.empty())
      return e;
  }
  if (std::string e = checkSequences(op, in, p); !e.empty())
    return e;
  // The spec's `require` conditions: for the call's lengths, or each
  // sequence's own in a ragged batch.
  if (in.seqQ.empty()) {
    if (std::string e = checkRequirements(op, p.queries, p.keys); !e.empty())
      return e;
  } else {
    for (size_t b = 0; b < in.seqQ.size(); ++b)
      if (in.seqQ[b] > 0)
        if (std::string e = checkRequirements(op, in.seqQ[b], in.seqK[b]);
            !e.empty())
          return "sequence " + std::to_string(b) + ": " + e;
  }
  for (auto &entry : in.params) {
    bool declared = false;
    for (auto param : info.params.getAsRange<attn::ParamAttr>())
      declared |= param.getName() == entry.getKey();
    if (!declared)
      return "input '" + entry.getKey().str() +
             "': not a parameter of this spec";
  }
  return checkState(op, in, p);
}

//===----------------------------------------------------------------------===//
// Feature maps (linear family, hybrid linear branch)
//===----------------------------------------------------------------------===//

namespace {

/// Applies the feature map phi to one token's D channels.
class FeatureMap {
public:
  /// `kind` with its expression program and, for hedgehog, the name of
  /// its weight parameter (the linear family's feature or a hybrid's).
  FeatureMap(attn::Feature kind, std::optional<StringRef> weightParam,
             const ExprProgram &expr, const Inputs &in, const Problem &p)
      : kind(kind), expr(expr), p(p),
        featureDim(attn::featureDimOf(kind, p.headDim)) {
    if (kind == attn::Feature::hedgehog)
      weight = &in.params.find(*weightParam)->second;
  }

  int64_t dim() const { return featureDim; }

  void apply(const double *x, int64_t b, int64_t h, int64_t n,
             std::vector<double> &phi, std::string &error) const {
    const int64_t D = p.headDim;
    phi.assign(featureDim, 0.0);
    switch (kind) {
    case attn::Feature::expression:
      for (int64_t d = 0; d < D; ++d) {
        Scalar args[7];
        setIndices(args, {b, h, n, d, p.queries, p.keys});
        args[6].f = x[d];
        phi[d] = expr.run(args, error).f;
      }
      return;
    case attn::Feature::identity:
      for (int64_t d = 0; d < D; ++d)
        phi[d] = x[d];
      return;
    case attn::Feature::relu:
      for (int64_t d = 0; d < D; ++d)
        phi[d] = std::max(x[d], 0.0);
      return;
    case attn::Feature::elu1:
      for (int64_t d = 0; d < D; ++d)
        phi[d] = x[d] > 0 ? x[d] + 1 : std::exp(x[d]);
      return;
    case attn::Feature::exp:
      for (int64_t d = 0; d < D; ++d)
        phi[d] = std::exp(x[d]);
      return;
    case attn::Feature::l2norm: {
      double norm = 0;
      for (int64_t d = 0; d < D; ++d)
        norm += x[d] * x[d];
      norm = std::sqrt(norm);
      for (int64_t d = 0; d < D; ++d)
        phi[d] = norm == 0 ? 0 : x[d] / norm;
      return;
    }
    case attn::Feature::taylor2: {
      // [1, x, (x outer x) / sqrt(2)]: exp(q.k) to second order (Based).
      phi[0] = 1;
      for (int64_t d = 0; d < D; ++d)
        phi[1 + d] = x[d];
      for (int64_t i = 0; i < D; ++i)
        for (int64_t j = 0; j < D; ++j)
          phi[1 + D + i * D + j] = x[i] * x[j] / std::sqrt(2.0);
      return;
    }
    case attn::Feature::hedgehog: {
      // [softmax(x W), softmax(-x W)] with W = w[h], D x D.
      std::vector<double> y(D, 0.0);
      for (int64_t f = 0; f < D; ++f)
        for (int64_t d = 0; d < D; ++d)
          y[f] += x[d] * weight->values[(h * D + d) * D + f];
      for (int sign = 0; sign < 2; ++sign) {
        double m = -std::numeric_limits<double>::infinity(), sum = 0;
        for (int64_t f = 0; f < D; ++f)
          m = std::max(m, sign ? -y[f] : y[f]);
        for (int64_t f = 0; f < D; ++f)
          sum += std::exp((sign ? -y[f] : y[f]) - m);
        for (int64_t f = 0; f < D; ++f)
          phi[sign * D + f] = std::exp((sign ? -y[f] : y[f]) - m) / sum;
      }
      return;
    }
    }
  }

private:
  attn::Feature kind;
  const ExprProgram &expr;
  const Problem &p;
  int64_t featureDim;
  const ParamValues *weight = nullptr;
};

} // namespace

//===----------------------------------------------------------------------===//
// Softmax family
//===----------------------------------------------------------------------===//

/// x * y rounded on its own: never fused into a following add (FMA), so that
/// the block scores below are bit-identical to the compiled estimator's.
static double productApart(double x, double y) {
  volatile double p = x * y;
  return p;
}

/// The k-tiles each q-tile of head (b, h) attends to under `select`, into
/// `selected` [qBlocks * kBlocks], following docs/language.md §8a word for
/// word: candidates are the tiles holding a visible element; each has the
/// score scale * mean(q rows) . mean(k rows) (double, channels in order);
/// topk(K) takes the K best, cumulative(P) the shortest best-first prefix
/// whose softmax mass over the candidates reaches P (ties: lower tile
/// first); tiles holding a visible `keep` element are added.
LogicalResult detail::selectionTiles(attn::AttentionOp op, const Problem &p,
                                     int64_t &blockQ, int64_t &blockK,
                                     int64_t &qBlocks, int64_t &kBlocks,
                                     std::string &error) {
  attn::ScheduleAttr sched = op.getScheduleAttr();
  if (!sched || sched.getBlockQ() <= 0 || sched.getBlockK() <= 0) {
    error = "'select' chooses tiles of the schedule: run the attnc "
            "pipeline before the reference executor";
    return failure();
  }
  blockQ = sched.getBlockQ();
  blockK = sched.getBlockK();
  qBlocks = (p.queries + blockQ - 1) / blockQ;
  kBlocks = (p.keys + blockK - 1) / blockK;
  return success();
}

double detail::rowScores(const Inputs &in, const Problem &p,
                         const ExprProgram &mask, const ExprProgram &score,
                         double scale, int64_t b, int64_t h, int64_t i,
                         const std::vector<char> *selected, int64_t blockQ,
                         int64_t blockK, int64_t kBlocks,
                         std::vector<char> &visible, std::vector<double> &raw,
                         std::vector<double> &scores, std::string &error) {
  const int64_t g = h / (p.heads / p.kvHeads);
  // Queries are aligned to the end of the keys.
  const int64_t qPos = i + p.keys - p.queries;
  double maxScore = -std::numeric_limits<double>::infinity();
  for (int64_t j = 0; j < p.keys; ++j) {
    Scalar args[7];
    setIndices(args, {b, h, qPos, j, p.queries, p.keys});
    visible[j] = mask.run(args, error).i != 0;
    if (selected && !(*selected)[(i / blockQ) * kBlocks + j / blockK])
      visible[j] = false;
    if (!visible[j])
      continue;
    double dot = 0;
    for (int64_t d = 0; d < p.headDim; ++d)
      dot += in.q.data[at4(in.q, b, h, i, d)] *
             in.k.data[at4(in.k, b, g, j, d)];
    raw[j] = scale * dot;
    args[6].f = raw[j];
    scores[j] = score.run(args, error).f;
    // A NaN score at a visible key makes the row NaN (docs/language.md,
    // "Non-finite values"): the maximum propagates it, std::max would not.
    if (std::isnan(scores[j]) || std::isnan(maxScore))
      maxScore = std::numeric_limits<double>::quiet_NaN();
    else
      maxScore = std::max(maxScore, scores[j]);
  }
  return maxScore;
}

LogicalResult detail::selectBlocks(attn::AttentionOp op, const Inputs &in,
                                   const Problem &p, const ExprProgram &mask,
                                   const ExprProgram &keep, int64_t b,
                                   int64_t h, int64_t blockQ, int64_t blockK,
                                   int64_t qBlocks, int64_t kBlocks,
                                   std::vector<char> &selected,
                                   std::string &error) {
  const int64_t g = h / (p.heads / p.kvHeads);
  const double scale = op.getScale().convertToDouble();
  const double value = op.getSelectValue()->convertToDouble();
  const bool topk = *op.getSelect() == attn::SelectRule::topk;
  selected.assign(qBlocks * kBlocks, 0);
  // Mean k row of every k-tile.
  std::vector<double> kMean(kBlocks * p.headDim, 0.0);
  for (int64_t kb = 0; kb < kBlocks; ++kb) {
    const int64_t j0 = kb * blockK, j1 = std::min(p.keys, j0 + blockK);
    for (int64_t d = 0; d < p.headDim; ++d) {
      double sum = 0;
      for (int64_t j = j0; j < j1; ++j)
        sum += in.k.data[at4(in.k, b, g, j, d)];
      kMean[kb * p.headDim + d] = sum / double(j1 - j0);
    }
  }
  std::vector<double> qMean(p.headDim);
  std::vector<char> candidate(kBlocks), kept(kBlocks);
  std::vector<double> blockScore(kBlocks);
  for (int64_t qb = 0; qb < qBlocks; ++qb) {
    const int64_t i0 = qb * blockQ, i1 = std::min(p.queries, i0 + blockQ);
    for (int64_t d = 0; d < p.headDim; ++d) {
      double sum = 0;
      for (int64_t i = i0; i < i1; ++i)
        sum += in.q.data[at4(in.q, b, h, i, d)];
      qMean[d] = sum / double(i1 - i0);
    }
    std::fill(candidate.begin(), candidate.end(), 0);
    std::fill(kept.begin(), kept.end(), 0);
    for (int64_t i = i0; i < i1; ++i) {
      for (int64_t j = 0; j < p.keys; ++j) {
        Scalar args[6];
        setIndices(args, {b, h, i + p.keys - p.queries, j, p.queries, p.keys});
        if (mask.run(args, error).i == 0)
          continue;
        candidate[j / blockK] = 1;
        if (keep.run(args, error).i != 0)
          kept[j / blockK] = 1;
      }
    }
    if (!error.empty())
      return failure();
    std::vector<int64_t> order;
    double maxScore = -std::numeric_limits<double>::infinity();
    for (int64_t kb = 0; kb < kBlocks; ++kb) {
      if (!candidate[kb])
        continue;
      double dot = 0;
      for (int64_t d = 0; d < p.headDim; ++d)
        dot += productApart(qMean[d], kMean[kb * p.headDim + d]);
      blockScore[kb] = productApart(scale, dot);
      maxScore = std::max(maxScore, blockScore[kb]);
      order.push_back(kb);
    }
    // Best first; equal scores: the lower tile first.
    std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) {
      return blockScore[x] > blockScore[y];
    });
    char *row = &selected[qb * kBlocks];
    if (topk) {
      for (size_t n = 0; n < order.size() && double(n) < value; ++n)
        row[order[n]] = 1;
    } else {
      // Softmax over the candidates, summed in tile order; the prefix stops
      // as soon as its mass reaches P.
      double total = 0;
      for (int64_t kb = 0; kb < kBlocks; ++kb)
        if (candidate[kb])
          total += std::exp(blockScore[kb] - maxScore);
      double mass = 0;
      for (int64_t kb : order) {
        if (mass >= productApart(value, total))
          break;
        row[kb] = 1;
        mass += std::exp(blockScore[kb] - maxScore);
      }
    }
    for (int64_t kb = 0; kb < kBlocks; ++kb)
      if (kept[kb])
        row[kb] = 1;
  }
  return success();
}

static LogicalResult runSoftmax(attn::AttentionOp op, const Inputs &in,
                                const Problem &p, Outputs &out,
                                std::string &error) {
  auto mask = ExprProgram::compile(op.getMask().front(), in.params);
  auto score = ExprProgram::compile(op.getScore().front(), in.params);
  if (failed(mask) || failed(score))
    return failure();
  const double scale = op.getScale().convertToDouble();
  const int64_t group = p.heads / p.kvHeads;
  const attn::Normalize normalize = op.getNormalize();
  out.o = {{p.batch, p.heads, p.queries, p.valueDim},
           std::vector<double>(p.batch * p.heads * p.queries * p.valueDim)};
  out.lse = {{p.batch, p.heads, p.queries},
             std::vector<double>(p.batch * p.heads * p.queries)};

  // Content-based selection (docs/language.md §8a): which k-tiles each
  // q-tile attends to, chosen per (b, h) from the tiles' mean q and k.
  const bool selecting = op.getSelect().has_value();
  int64_t blockQ = 0, blockK = 0, qBlocks = 0, kBlocks = 0;
  std::vector<char> selected; // [qBlocks * kBlocks] of the current (b, h)
  if (selecting && failed(detail::selectionTiles(op, p, blockQ, blockK,
                                                  qBlocks, kBlocks, error)))
    return failure();
  FailureOr<ExprProgram> keep = failure();
  if (selecting) {
    keep = ExprProgram::compile(op.getKeep().front(), in.params);
    if (failed(keep))
      return failure();
  }

  // Sparse + linear hybrid (docs/language.md §8b): the elements the
  // softmax branch does not take but `complement` holds get the weight
  // phi(q_i) . phi(k_j), with phi applied at the query's and the key's
  // position.
  const bool hybrid = op.getHybridFeature().has_value();
  FailureOr<ExprProgram> phiExpr = failure(), complement = failure(),
                         combineWeight = failure();
  std::optional<FeatureMap> phi;
  if (hybrid) {
    phiExpr = ExprProgram::compile(op.getHybridPhi().front(), in.params);
    complement = ExprProgram::compile(op.getComplement().front(), in.params);
    combineWeight =
        ExprProgram::compile(op.getCombineWeight().front(), in.params);
    if (failed(phiExpr) || failed(complement) || failed(combineWeight))
      return failure();
    phi.emplace(*op.getHybridFeature(), op.getHybridFeatureParam(), *phiExpr,
                in, p);
  }
  const int64_t F = hybrid ? phi->dim() : 0;
  std::vector<double> phiK, phiQ, token(p.headDim), linearNum(p.valueDim);

  std::vector<double> scores(p.keys), raw(p.keys);
  std::vector<char> visible(p.keys);
  const bool ragged = !in.seqQ.empty();
  for (int64_t b = 0; b < p.batch; ++b) {
    // The padded problem for layouts (p), this sequence's for its lengths
    // and variables (ps): a ragged batch is B problems of their own sizes.
    Problem ps = p;
    if (ragged) {
      ps.queries = in.seqQ[b];
      ps.keys = in.seqK[b];
      for (int64_t h = 0; h < p.heads; ++h)
        for (int64_t i = ps.queries; i < p.queries; ++i)
          out.lse.data[(b * p.heads + h) * p.queries + i] =
              -std::numeric_limits<double>::infinity();
    }
    for (int64_t h = 0; h < p.heads; ++h) {
      const int64_t g = h / group;
      if (selecting &&
          failed(detail::selectBlocks(op, in, p, *mask, *keep, b, h, blockQ, blockK,
                              qBlocks, kBlocks, selected, error)))
        return failure();
      if (hybrid) {
        phiK.assign(p.keys * F, 0.0);
        std::vector<double> one;
        for (int64_t j = 0; j < p.keys; ++j) {
          for (int64_t d = 0; d < p.headDim; ++d)
            token[d] = in.k.data[at4(in.k, b, g, j, d)];
          phi->apply(token.data(), b, h, j, one, error);
          std::copy(one.begin(), one.end(), phiK.begin() + j * F);
        }
        if (!error.empty())
          return failure();
      }
      for (int64_t i = 0; i < ps.queries; ++i) {
        const int64_t qPos = i + ps.keys - ps.queries;
        const double maxScore = detail::rowScores(
            in, ps, *mask, *score, scale, b, h, i,
            selecting ? &selected : nullptr, blockQ, blockK, kBlocks, visible,
            raw, scores, error);
        if (!error.empty())
          return failure();

        // The hybrid's linear branch over the complement.
        double linearDen = 0;
        if (hybrid) {
          for (int64_t d = 0; d < p.headDim; ++d)
            token[d] = in.q.data[at4(in.q, b, h, i, d)];
          phi->apply(token.data(), b, h, qPos, phiQ, error);
          std::fill(linearNum.begin(), linearNum.end(), 0.0);
          for (int64_t j = 0; j < p.keys; ++j) {
            if (visible[j])
              continue;
            Scalar args[6];
            setIndices(args, {b, h, qPos, j, p.queries, p.keys});
            if (complement->run(args, error).i == 0)
              continue;
            double w = 0;
            for (int64_t f = 0; f < F; ++f)
              w += phiQ[f] * phiK[j * F + f];
            linearDen += w;
            for (int64_t e = 0; e < p.valueDim; ++e)
              linearNum[e] += w * in.v.data[at4(in.v, b, g, j, e)];
          }
          if (!error.empty())
            return failure();
        }

        double *o = &out.o.data[at4(out.o, b, h, i, 0)];
        double &lse = out.lse.data[(b * p.heads + h) * p.queries + i];
        lse = -std::numeric_limits<double>::infinity();
        double denominator = 0;
        for (int64_t j = 0; j < ps.keys; ++j) {
          if (!visible[j])
            continue;
          double weight;
          if (normalize == attn::Normalize::softmax) {
            // A row whose every visible score is -inf has nothing to
            // attend to, like a row with no visible key.
            if (maxScore == -std::numeric_limits<double>::infinity())
              continue;
            weight = std::exp(scores[j] - maxScore);
          } else {
            weight = scores[j];
          }
          denominator += weight;
          for (int64_t e = 0; e < p.valueDim; ++e)
            o[e] += weight * in.v.data[at4(in.v, b, g, j, e)];
        }
        if (normalize == attn::Normalize::none)
          continue;
        // A NaN weight (a NaN or +inf score) makes the denominator, o and
        // lse NaN.
        if (normalize == attn::Normalize::softmax &&
            (denominator > 0 || std::isnan(denominator)))
          lse = maxScore + std::log(denominator);
        if (hybrid) {
          // combine add: o_softmax + w * o_linear, each normalized by its
          // own sum (0 when empty). combine shared: one normalizer, the
          // softmax terms (relative to the row max, as LoLCATs) times g.
          Scalar args[5];
          setIndices(args, {b, h, qPos, p.queries, p.keys});
          const double w = combineWeight->run(args, error).f;
          if (!error.empty())
            return failure();
          if (*op.getCombine() == attn::Combine::add) {
            for (int64_t e = 0; e < p.valueDim; ++e)
              o[e] = (denominator == 0 ? 0 : o[e] / denominator) +
                     (linearDen == 0 ? 0 : w * linearNum[e] / linearDen);
          } else {
            const double total = w * denominator + linearDen;
            for (int64_t e = 0; e < p.valueDim; ++e)
              o[e] = total == 0 ? 0 : (w * o[e] + linearNum[e]) / total;
          }
          continue;
        }
        for (int64_t e = 0; e < p.valueDim; ++e)
          o[e] = denominator == 0 ? 0 : o[e] / denominator;
      }
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Linear family
//===----------------------------------------------------------------------===//


static LogicalResult runLinear(attn::LinearAttentionOp op, const Inputs &in,
                               const Problem &p, Outputs &out,
                               std::string &error) {
  auto featureExpr =
      ExprProgram::compile(op.getFeatureRegion().front(), in.params);
  auto decayExpr = ExprProgram::compile(op.getDecay().front(), in.params);
  if (failed(featureExpr) || failed(decayExpr))
    return failure();
  FeatureMap phi(op.getFeature(), op.getFeatureParam(), *featureExpr, in, p);
  const int64_t F = phi.dim(), Dv = p.valueDim, D = p.headDim;
  const int64_t group = p.heads / p.kvHeads;
  const double scale = op.getScale().convertToDouble();
  const bool normalizeSum = op.getNormalize() == attn::Normalize::sum;
  const bool delta = op.getUpdate() == attn::Update::delta;
  const bool vectorDecay = op.hasVectorDecay();
  const ParamValues *beta =
      delta ? &in.params.find(*op.getBetaParam())->second : nullptr;
  out.o = {{p.batch, p.heads, p.queries, Dv},
           std::vector<double>(p.batch * p.heads * p.queries * Dv)};
  const bool stateful = !op.getBidirectional();
  if (stateful)
    out.state = {{p.batch, p.heads, F, Dv},
                 std::vector<double>(p.batch * p.heads * F * Dv)};
  if (stateful && normalizeSum)
    out.z = {{p.batch, p.heads, F}, std::vector<double>(p.batch * p.heads * F)};

  std::vector<double> S(F * Dv), z(F), phiK, phiQ, decay(F), u(Dv);
  for (int64_t b = 0; b < p.batch; ++b) {
    for (int64_t h = 0; h < p.heads; ++h) {
      const int64_t g = h / group;
      // S_{-1}: the initial state, or zero.
      const int64_t head = b * p.heads + h;
      if (in.state)
        std::copy_n(in.state->data.begin() + head * F * Dv, F * Dv, S.begin());
      else
        std::fill(S.begin(), S.end(), 0.0);
      if (in.z)
        std::copy_n(in.z->data.begin() + head * F, F, z.begin());
      else
        std::fill(z.begin(), z.end(), 0.0);

      // o for query row i from the current state; position n = t.
      auto emitRow = [&](int64_t i, int64_t t) {
        phi.apply(&in.q.data[at4(in.q, b, h, i, 0)], b, h, t, phiQ, error);
        double *o = &out.o.data[at4(out.o, b, h, i, 0)];
        double den = 0;
        for (int64_t f = 0; f < F; ++f)
          den += phiQ[f] * z[f];
        for (int64_t e = 0; e < Dv; ++e) {
          double acc = 0;
          for (int64_t f = 0; f < F; ++f)
            acc += phiQ[f] * S[f * Dv + e];
          o[e] = scale * acc;
          if (normalizeSum)
            o[e] = den == 0 ? 0 : o[e] / den;
        }
      };

      for (int64_t t = 0; t < p.keys; ++t) {
        phi.apply(&in.k.data[at4(in.k, b, g, t, 0)], b, h, t, phiK, error);
        const double *v = &in.v.data[at4(in.v, b, g, t, 0)];
        for (int64_t f = 0; f < F; ++f) {
          if (f > 0 && !vectorDecay) {
            decay[f] = decay[0];
            continue;
          }
          Scalar args[6];
          setIndices(args, {b, h, t, f, p.queries, p.keys});
          decay[f] = decayExpr->run(args, error).f;
        }
        if (delta) {
          // S = decay (I - beta k k^T) S + beta k v^T, k = phi(k_t).
          double bt = beta->values[(b * p.heads + h) * p.keys + t];
          for (int64_t e = 0; e < Dv; ++e) {
            u[e] = 0;
            for (int64_t f = 0; f < F; ++f)
              u[e] += phiK[f] * S[f * Dv + e];
          }
          for (int64_t f = 0; f < F; ++f)
            for (int64_t e = 0; e < Dv; ++e)
              S[f * Dv + e] = decay[f] * (S[f * Dv + e] - bt * phiK[f] * u[e]) +
                              bt * phiK[f] * v[e];
        } else {
          for (int64_t f = 0; f < F; ++f) {
            for (int64_t e = 0; e < Dv; ++e)
              S[f * Dv + e] = decay[f] * S[f * Dv + e] + phiK[f] * v[e];
            z[f] = decay[f] * z[f] + phiK[f];
          }
        }
        const int64_t i = t - (p.keys - p.queries);
        if (!op.getBidirectional() && i >= 0 && i < p.queries)
          emitRow(i, t);
        if (!error.empty())
          return failure();
      }
      if (op.getBidirectional())
        for (int64_t i = 0; i < p.queries; ++i)
          emitRow(i, i + p.keys - p.queries);
      // Rows before the first key (Nq > Nk) see no state and stay 0.
      (void)D;
      if (stateful)
        std::copy(S.begin(), S.end(), out.state.data.begin() + head * F * Dv);
      if (stateful && normalizeSum)
        std::copy(z.begin(), z.end(), out.z.data.begin() + head * F);
      if (!error.empty())
        return failure();
    }
  }
  return success();
}

LogicalResult run(Operation *op, const Inputs &inputs, Outputs &outputs,
                  std::string &error) {
  Problem problem;
  error = checkInputs(op, inputs, problem);
  if (!error.empty())
    return failure();
  if (auto softmax = dyn_cast<attn::AttentionOp>(op))
    return runSoftmax(softmax, inputs, problem, outputs, error);
  return runLinear(cast<attn::LinearAttentionOp>(op), inputs, problem,
                   outputs, error);
}

} // namespace attnc::reference
