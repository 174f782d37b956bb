//===- MergeStatesTest.cpp - tests for attnc_merge_states_cpu -------------===//
//
// Splits the keys of an attention computed in double into pieces (some
// empty, some with no visible key for early rows), computes each piece's
// (o, lse) independently, merges them with the runtime and compares with
// the whole: f32, f16 and bf16 parts, 1 to 8 pieces, rows with no visible
// key in any piece, a NaN lse, in-place merging, and each argument error.
//
//===----------------------------------------------------------------------===//

#include "attnc/half.h"
#include "attnc/runtime.h"
#include "attnc/runtime.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace {

constexpr int B = 2, H = 3, N = 6, NK = 40, D = 8, DV = 5;
const double kInf = std::numeric_limits<double>::infinity();

attnc_tensor view(void *data, attnc_dtype dtype, std::vector<long long> shape) {
  attnc_tensor t = {};
  t.data = data;
  t.dtype = dtype;
  t.rank = static_cast<int>(shape.size());
  long long stride = 1;
  for (int i = t.rank - 1; i >= 0; --i) {
    t.shape[i] = shape[i];
    t.strides[i] = stride;
    stride *= shape[i];
  }
  return t;
}

/// Random q, k, v; a mask that hides every key from the first rows (no
/// visible key there) and later keys from earlier rows.
struct Problem {
  std::vector<double> q, k, v;
  Problem() {
    std::mt19937 gen(7);
    std::normal_distribution<double> dist;
    for (auto *t : {&q, &k, &v}) {
      t->resize(static_cast<size_t>(B * H) * NK * D);
      for (double &x : *t)
        x = dist(gen);
    }
  }
  static bool visible(int i, int j) { return j <= 6 * i - 4; }
  /// o [B, H, N, DV] and lse [B, H, N] over keys [lo, hi), in double;
  /// rows without a visible key get lse -inf and o NaN (must not be read).
  void attend(int lo, int hi, std::vector<double> &o,
              std::vector<double> &lse) const {
    o.assign(static_cast<size_t>(B * H * N * DV), 0.0);
    lse.assign(static_cast<size_t>(B * H * N), -kInf);
    for (int bh = 0; bh < B * H; ++bh)
      for (int i = 0; i < N; ++i) {
        std::vector<double> s;
        std::vector<int> keys;
        for (int j = lo; j < hi; ++j) {
          if (!visible(i, j))
            continue;
          double dot = 0;
          for (int d = 0; d < D; ++d)
            dot += q[(bh * NK + i) * D + d] * k[(bh * NK + j) * D + d];
          s.push_back(dot / std::sqrt(double(D)));
          keys.push_back(j);
        }
        double *row = &o[(bh * N + i) * DV];
        if (keys.empty()) {
          for (int e = 0; e < DV; ++e)
            row[e] = std::nan("");
          continue;
        }
        double m = -kInf, sum = 0;
        for (double x : s)
          m = std::max(m, x);
        for (size_t t = 0; t < s.size(); ++t) {
          const double p = std::exp(s[t] - m);
          sum += p;
          for (int e = 0; e < DV; ++e)
            row[e] += p * v[(bh * NK + keys[t]) * D + e];
        }
        for (int e = 0; e < DV; ++e)
          row[e] /= sum;
        lse[bh * N + i] = m + std::log(sum);
      }
  }
};

/// Storage of one tensor in `dtype`.
std::vector<uint8_t> store(const std::vector<double> &x, attnc_dtype dtype) {
  const size_t elem = dtype == ATTNC_F32 ? 4 : 2;
  std::vector<uint8_t> out(x.size() * elem);
  for (size_t i = 0; i < x.size(); ++i) {
    const float f = static_cast<float>(x[i]);
    if (dtype == ATTNC_F32) {
      std::memcpy(&out[4 * i], &f, 4);
    } else {
      const uint16_t h =
          dtype == ATTNC_F16 ? attnc::floatToHalf(f) : attnc::floatToBf16(f);
      std::memcpy(&out[2 * i], &h, 2);
    }
  }
  return out;
}

