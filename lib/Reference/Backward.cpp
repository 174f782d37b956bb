//===- Backward.cpp - The reference backward pass -------------------------===//
//
// This file implements the softmax family's backward in double, one query
// row at a time. With t_j the score region's value at visible key j, w_j
// the normalizer's weight and o the row's output:
//   softmax: P_j = exp(t_j - lse),   dT_j = P_j (dO.v_j - dO.o),  dV_j += P_j dO
//   sum:     P_j = t_j / sum_j t_j,  dT_j = (dO.v_j - dO.o) / sum_j t_j,
//                                    dV_j += P_j dO
//   none:    dT_j = dO.v_j,          dV_j += t_j dO
// then dS_j = score_vjp(s_j, dT_j) (which also adds the parameters'
// gradients), dQ_i += scale dS_j k_j and dK_j += scale dS_j q_i.
//
//===----------------------------------------------------------------------===//

#include "lib/Reference/Backward.h"
#include "lib/Reference/ReferenceDetail.h"

#include "dialect/AttnOps.h"

#include <cmath>
#include <limits>

using namespace mlir;
using attnc::reference::detail::at4;
using attnc::reference::detail::setIndices;

namespace attnc::reference {

std::vector<std::string> differentiableParams(Operation *op) {
  std::vector<std::string> names;
  auto attention = dyn_cast<attn::AttentionOp>(op);
  if (!attention)
    return names;
  for (auto param : attention.getParams().getAsRange<attn::ParamAttr>())
    if (param.getElementType().isF32() && !param.getFrozen())
      names.push_back(param.getName().str());
  return names;
}

std::string checkOutputGradient(Operation *op, const Problem &p,
                                const Tensor &dO) {
  std::vector<int64_t> want = {p.batch, p.heads, p.queries, p.valueDim};
  if (dO.shape == want)
    return "";
  auto str = [](const std::vector<int64_t> &shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i)
      s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
  };
  (void)op;
  return "input 'do': expected shape " + str(want) + " (the shape of o), got " +
         str(dO.shape);
}

