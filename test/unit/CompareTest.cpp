//===- CompareTest.cpp - tests for the shared output comparator -----------===//
//
// This file implements unit tests for tools/compare: the same non-finite
// values in the same places pass, a NaN or inf on one side only fails with
// the tensor's name and the first index where it differs, sizes must agree,
// and finite errors are relative to max(max|want|, 1).
//
//===----------------------------------------------------------------------===//

#include "tools/compare/Compare.h"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

using namespace attnc::compare;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

TEST(Compare, IdenticalPasses) {
  std::vector<double> a = {1, 2, 3, 4, 5, 6};
  TensorComparison c = compareTensor("o", a, a, {1, 1, 2, 3}, 2e-5);
  EXPECT_TRUE(c.ok());
  EXPECT_EQ(c.maxError, 0);
  EXPECT_EQ(describeFailure(c), "");
}

TEST(Compare, NaNInTheSamePlacesPasses) {
  std::vector<double> want = {1, kNaN, 3, -kInf, kInf, 6};
  std::vector<double> got = {1, kNaN, 3.00001, -kInf, kInf, 6};
  TensorComparison c = compareTensor("o", got, want, {1, 1, 2, 3}, 2e-5);
  EXPECT_TRUE(c.ok()) << describeFailure(c);
  EXPECT_EQ(c.sharedNonFinite, 3u);
  // The finite elements are still compared, relative to max|want| = 6.
  EXPECT_NEAR(c.maxError, 1e-5 / 6, 1e-12);
}

TEST(Compare, NaNOnOneSideFailsWithNameAndIndex) {
  std::vector<double> want = {1, 2, 3, 4, 5, 6};
  std::vector<double> got = {1, 2, 3, 4, kNaN, 6};
  TensorComparison c = compareTensor("lse", got, want, {1, 2, 3}, 2e-5);
  EXPECT_FALSE(c.ok());
  EXPECT_TRUE(c.nonFiniteMismatch);
  EXPECT_EQ(c.firstMismatch, (std::vector<int64_t>{0, 1, 1}));
  EXPECT_EQ(describeFailure(c), "lse: non-finite values differ, first at "
                                "lse[0, 1, 1]: got nan, expected 5");
  // The other way round: the reference has the NaN.
  TensorComparison d = compareTensor("state", want, got, {1, 2, 3}, 2e-5);
  EXPECT_FALSE(d.ok());
  EXPECT_EQ(describeFailure(d), "state: non-finite values differ, first at "
                                "state[0, 1, 1]: got 5, expected nan");
}

TEST(Compare, FirstOfSeveralMismatchesIsReported) {
  std::vector<double> want = {0, 0, 0, 0};
  std::vector<double> got = {0, kInf, kNaN, 0};
  TensorComparison c = compareTensor("z", got, want, {4}, 1);
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.firstMismatch, (std::vector<int64_t>{1}));
  EXPECT_EQ(c.gotValue, kInf);
}

TEST(Compare, InfinitiesOfOtherSignOrAgainstNaNFail) {
  std::vector<double> want = {kInf, 1};
  EXPECT_FALSE(compareTensor("o", {-kInf, 1}, want, {2}, 1).ok());
  EXPECT_FALSE(compareTensor("o", {kNaN, 1}, want, {2}, 1).ok());
  EXPECT_TRUE(compareTensor("o", {kInf, 1}, want, {2}, 1).ok());
}

TEST(Compare, AllNaNOnBothSidesPasses) {
  // std::max(x, NaN) is x: a comparator that folds NaN into a maximum
  // would report error 0 here for the wrong reason; this one matches the
  // places and has no finite element to measure.
  std::vector<double> nan = {kNaN, kNaN};
  TensorComparison c = compareTensor("o", nan, nan, {2}, 0);
  EXPECT_TRUE(c.ok());
  EXPECT_TRUE(c.worstIndex.empty());
}

TEST(Compare, ZerosAgainstFiniteFail) {
  // An all-zero output (what an overflowed kernel used to give) against a
  // finite reference is a tolerance failure at the largest difference.
  std::vector<double> want = {0.5, -3, 0.25};
  std::vector<double> got = {0, 0, 0};
  TensorComparison c = compareTensor("o", got, want, {1, 3}, 2e-5);
  EXPECT_FALSE(c.ok());
  EXPECT_DOUBLE_EQ(c.maxError, 1.0);
  EXPECT_EQ(describeFailure(c),
            "o: max error 1 at o[0, 1] exceeds the tolerance 2e-05");
  EXPECT_EQ(summarize(c), "max error 1 (at o[0, 1])");
}

TEST(Compare, SizeMismatchFails) {
  TensorComparison c = compareTensor("o", {1, 2}, {1, 2, 3}, {3}, 1);
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(describeFailure(c), "o: got 2 elements, expected 3");
}

TEST(Compare, ShapeThatDoesNotMatchTheSizeFallsBackToAFlatIndex) {
  TensorComparison c = compareTensor("o", {1, kNaN, 3}, {1, 2, 3}, {2, 2}, 1);
  EXPECT_EQ(c.firstMismatch, (std::vector<int64_t>{1}));
}

} // namespace
