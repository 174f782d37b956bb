//===- MergeStates.cpp - Merging partial attention states -----------------===//
//
// This file implements the host merge of (o, lse) pairs. Per row, in
// double: m = max_i lse_i; w_i = exp(lse_i - m) (0 for lse_i = -inf: that
// part is not read, so its o may hold anything); lse = m + log(sum w_i);
// o = sum w_i o_i / sum w_i. A row whose parts are all -inf has no visible
// key: o = 0, lse = -inf. A NaN or +inf lse makes the row NaN.
//
//===----------------------------------------------------------------------===//

#include "MergeStates.h"

#include "ArgCheck.h"

#include "attnc/half.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

using namespace attnc::rt;

namespace {

double loadElement(const attnc_tensor &t, long long offset) {
  const char *base = static_cast<const char *>(t.data);
  switch (t.dtype) {
  case ATTNC_F16: {
    uint16_t h;
    std::memcpy(&h, base + 2 * offset, 2);
    return attnc::halfToFloat(h);
  }
  case ATTNC_BF16: {
    uint16_t h;
    std::memcpy(&h, base + 2 * offset, 2);
    return attnc::bf16ToFloat(h);
  }
  default: {
    float f;
    std::memcpy(&f, base + 4 * offset, 4);
    return f;
  }
  }
}

void storeElement(const attnc_tensor &t, long long offset, double value) {
  char *base = static_cast<char *>(t.data);
  const float f = static_cast<float>(value);
  switch (t.dtype) {
  case ATTNC_F16: {
    const uint16_t h = attnc::floatToHalf(f);
    std::memcpy(base + 2 * offset, &h, 2);
    return;
  }
  case ATTNC_BF16: {
    const uint16_t h = attnc::floatToBf16(f);
    std::memcpy(base + 2 * offset, &h, 2);
    return;
  }
  default:
    std::memcpy(base + 4 * offset, &f, 4);
  }
}

long long rowOffset(const attnc_tensor &t, long long b, long long h,
                    long long n) {
  return b * t.strides[0] + h * t.strides[1] + n * t.strides[2];
}

} // namespace

Error attnc::rt::mergeStatesCpu(const attnc_tensor *oParts,
                                const attnc_tensor *lseParts, int parts,
                                const attnc_tensor *o,
                                const attnc_tensor *lse) {
  long long shape[4];
  attnc_dtype dtype;
  Error e = checkMergeArguments(oParts, lseParts, parts, o, lse, Target::Cpu,
                                shape, dtype);
  if (e.failed())
    return e;
  const long long B = shape[0], H = shape[1], N = shape[2], Dv = shape[3];
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> weight(parts), row(Dv);
  for (long long b = 0; b < B; ++b)
    for (long long h = 0; h < H; ++h)
      for (long long n = 0; n < N; ++n) {
        const long long r = (b * H + h) * N + n; // lse is contiguous
        double m = -inf;
        bool poisoned = false;
        for (int i = 0; i < parts; ++i) {
          const double l = static_cast<const float *>(lseParts[i].data)[r];
          poisoned |= std::isnan(l) || l == inf;
          if (l > m)
            m = l;
        }
        double out = m;
        if (poisoned) {
          out = nan;
          std::fill(row.begin(), row.end(), nan);
        } else if (m == -inf) { // no part saw a visible key
          std::fill(row.begin(), row.end(), 0.0);
        } else {
          double sum = 0;
          for (int i = 0; i < parts; ++i) {
            const double l = static_cast<const float *>(lseParts[i].data)[r];
            weight[i] = l == -inf ? 0.0 : std::exp(l - m);
            sum += weight[i];
          }
          std::fill(row.begin(), row.end(), 0.0);
          // All parts are read before o is written: o may be one of them.
          for (int i = 0; i < parts; ++i) {
            if (weight[i] == 0.0)
              continue; // select: a part without visible keys is not read
            const long long at = rowOffset(oParts[i], b, h, n);
            for (long long d = 0; d < Dv; ++d)
              row[d] += weight[i] * loadElement(oParts[i], at + d);
          }
          for (double &x : row)
            x /= sum;
          out = m + std::log(sum);
        }
        const long long at = rowOffset(*o, b, h, n);
        for (long long d = 0; d < Dv; ++d)
          storeElement(*o, at + d, row[d]);
        static_cast<float *>(lse->data)[r] = static_cast<float>(out);
      }
  (void)dtype;
  return success();
}