LogicalResult runBackward(Operation *op, const Inputs &in, const Tensor &dO,
                          Gradients &grads, std::string &error) {
  auto attention = dyn_cast<attn::AttentionOp>(op);
  if (!attention) {
    error = "the backward pass of the linear family is not supported yet";
    return failure();
  }
  if (attention.getHybridFeature()) {
    error = "the backward pass of sparse + linear hybrids is not supported "
            "yet";
    return failure();
  }
  if (attention.getScoreVjp().empty()) {
    error = "the op has no score_vjp region: run attn-differentiate before "
            "the reference backward";
    return failure();
  }
  Problem p;
  if (std::string e = checkInputs(op, in, p); !e.empty()) {
    error = e;
    return failure();
  }
  if (std::string e = checkOutputGradient(op, p, dO); !e.empty()) {
    error = e;
    return failure();
  }

  grads.dq = {in.q.shape, std::vector<double>(in.q.data.size())};
  grads.dk = {in.k.shape, std::vector<double>(in.k.data.size())};
  grads.dv = {in.v.shape, std::vector<double>(in.v.data.size())};
  grads.params.clear();
  for (const std::string &name : differentiableParams(op)) {
    const ParamValues &values = in.params.find(name)->second;
    grads.params[name] = {values.shape,
                          std::vector<double>(values.values.size())};
  }

  auto mask = ExprProgram::compile(attention.getMask().front(), in.params);
  auto score = ExprProgram::compile(attention.getScore().front(), in.params);
  auto vjp = ExprProgram::compile(attention.getScoreVjp().front(), in.params,
                                  &grads.params);
  if (failed(mask) || failed(score) || failed(vjp))
    return failure();

  // The forward's selection, recomputed: the same tiles are visible.
  const bool selecting = attention.getSelect().has_value();
  int64_t blockQ = 0, blockK = 0, qBlocks = 0, kBlocks = 0;
  std::vector<char> selected;
  FailureOr<ExprProgram> keep = failure();
  if (selecting) {
    if (failed(detail::selectionTiles(attention, p, blockQ, blockK, qBlocks,
                                      kBlocks, error)))
      return failure();
    keep = ExprProgram::compile(attention.getKeep().front(), in.params);
    if (failed(keep))
      return failure();
  }

  const double scale = attention.getScale().convertToDouble();
  const int64_t group = p.heads / p.kvHeads;
  const attn::Normalize normalize = attention.getNormalize();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> raw(p.keys), t(p.keys), o(p.valueDim);
  std::vector<char> visible(p.keys);

  for (int64_t b = 0; b < p.batch; ++b) {
    for (int64_t h = 0; h < p.heads; ++h) {
      const int64_t g = h / group;
      if (selecting &&
          failed(detail::selectBlocks(attention, in, p, *mask, *keep, b, h,
                                      blockQ, blockK, qBlocks, kBlocks,
                                      selected, error)))
        return failure();
      for (int64_t i = 0; i < p.queries; ++i) {
        const int64_t qPos = i + p.keys - p.queries;
        // Forward, recomputed: visible keys, scores, weights, o.
        const double maxScore = detail::rowScores(
            in, p, *mask, *score, scale, b, h, i,
            selecting ? &selected : nullptr, blockQ, blockK, kBlocks, visible,
            raw, t, error);
        if (!error.empty())
          return failure();
        if (normalize == attn::Normalize::softmax && maxScore == -inf)
          continue; // Nothing visible: o = 0 whatever the inputs.
        auto weight = [&](int64_t j) {
          return normalize == attn::Normalize::softmax
                     ? std::exp(t[j] - maxScore)
                     : t[j];
        };
        double total = 0;
        std::fill(o.begin(), o.end(), 0.0);
        for (int64_t j = 0; j < p.keys; ++j) {
          if (!visible[j])
            continue;
          total += weight(j);
          for (int64_t e = 0; e < p.valueDim; ++e)
            o[e] += weight(j) * in.v.data[at4(in.v, b, g, j, e)];
        }
        // The weights' normalizer (1 without one); o = 0 where it is 0,
        // and so does not depend on the inputs there.
        double norm = 1;
        if (normalize != attn::Normalize::none) {
          if (total == 0)
            continue;
          norm = total;
          for (double &x : o)
            x /= norm;
        }

        const double *dRow = &dO.data[at4(dO, b, h, i, 0)];
        double dOdotO = 0;
        if (normalize != attn::Normalize::none)
          for (int64_t e = 0; e < p.valueDim; ++e)
            dOdotO += dRow[e] * o[e];
        for (int64_t j = 0; j < p.keys; ++j) {
          if (!visible[j])
            continue;
          const double pj = weight(j) / norm;
          double dP = 0;
          for (int64_t e = 0; e < p.valueDim; ++e) {
            dP += dRow[e] * in.v.data[at4(in.v, b, g, j, e)];
            grads.dv.data[at4(grads.dv, b, g, j, e)] += pj * dRow[e];
          }
          double dT;
          switch (normalize) {
          case attn::Normalize::softmax:
            dT = pj * (dP - dOdotO);
            break;
          case attn::Normalize::sum:
            dT = (dP - dOdotO) / norm;
            break;
          case attn::Normalize::none:
            dT = dP;
            break;
          }
          // A key of weight 0 under softmax (score -inf) passes nothing
          // back; evaluating the derivative there would give 0 * inf.
          if (dT == 0)
            continue;
          Scalar args[8];
          setIndices(args, {b, h, qPos, j, p.queries, p.keys});
          args[6].f = raw[j];
          args[7].f = dT;
          const double dS = vjp->run(args, error).f;
          for (int64_t d = 0; d < p.headDim; ++d) {
            grads.dq.data[at4(grads.dq, b, h, i, d)] +=
                scale * dS * in.k.data[at4(in.k, b, g, j, d)];
            grads.dk.data[at4(grads.dk, b, g, j, d)] +=
                scale * dS * in.q.data[at4(in.q, b, h, i, d)];
          }
        }
        if (!error.empty())
          return failure();
      }
    }
  }
  return success();
}

} // namespace attnc::reference