double load(const std::vector<uint8_t> &bytes, size_t i, attnc_dtype dtype) {
  if (dtype == ATTNC_F32) {
    float f;
    std::memcpy(&f, &bytes[4 * i], 4);
    return f;
  }
  uint16_t h;
  std::memcpy(&h, &bytes[2 * i], 2);
  return dtype == ATTNC_F16 ? attnc::halfToFloat(h) : attnc::bf16ToFloat(h);
}

/// Merges the pieces split at `cuts` (0 < ... < NK, duplicates make empty
/// pieces) and returns max|o - whole| / max(max|whole|, 1); lse is checked
/// exactly where -inf and to 1e-5 elsewhere.
double mergeError(const std::vector<int> &cuts, attnc_dtype dtype) {
  Problem p;
  std::vector<double> wholeO, wholeLse;
  p.attend(0, NK, wholeO, wholeLse);
  std::vector<int> bounds = {0};
  bounds.insert(bounds.end(), cuts.begin(), cuts.end());
  bounds.push_back(NK);
  const int parts = static_cast<int>(bounds.size()) - 1;
  std::vector<std::vector<uint8_t>> oBytes(parts);
  std::vector<std::vector<float>> lseF(parts);
  std::vector<attnc_tensor> oViews, lseViews;
  for (int i = 0; i < parts; ++i) {
    std::vector<double> o, lse;
    p.attend(bounds[i], bounds[i + 1], o, lse);
    oBytes[i] = store(o, dtype);
    lseF[i].assign(lse.begin(), lse.end());
  }
  for (int i = 0; i < parts; ++i) {
    oViews.push_back(view(oBytes[i].data(), dtype, {B, H, N, DV}));
    lseViews.push_back(view(lseF[i].data(), ATTNC_F32, {B, H, N}));
  }
  std::vector<uint8_t> outO(wholeO.size() * (dtype == ATTNC_F32 ? 4 : 2));
  std::vector<float> outLse(wholeLse.size());
  attnc_tensor o = view(outO.data(), dtype, {B, H, N, DV});
  attnc_tensor lse = view(outLse.data(), ATTNC_F32, {B, H, N});
  EXPECT_EQ(attnc_merge_states_cpu(oViews.data(), lseViews.data(), parts, &o,
                                   &lse),
            ATTNC_OK)
      << attnc_last_error();
  double err = 0, scale = 1;
  for (size_t r = 0; r < wholeLse.size(); ++r) {
    if (wholeLse[r] == -kInf) {
      EXPECT_EQ(outLse[r], -std::numeric_limits<float>::infinity()) << r;
      for (int e = 0; e < DV; ++e)
        EXPECT_EQ(load(outO, r * DV + e, dtype), 0.0) << r;
      continue;
    }
    EXPECT_NEAR(outLse[r], wholeLse[r], 1e-5) << r;
    for (int e = 0; e < DV; ++e) {
      scale = std::max(scale, std::fabs(wholeO[r * DV + e]));
      err = std::max(err, std::fabs(load(outO, r * DV + e, dtype) -
                                    wholeO[r * DV + e]));
    }
  }
  return err / scale;
}

TEST(MergeStates, PiecesGiveTheWhole) {
  // One piece, two, and eight with empty pieces and pieces that only late
  // rows see.
  EXPECT_LT(mergeError({}, ATTNC_F32), 1e-6);
  EXPECT_LT(mergeError({17}, ATTNC_F32), 1e-6);
  EXPECT_LT(mergeError({3, 3, 9, 20, 20, 31, 39}, ATTNC_F32), 1e-6);
}

TEST(MergeStates, StorageDtypes) {
  // The parts and the result are rounded to the dtype: a few half-ulps.
  EXPECT_LT(mergeError({5, 12, 12, 30}, ATTNC_F16), 2e-3);
  EXPECT_LT(mergeError({5, 12, 12, 30}, ATTNC_BF16), 1.6e-2);
}

