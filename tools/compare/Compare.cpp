//===- Compare.cpp - A backend's outputs against a reference --------------===//
//
// This file implements the comparator declared in Compare.h. Both NaN and
// inf are compared by value and place before any finite arithmetic, so a
// NaN never slips through a max() (std::max(x, NaN) is x) and a result that
// is NaN where the reference is NaN passes.
//
//===----------------------------------------------------------------------===//

#include "tools/compare/Compare.h"

#include <cmath>
#include <cstdio>

namespace attnc {
namespace compare {
namespace {

std::vector<int64_t> unflatten(size_t flat, const std::vector<int64_t> &shape,
                               size_t size) {
  int64_t product = 1;
  for (int64_t d : shape)
    product *= d > 0 ? d : 1;
  if (shape.empty() || product != static_cast<int64_t>(size))
    return {static_cast<int64_t>(flat)};
  std::vector<int64_t> index(shape.size());
  for (size_t i = shape.size(); i-- > 0;) {
    index[i] = static_cast<int64_t>(flat % shape[i]);
    flat /= shape[i];
  }
  return index;
}

/// True when a and b are the same non-finite value.
bool sameNonFinite(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b);
  return a == b; // both infinite here: same sign
}

std::string number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

std::string shortNumber(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", x);
  return buf;
}

} // namespace

TensorComparison compareTensor(const std::string &name, const double *got,
                               size_t gotSize, const double *want,
                               size_t wantSize,
                               const std::vector<int64_t> &shape,
                               double tolerance) {
  TensorComparison c;
  c.name = name;
  c.shape = shape;
  c.tolerance = tolerance;
  c.gotSize = gotSize;
  c.wantSize = wantSize;
  if (gotSize != wantSize) {
    c.sizeMismatch = true;
    return c;
  }
  double scale = 0, err = 0;
  size_t worst = 0;
  bool anyFinite = false;
  for (size_t i = 0; i < wantSize; ++i) {
    const double x = got[i], y = want[i];
    if (!std::isfinite(x) || !std::isfinite(y)) {
      if (sameNonFinite(x, y)) {
        ++c.sharedNonFinite;
      } else if (!c.nonFiniteMismatch) {
        c.nonFiniteMismatch = true;
        c.firstMismatch = unflatten(i, shape, wantSize);
        c.gotValue = x;
        c.wantValue = y;
      }
      continue;
    }
    scale = std::max(scale, std::fabs(y));
    const double e = std::fabs(x - y);
    if (!anyFinite || e > err) {
      err = e;
      worst = i;
    }
    anyFinite = true;
  }
  c.maxError = err / std::max(scale, 1.0);
  if (anyFinite)
    c.worstIndex = unflatten(worst, shape, wantSize);
  return c;
}

std::string formatIndex(const std::string &name,
                        const std::vector<int64_t> &index) {
  std::string out = name + "[";
  for (size_t i = 0; i < index.size(); ++i)
    out += (i ? ", " : "") + std::to_string(index[i]);
  return out + "]";
}

std::string describeFailure(const TensorComparison &c) {
  if (c.sizeMismatch)
    return c.name + ": got " + std::to_string(c.gotSize) +
           " elements, expected " + std::to_string(c.wantSize);
  if (c.nonFiniteMismatch)
    return c.name + ": non-finite values differ, first at " +
           formatIndex(c.name, c.firstMismatch) + ": got " +
           number(c.gotValue) + ", expected " + number(c.wantValue);
  if (c.maxError > c.tolerance)
    return c.name + ": max error " + shortNumber(c.maxError) + " at " +
           formatIndex(c.name, c.worstIndex) + " exceeds the tolerance " +
           shortNumber(c.tolerance);
  return "";
}

std::string summarize(const TensorComparison &c) {
  std::string out = "max error " + shortNumber(c.maxError);
  if (c.sizeMismatch)
    return out + " (got " + std::to_string(c.gotSize) + " elements, expected " +
           std::to_string(c.wantSize) + ")";
  if (c.nonFiniteMismatch)
    out += " (non-finite values differ, first at " +
           formatIndex(c.name, c.firstMismatch) + ": got " +
           number(c.gotValue) + ", expected " + number(c.wantValue) + ")";
  else if (c.maxError > c.tolerance)
    out += " (at " + formatIndex(c.name, c.worstIndex) + ")";
  return out;
}

} // namespace compare
} // namespace attnc
