//===- GradientCheck.cpp - Finite differences against the backward --------===//
//
// Central differences with a step of 1e-5 (times max(1, |x|)): truncation
// error O(h^2) ~ 1e-10 and cancellation O(eps / h) ~ 1e-11 relative to the
// loss, both far below the 1e-6 tolerance, while a sign or factor error in
// any rule is of the order of the gradient itself.
//
//===----------------------------------------------------------------------===//

#include "lib/Reference/GradientCheck.h"

#include "llvm/Support/Format.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

using namespace mlir;

namespace attnc::reference {
namespace {

double lossOf(const Outputs &out, const Tensor &dO) {
  double loss = 0;
  for (size_t i = 0; i < dO.data.size(); ++i)
    loss += out.o.data[i] * dO.data[i];
  return loss;
}

/// The elements to perturb: all, or a seeded sample of `maxElements`.
std::vector<int64_t> sampleIndices(int64_t size, int64_t maxElements,
                                   uint64_t seed) {
  std::vector<int64_t> all(size);
  std::iota(all.begin(), all.end(), 0);
  if (size <= maxElements)
    return all;
  std::mt19937_64 rng(seed);
  std::shuffle(all.begin(), all.end(), rng);
  all.resize(maxElements);
  std::sort(all.begin(), all.end());
  return all;
}

} // namespace

FailureOr<bool> checkGradients(Operation *op, const Inputs &inputs,
                               const Tensor &dO, const Gradients &gradients,
                               llvm::raw_ostream &os, std::string &error,
                               int64_t maxElements) {
  Inputs probe = inputs;
  // One tensor to perturb: where its values live in `probe` and its
  // analytic gradient.
  struct Target {
    std::string name;
    std::vector<double> *values;
    const std::vector<double> *analytic;
  };
  std::vector<Target> targets = {
      {"q", &probe.q.data, &gradients.dq.data},
      {"k", &probe.k.data, &gradients.dk.data},
      {"v", &probe.v.data, &gradients.dv.data}};
  for (const std::string &name : differentiableParams(op))
    targets.push_back({name, &probe.params[name].values,
                       &gradients.params.find(name)->second.values});

  bool allOk = true;
  uint64_t seed = 0;
  for (const Target &target : targets) {
    double scale = 1;
    for (double g : *target.analytic)
      scale = std::max(scale, std::fabs(g));
    double worst = 0;
    int64_t worstIndex = -1;
    double worstNumeric = 0;
    std::vector<int64_t> indices = sampleIndices(
        int64_t(target.values->size()), maxElements, ++seed);
    for (int64_t index : indices) {
      double &x = (*target.values)[index];
      const double saved = x;
      const double step = 1e-5 * std::max(1.0, std::fabs(saved));
      Outputs plus, minus;
      x = saved + step;
      if (failed(run(op, probe, plus, error)))
        return failure();
      x = saved - step;
      if (failed(run(op, probe, minus, error)))
        return failure();
      x = saved;
      const double numeric =
          (lossOf(plus, dO) - lossOf(minus, dO)) / (2 * step);
      const double diff = std::fabs(numeric - (*target.analytic)[index]);
      if (worstIndex < 0 || std::isnan(diff) ||
          (!std::isnan(worst) && diff > worst)) {
        worst = diff;
        worstIndex = index;
        worstNumeric = numeric;
      }
    }
    // NaN compares false: a NaN gradient is never within tolerance.
    const bool ok = worst <= kGradientCheckTolerance * scale;
    allOk &= ok;
    os << "grad " << target.name << ": max |finite difference - analytic| "
       << llvm::format("%.3g", worst) << " over " << indices.size() << " of "
       << target.values->size() << " elements (tolerance "
       << llvm::format("%.3g", kGradientCheckTolerance * scale) << ")";
    if (!ok && worstIndex >= 0)
      os << " at flat index " << worstIndex << ": analytic "
         << llvm::format("%.9g", (*target.analytic)[worstIndex])
         << ", finite difference " << llvm::format("%.9g", worstNumeric);
    os << (ok ? ": ok\n" : ": FAIL\n");
  }
  return allOk;
}

} // namespace attnc::reference