TEST(MergeStates, NanLseAndInPlace) {
  // Two parts of one row each; part 1's lse is NaN in row 0: that row is
  // NaN. Row 1 merges into part 0 itself.
  float o0[2 * DV], o1[2 * DV];
  for (int e = 0; e < 2 * DV; ++e) {
    o0[e] = 1.0f + e;
    o1[e] = -2.0f;
  }
  float l0[2] = {0.0f, std::log(3.0f)}, l1[2] = {std::nanf(""), 0.0f};
  attnc_tensor os[2] = {view(o0, ATTNC_F32, {1, 1, 2, DV}),
                        view(o1, ATTNC_F32, {1, 1, 2, DV})};
  attnc_tensor ls[2] = {view(l0, ATTNC_F32, {1, 1, 2}),
                        view(l1, ATTNC_F32, {1, 1, 2})};
  float lse[2];
  attnc_tensor out = os[0], outLse = view(lse, ATTNC_F32, {1, 1, 2});
  ASSERT_EQ(attnc_merge_states_cpu(os, ls, 2, &out, &outLse), ATTNC_OK)
      << attnc_last_error();
  EXPECT_TRUE(std::isnan(lse[0]));
  EXPECT_TRUE(std::isnan(o0[0]));
  // Row 1: weights 3/4 and 1/4.
  EXPECT_NEAR(lse[1], std::log(4.0f), 1e-6);
  EXPECT_NEAR(o0[DV], 0.75f * (1.0f + DV) + 0.25f * -2.0f, 1e-6);
}

TEST(MergeStates, ArgumentErrors) {
  float o[DV] = {}, l[1] = {0};
  attnc_tensor ov = view(o, ATTNC_F32, {1, 1, 1, DV});
  attnc_tensor lv = view(l, ATTNC_F32, {1, 1, 1});
  EXPECT_EQ(attnc_merge_states_cpu(&ov, &lv, 0, &ov, &lv),
            ATTNC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attnc_last_error(), "parts must be in [1, 4096], got 0");
  EXPECT_EQ(attnc_merge_states_cpu(nullptr, &lv, 1, &ov, &lv),
            ATTNC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attnc_last_error(), "o_parts is null");
  uint16_t half[DV] = {};
  attnc_tensor hv = view(half, ATTNC_BF16, {1, 1, 1, DV});
  EXPECT_EQ(attnc_merge_states_cpu(&hv, &lv, 1, &ov, &lv),
            ATTNC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(attnc_last_error()).find("o_parts[0]: expected dtype f32"),
            std::string::npos)
      << attnc_last_error();
  float wide[2 * DV] = {};
  attnc_tensor wv = view(wide, ATTNC_F32, {1, 1, 2, DV});
  EXPECT_EQ(attnc_merge_states_cpu(&wv, &lv, 1, &ov, &lv),
            ATTNC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(attnc_last_error()).find("o_parts[0]: expected shape"),
            std::string::npos)
      << attnc_last_error();
}

TEST(MergeStates, CppWrapper) {
  float o0[DV], o1[DV], out[DV];
  for (int e = 0; e < DV; ++e) {
    o0[e] = 2.0f;
    o1[e] = 4.0f;
  }
  float l0 = 0.0f, l1 = 0.0f, lse = 0.0f;
  auto t = [](void *p, attnc_dtype d, std::vector<long long> s) {
    return attnc::Tensor(view(p, d, s));
  };
  attnc::Status s = attnc::mergeStatesCpu(
      {t(o0, ATTNC_F32, {1, 1, 1, DV}), t(o1, ATTNC_F32, {1, 1, 1, DV})},
      {t(&l0, ATTNC_F32, {1, 1, 1}), t(&l1, ATTNC_F32, {1, 1, 1})},
      t(out, ATTNC_F32, {1, 1, 1, DV}), t(&lse, ATTNC_F32, {1, 1, 1}));
  ASSERT_TRUE(s) << s.message;
  EXPECT_FLOAT_EQ(out[0], 3.0f);
  EXPECT_FLOAT_EQ(lse, std::log(2.0f));
  s = attnc::mergeStatesCpu({t(o0, ATTNC_F32, {1, 1, 1, DV})}, {},
                            t(out, ATTNC_F32, {1, 1, 1, DV}),
                            t(&lse, ATTNC_F32, {1, 1, 1}));
  EXPECT_FALSE(s);
  EXPECT_EQ(s.message, "oParts and lseParts differ in length");
}

} // namespace
